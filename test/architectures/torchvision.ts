/**
 * Compares a built graph with a torchvision reference fixture (test/fixtures/torchvision/*.json,
 * see its README): parameter and buffer totals, a one-to-one mapping of state_dict keys onto
 * our layers' tensors (key = layer name + '.' + tensor name, same shape and dtype), the output
 * shape of every fixture leaf module that is a layer of ours, and the model's output shape.
 *
 * Shared by every architecture family's tests: keep the exported signatures stable.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Graph, LayerNode } from '../../src/graph/graph.js';
import { stateDictKey } from '../../src/execute/weights.js';
import { numel } from '../../src/layers/kind.js';
import { analyze, loadBundled } from '../../src/index.js';

/** `[name, type, shape]`; shape without the batch, `null` when the module did not run in eval mode. */
export type FixtureModule = readonly [name: string, type: string, shape: readonly number[] | null];

export interface TorchvisionFixture {
  readonly model: string;
  readonly torch_version: string;
  readonly torchvision_version: string;
  readonly params: number;
  readonly trainable_params: number;
  readonly buffers: number;
  readonly published_num_params: number | null;
  /** With the batch: [1, 3, 224, 224]. */
  readonly input_shape: readonly number[];
  /** With the batch: [1, 1000]. */
  readonly output_shape: readonly number[];
  /** `[key, shape, dtype]` in state_dict() order. */
  readonly state_dict: readonly (readonly [key: string, shape: readonly number[], dtype: 'float' | 'int64'])[];
  /** Leaf modules in named_modules() order. */
  readonly modules: readonly FixtureModule[];
  readonly blocks: readonly FixtureModule[];
  readonly macs: number;
  /** googlenet_aux only. */
  readonly not_called_in_eval?: readonly string[];
  readonly aux_output_shapes?: Readonly<Record<string, readonly number[]>>;
  readonly aux_output_shapes_batch?: number;
  readonly train_only_modules?: readonly FixtureModule[];
  readonly train_macs?: number;
}

const FIXTURES = new URL('../fixtures/torchvision/', import.meta.url);

/** Reads `test/fixtures/torchvision/<name>.json` (`resnet50`, `googlenet_aux`, ...). */
export function loadFixture(name: string): TorchvisionFixture {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as TorchvisionFixture;
}

/** The graph's layers by full name, without the input node. */
export function layersByName(graph: Graph): Map<string, LayerNode> {
  const out = new Map<string, LayerNode>();
  for (const node of graph.nodes) if (node.kind !== 'input') out.set(node.name, node);
  return out;
}

/** Our state_dict: `layer.tensor` keys in graph order, with shape, dtype and role. */
export function stateDict(graph: Graph): { key: string; shape: number[]; dtype: string; role: string }[] {
  const out = [];
  for (const node of graph.nodes) {
    if (node.kind === 'input') continue;
    for (const t of node.tensors) out.push({ key: stateDictKey(node.name, t.name), shape: [...t.shape], dtype: t.dtype, role: t.role });
  }
  return out;
}

/** Parameter and buffer element totals over the whole graph, as model.parameters() / model.buffers(). */
export function totals(graph: Graph): { params: number; buffers: number } {
  let params = 0;
  let buffers = 0;
  for (const t of stateDict(graph)) {
    if (t.role === 'parameter') params += numel(t.shape);
    else buffers += numel(t.shape);
  }
  return { params, buffers };
}

/**
 * The module that owns a state_dict key: `features.0.weight` -> `features.0`. A bare parameter's
 * owner is a container, not a leaf module (ConvNeXt's `features.1.0.layer_scale` -> the CNBlock
 * `features.1.0`), which cnnscope models as a layer named after the key (a TensorSpec named '').
 */
function owner(key: string): string {
  return key.slice(0, key.lastIndexOf('.'));
}

/**
 * The per-module output shape the fixture knows: the eval-mode shape, or, for modules that
 * only run in training (googlenet's aux heads, `null` in `modules`), the train-mode shape from
 * `train_only_modules` when the fixture has it.
 */
export function fixtureShapes(fixture: TorchvisionFixture): Map<string, readonly number[] | null> {
  const train = new Map((fixture.train_only_modules ?? []).map(([name, , shape]) => [name, shape]));
  return new Map(fixture.modules.map(([name, , shape]) => [name, shape ?? train.get(name) ?? null]));
}

/**
 * Asserts that `graph` is the fixture's model:
 * - total params and buffers equal the fixture's;
 * - the state_dict keys map one to one onto our tensors (compared as sets, and the counts
 *   are equal), each with the same shape and dtype;
 * - every fixture leaf module that owns tensors is a layer of ours;
 * - every fixture leaf module whose name is a layer of ours has the same output shape
 *   (modules with no known shape are skipped);
 * - the first graph output has the fixture's output shape (without the batch).
 */
