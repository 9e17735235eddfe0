/**
 * The weights of a graph in execute mode: for every layer, its float tensors by TensorSpec name.
 * Keys are PyTorch state_dict keys, `<layer name>.<tensor name>` (`layer1.0.conv1.weight`), or the
 * layer's name alone for a tensor named '' (stateDictKey).
 * Three sources: PyTorch's default initialization from a seed, the synthetic formula of the
 * reference fixtures (both declared by each kind, `LayerKind.init`), or a safetensors file
 * (see safetensors.ts).
 */
import type { Graph, LayerNode } from '../graph/graph.js';
import type { LayerWeights, TensorFill, TensorSpec, WeightInit } from '../layers/kind.js';
import { plainAllocator, type Allocator } from './context.js';
import { fillUniform, stream } from './random.js';
import { FLOAT_DTYPES, SafetensorsFile } from './safetensors.js';
import { numel } from '../kernels/tensor.js';

/** Weights that do not fit the model: one error listing every problem, one per line after the first. */
export class WeightsError extends Error {}

/** Per node id, the node's float tensors (int64 counters such as num_batches_tracked are left out). */
export type GraphWeights = ReadonlyMap<number, LayerWeights>;

export interface WeightSlot {
  readonly key: string;
  readonly node: LayerNode;
  readonly spec: TensorSpec;
}

/** The state_dict key of a layer's tensor: `<layer>.<tensor>`, or the layer's own name for a tensor named '' (a bare nn.Parameter). */
export function stateDictKey(layer: string, tensor: string): string {
  return tensor === '' ? layer : `${layer}.${tensor}`;
}

/** Every tensor of the graph in state_dict order (layers in graph order, then each layer's tensors). */
export function weightSlots(graph: Graph): WeightSlot[] {
  const out: WeightSlot[] = [];
  for (const node of graph.nodes) for (const spec of node.tensors) out.push({ key: stateDictKey(node.name, spec.name), node, spec });
  return out;
}

/** Fills every float tensor of the graph with `value(slot, out)`. */
function fillAll(graph: Graph, allocate: Allocator, value: (slot: WeightSlot, out: Float32Array) => void): Map<number, LayerWeights> {
  const weights = new Map<number, Record<string, Float32Array>>();
  for (const slot of weightSlots(graph)) {
    if (slot.spec.dtype !== 'float') continue;
    const out = allocate(numel(slot.spec.shape));
    value(slot, out);
    let layer = weights.get(slot.node.id);
    if (!layer) weights.set(slot.node.id, (layer = {}));
    layer[slot.spec.name] = out;
  }
  return weights;
}

/** Fills every float tensor with its kind's `scheme`; uniform values come from stream(seed, key) (random.ts). */
function initialize(graph: Graph, seed: number, allocate: Allocator, scheme: keyof WeightInit): GraphWeights {
  return fillAll(graph, allocate, ({ key, node, spec }, out) => {
    const init = node.layer.init;
    if (!init) throw new Error(`layer '${node.name}' (${node.kind}): the kind has tensors but declares no init`);
    const fill: TensorFill = init[scheme](spec, node.tensors, node.args);
    if ('constant' in fill) out.fill(fill.constant);
    else fillUniform(out, stream(seed, key), fill.uniform, fill.center ?? 0);
  });
}

/**
 * PyTorch's default initialization (each kind's `init.pytorch`: nn.Conv2d, nn.Linear and
 * nn.BatchNorm reset_parameters), from `seed`, one random stream per state_dict key.
 * (torchvision's model constructors re-initialize some layers differently; this is the module default.)
 */
export function initWeights(graph: Graph, seed: number, allocate: Allocator = plainAllocator): GraphWeights {
  return initialize(graph, seed, allocate, 'pytorch');
}

/**
 * The reference fixtures' weights (test/fixtures/reference/), so a whole network can be checked
 * against PyTorch without storing its weights: each kind's `init.synthetic`, which
 * scripts/torch_reference_nets.py computes too (conv and linear weight U(+-sqrt(6/fan_in)), bias
 * U(+-1/sqrt(fan_in)); batchnorm around its identity). Each value is computed in float64 and
 * rounded to float32 once.
 */
export function syntheticWeights(graph: Graph, seed: number, allocate: Allocator = plainAllocator): GraphWeights {
  return initialize(graph, seed, allocate, 'synthetic');
}

/** The most names listed per kind of problem; the rest are counted. */
const LIST_LIMIT = 20;

/**
 * Reads the weights of `graph` from a safetensors file whose keys are the state_dict keys, as
 * `save_file(model.state_dict(), path)` writes them. Every tensor the model has must be there with
 * its shape and a float dtype (F32, F16, BF16, F64); no other tensor may be. batchnorm's
 * num_batches_tracked counter is accepted with any dtype, or absent, and ignored (as PyTorch's
 * load_state_dict does for old checkpoints). Problems are collected and thrown as one WeightsError.
 */
export function loadWeights(graph: Graph, path: string, allocate: Allocator = plainAllocator): GraphWeights {
  const file = SafetensorsFile.open(path);
  try {
    const slots = weightSlots(graph);
    const expected = new Set(slots.map((s) => s.key));
    const missing: string[] = [];
    const misshaped: string[] = [];
    const wrongType: string[] = [];
    for (const { key, spec } of slots) {
      const e = file.entries.get(key);
      if (spec.dtype === 'int64') continue;
      if (!e) {
        missing.push(`${key} [${spec.shape.join(', ')}]`);
        continue;
      }
      if (e.shape.length !== spec.shape.length || e.shape.some((d, i) => d !== spec.shape[i])) {
        misshaped.push(`${key}: [${e.shape.join(', ')}] in the file, the model expects [${spec.shape.join(', ')}]`);
      } else if (!FLOAT_DTYPES.includes(e.dtype)) {
        wrongType.push(`${key}: dtype ${e.dtype}, expected a float type (${FLOAT_DTYPES.join(', ')})`);
      }
    }
    const unexpected = [...file.entries.values()].filter((e) => !expected.has(e.key)).map((e) => `${e.key} [${e.shape.join(', ')}]`);
    const sections: [string, string[]][] = [
      ['missing from the file', missing],
      ['not in the model', unexpected],
      ['with the wrong shape', misshaped],
      ['with the wrong dtype', wrongType],
    ];
    const problems = sections.filter(([, list]) => list.length > 0);
    if (problems.length > 0) {
      const count = problems.reduce((n, [, list]) => n + list.length, 0);
      const lines = [`${path}: ${count} tensor${count === 1 ? '' : 's'} do${count === 1 ? 'es' : ''} not fit the model '${graph.name}':`];
      for (const [what, list] of problems) {
        lines.push(`  ${list.length} ${what}:`);
        for (const item of list.slice(0, LIST_LIMIT)) lines.push(`    ${item}`);
        if (list.length > LIST_LIMIT) lines.push(`    ... and ${list.length - LIST_LIMIT} more`);
      }
      throw new WeightsError(lines.join('\n'));
    }
    return fillAll(graph, allocate, ({ key }, out) => file.readFloat32(key, out));
  } finally {
    file.close();
  }
}