export function expectMatchesTorchvision(graph: Graph, fixture: TorchvisionFixture): void {
  const what = `${graph.name} vs torchvision ${fixture.model}`;
  const ours = stateDict(graph);
  const sum = totals(graph);
  expect(sum.params, `${what}: params`).toBe(fixture.params);
  expect(sum.buffers, `${what}: buffers`).toBe(fixture.buffers);

  // state_dict: same key set, same count, same shapes and dtypes.
  const ourKeys = new Map(ours.map((t) => [t.key, t]));
  const theirKeys = new Map(fixture.state_dict.map(([key, shape, dtype]) => [key, { shape, dtype }]));
  expect(ourKeys.size, `${what}: duplicate state_dict keys in the graph`).toBe(ours.length);
  const missing = [...theirKeys.keys()].filter((k) => !ourKeys.has(k));
  const extra = [...ourKeys.keys()].filter((k) => !theirKeys.has(k));
  expect(missing, `${what}: torchvision state_dict keys with no tensor of ours`).toEqual([]);
  expect(extra, `${what}: tensors of ours that torchvision does not have`).toEqual([]);
  expect(ours.length, `${what}: state_dict key count`).toBe(fixture.state_dict.length);
  const wrong: string[] = [];
  for (const [key, theirs] of theirKeys) {
    const t = ourKeys.get(key)!;
    if (JSON.stringify(t.shape) !== JSON.stringify(theirs.shape) || t.dtype !== theirs.dtype) {
      wrong.push(`${key}: ours [${t.shape}] ${t.dtype}, torchvision [${theirs.shape}] ${theirs.dtype}`);
    }
  }
  expect(wrong, `${what}: state_dict tensors with a different shape or dtype`).toEqual([]);

  // Leaf modules: every one with tensors is ours; every one that is ours has the same output shape.
  const layers = layersByName(graph);
  const owners = new Set(fixture.state_dict.map(([key]) => owner(key)));
  const absent = fixture.modules.filter(([name]) => owners.has(name) && !layers.has(name)).map(([name]) => name);
  expect(absent, `${what}: torchvision modules with tensors that are not layers of ours`).toEqual([]);
  const shapes = fixtureShapes(fixture);
  const mismatched: string[] = [];
  for (const [name, shape] of shapes) {
    const node = layers.get(name);
    if (!node || shape === null) continue;
    if (JSON.stringify(node.outputShape) !== JSON.stringify(shape)) {
      mismatched.push(`${name}: ours [${node.outputShape}], torchvision [${shape}]`);
    }
  }
  expect(mismatched, `${what}: leaf module output shapes`).toEqual([]);

  // The model's output.
  const out = graph.nodes[graph.outputs[0]];
  expect([...out.outputShape], `${what}: output shape`).toEqual(fixture.output_shape.slice(1));
}

/**
 * Per-sample MACs of conv and linear layers, as the fixtures count them. With `outputs`, only
 * the layers the given outputs depend on are counted (the eval-mode pass of a model with aux heads).
 */
export function macs(graph: Graph, outputs: readonly number[] = graph.outputs): number {
  const needed = new Set<number>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    stack.push(...graph.nodes[id].inputs);
  }
  let total = 0;
  for (const node of graph.nodes) {
    if (node.kind === 'input' || !needed.has(node.id)) continue;
    total += node.layer.cost(node.inputShapes, node.outputShape, node.args).macs;
  }
  return total;
}

/** The layer a scope ends with (a block's output): the last layer named `name` or `name.*`. */
export function blockOutput(graph: Graph, name: string): LayerNode | undefined {
  let last: LayerNode | undefined;
  for (const node of graph.nodes) if (node.name === name || node.name.startsWith(`${name}.`)) last = node;
  return last;
}

/**
 * Asserts that each fixture block (`blocks`: `features`, `layer1.0`, `inception3a`, ...) is a
 * scope of ours whose last layer has the block's output shape. Blocks with no known shape are skipped.
 */
export function expectBlockShapes(graph: Graph, fixture: TorchvisionFixture): void {
  const wrong: string[] = [];
  for (const [name, , shape] of fixture.blocks) {
    const node = blockOutput(graph, name);
    if (!node) wrong.push(`${name}: no such scope`);
    else if (shape !== null && JSON.stringify(node.outputShape) !== JSON.stringify(shape)) {
      wrong.push(`${name} (ends with ${node.name}): ours [${node.outputShape}], torchvision [${shape}]`);
    }
  }
  expect(wrong, `${graph.name} vs torchvision ${fixture.model}: block output shapes`).toEqual([]);
}

/** torchvision module types to cnnscope layer kinds. */
export const TORCH_KINDS: Readonly<Record<string, string>> = {
  Conv2d: 'conv',
  Linear: 'linear',
  BatchNorm2d: 'batchnorm',
  ReLU: 'relu',
  MaxPool2d: 'maxpool',
  AvgPool2d: 'avgpool',
  AdaptiveAvgPool2d: 'adaptive_avgpool',
  Dropout: 'dropout',
  Flatten: 'flatten',
  LocalResponseNorm: 'lrn',
  Identity: 'identity',
};

/**
 * For models that are plain chains of modules (AlexNet, VGG): our layers are exactly the
 * fixture's leaf modules, in the same order and of the corresponding kinds, plus the layers
 * named in `extra` (functional operations torchvision has no module for, e.g. `flatten`).
 */
export function expectSameModules(graph: Graph, fixture: TorchvisionFixture, extra: readonly string[] = []): void {
  const ours = [...layersByName(graph).values()].filter((n) => !extra.includes(n.name)).map((n) => [n.name, n.kind]);
  const theirs = fixture.modules.map(([name, type]) => [name, TORCH_KINDS[type] ?? `(torch ${type})`]);
  expect(ours, `${graph.name} vs torchvision ${fixture.model}: layers`).toEqual(theirs);
  for (const name of extra) expect(layersByName(graph).has(name), `${graph.name}: extra layer ${name}`).toBe(true);
}

/**
 * For graphs with branches (ResNet, DenseNet), where the order of layers and of modules differ:
 * every torchvision leaf module is a layer of ours of the corresponding kind, and our other
 * layers match `extra` (sums and concatenations written in torchvision's forward).
 */
export function expectSameLayerSet(
  graph: Graph,
  fixture: TorchvisionFixture,
  extra: RegExp,
  kinds: Readonly<Record<string, string>> = TORCH_KINDS,
): void {
  const layers = layersByName(graph);
  const theirs = fixture.modules.map(([name, type]) => [name, kinds[type] ?? `(torch ${type})`]);
  expect(theirs.map(([name]) => [name, layers.get(name)?.kind])).toEqual(theirs);
  const names = new Set(fixture.modules.map(([name]) => name));
  expect([...layers.keys()].filter((n) => !names.has(n) && !extra.test(n))).toEqual([]);
}

export interface FamilyCheck {
  /** torchvision's published parameter count per model (the `num_params` of its weights). */
  readonly published: Readonly<Record<string, number>>;
  /** The name of the classifier layer, the first output. */
  readonly output: string;
  /** Our layers torchvision has no module for (residual sums, functional ops in forward). */
  readonly extra: RegExp;
  /** torchvision module types mapped to our kinds where the family differs from TORCH_KINDS. */
  readonly kinds?: Readonly<Record<string, string>>;
  /** Modules torchvision runs channels last, between two Permutes (see asChannelsFirst). */
  readonly channelsLast?: RegExp;
}

/** The type asChannelsFirst gives an nn.Linear run channels last: our `channel_linear`. */
export const CHANNELS_LAST_LINEAR = 'Linear (channels last)';

/**
 * The fixture as cnnscope's channels-first kinds see it, for the modules (names matching
 * `pattern`) that torchvision runs channels last between two Permutes (ConvNeXt's CNBlock,
 * block.1 to block.6): our layernorm and channel_linear work on [C, H, W] as it is, so the Permutes
 * are not layers of ours and are dropped; the others' [H, W, C] shapes become [C, H, W], and
 * their nn.Linear gets the type CHANNELS_LAST_LINEAR.
 */
export function asChannelsFirst(fixture: TorchvisionFixture, pattern: RegExp): TorchvisionFixture {
  const modules: FixtureModule[] = [];
  for (const [name, type, shape] of fixture.modules) {
    if (!pattern.test(name)) modules.push([name, type, shape]);
    else if (type !== 'Permute') {
      const channelsFirst = shape?.length === 3 ? [shape[2], shape[0], shape[1]] : shape;
      modules.push([name, type === 'Linear' ? CHANNELS_LAST_LINEAR : type, channelsFirst]);
    }
  }
  return { ...fixture, modules };
}

/**
 * For each model of a family: the published parameter count, buffers and output; the state_dict,
 * every module and block shape, and the MACs, against the fixture; and the same layers both ways:
 * every torchvision leaf module is a layer of ours of the matching kind, ours beyond them are only `extra`.
 */
export function describeFamily(title: string, family: FamilyCheck): void {
  const kinds: Readonly<Record<string, string>> = { ...TORCH_KINDS, ...family.kinds };
  describe(title, () => {
    for (const [model, params] of Object.entries(family.published)) {
      describe(model, () => {
        const fixture = family.channelsLast ? asChannelsFirst(loadFixture(model), family.channelsLast) : loadFixture(model);
        const graph = loadBundled(model);

        it(`has the published ${params.toLocaleString('en-US')} parameters and a [1, 1000] output`, () => {
          expect(fixture.published_num_params).toBe(params);
          const report = analyze(graph);
          expect(report.model).toBe(model);
          expect(report.totals.params).toBe(params);
          expect(report.totals.trainable_params).toBe(params);
          expect(report.totals.buffers).toBe(fixture.buffers);
          expect(report.outputs).toEqual([{ name: family.output, shape: [1, 1000] }]);
        });

        it('matches the state_dict, every module and block shape, and the MACs', () => {
          expectMatchesTorchvision(graph, fixture);
          expectBlockShapes(graph, fixture);
          expect(macs(graph)).toBe(fixture.macs);
        });

        it('has the same layers as torchvision, and only the documented extras', () => {
          expectSameLayerSet(graph, fixture, family.extra, kinds);
        });
      });
    }
  });
}
