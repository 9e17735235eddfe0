/**
 * Receptive fields (Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
 * Networks", Distill 2019), per axis, in one pass over the graph in topological order:
 *
 *   window (kernel k, stride s, leading padding p, dilation d), with k' = d*(k-1) + 1:
 *     size    r_out = r_in + (k' - 1) * j_in
 *     stride  j_out = j_in * s
 *     padding P_out = P_in + p * j_in
 *
 * A window over an input grid refined u times (transposed convolution, upsampling) is the same
 * with j_in / u for j_in; when u does not divide j_in the field is reported as global, with a warning.
 *
 * The first output unit sees input pixels [-P, -P + r - 1]; unit n is shifted by n*j. Where paths
 * meet (add, concat) the largest field is kept, with a warning when the paths disagree on the
 * stride or on the centre of the field. After global pooling or a linear layer the field is the
 * whole input: `global`.
 *
 * A second, windowed field ignores the inputs of a join that are broadcast over the positions (a
 * squeeze-and-excitation gate's [C, 1, 1] channel weights, a summary of the whole map): strictly
 * every unit after such a gate sees the whole input, but its windows are what the convolutions
 * see. It equals the strict field wherever no such join lies upstream.
 *
 * Every figure stays an exact integer: a size, stride or padding that passes 2^53 (as a repeated
 * stride doubles it) is refused with an AnalysisError at the layer where it does, never rounded.
 */
import type { Graph, LayerNode } from '../graph/graph.js';
import type { Shape } from '../layers/kind.js';
import { layerError, MAX_EXACT } from './exact.js';

export interface Field {
  readonly size: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
}

export type FieldOrGlobal = Field | 'global';

export interface FieldWarning {
  readonly layer: string;
  readonly message: string;
}

export interface FieldResult {
  /** Per node id: the receptive field of its output on the model input. */
  readonly fields: readonly FieldOrGlobal[];
  /** Per node id: the field through windows only, ignoring inputs broadcast over the positions (see above). */
  readonly windowed: readonly FieldOrGlobal[];
  readonly warnings: readonly FieldWarning[];
}

const INPUT_FIELD: Field = { size: [1, 1], stride: [1, 1], padding: [0, 0] };

/** The centre of the first unit's field, (r - 1) / 2 - P, as text; in BigInt, as 2P may pass 2^53. */
function centreText(f: Field, axis: 0 | 1): string {
  const doubled = BigInt(f.size[axis]) - 1n - 2n * BigInt(f.padding[axis]);
  const abs = doubled < 0n ? -doubled : doubled;
  return `${doubled < 0n ? '-' : ''}${abs / 2n}${abs % 2n === 1n ? '.5' : ''}`;
}

export function receptiveFields(graph: Graph): FieldResult {
  const fields: FieldOrGlobal[] = [];
  const windowed: FieldOrGlobal[] = [];
  const warnings: FieldWarning[] = [];
  // Warnings of the windowed pass that the strict one did not give (where the strict field is already global).
  const windowedWarnings: FieldWarning[] = [];
  for (const node of graph.nodes) {
    if (node.id === 0) {
      fields.push(INPUT_FIELD);
      windowed.push(INPUT_FIELD);
      continue;
    }
    const strict = nodeField(
      graph,
      node,
      node.inputs.map((i) => fields[i]),
      warnings,
    );
    fields.push(strict);
    // Only a join ignores some inputs, and never all of them: a window over a 1x1 map padded to a
    // larger one (a conv with padding) still reads its one input.
    const unbroadcast = node.inputs.filter((_, k) => !broadcastOverPositions(node.inputShapes[k], node.outputShape));
    const kept = node.inputs.length > 1 && unbroadcast.length > 0 ? unbroadcast : node.inputs;
    const same = kept.length === node.inputs.length && kept.every((i) => windowed[i] === fields[i]);
    // Where nothing upstream was ignored the windowed field is the strict one (the same object).
    windowed.push(
      same
        ? strict
        : nodeField(
            graph,
            node,
            kept.map((i) => windowed[i]),
            windowedWarnings,
          ),
    );
  }
  for (const w of windowedWarnings) warnings.push({ layer: w.layer, message: `windowed field: ${w.message}` });
  return { fields, windowed, warnings };
}

/**
 * An input of a join that every output position reads whole: its positions are 1x1 where the
 * output's are not, as a squeeze-and-excitation gate's [C, 1, 1] weights (axes aligned from the right).
 */
function broadcastOverPositions(input: Shape, output: Shape): boolean {
  if (output.length !== 3 || output[1] * output[2] === 1) return false;
  const h = input.length >= 2 ? input[input.length - 2] : 1;
  const w = input.length >= 1 ? input[input.length - 1] : 1;
  return h === 1 && w === 1;
}

/** The field of a node's output from its inputs' fields. */
function nodeField(graph: Graph, node: LayerNode, ins: readonly FieldOrGlobal[], warnings: FieldWarning[]): FieldOrGlobal {
  const step = node.layer.receptiveField(node.inputShapes, node.outputShape, node.args);
  if (step.type === 'global' || ins.includes('global')) return 'global';
  const inFields = ins as Field[];
  let f = inFields[0];
  if (inFields.length > 1) f = merge(node.name, inFields, warnings);
  if (step.type === 'window') {
    const up = step.upsample ?? [1, 1];
    if (f.stride[0] % up[0] !== 0 || f.stride[1] % up[1] !== 0) {
      // Neighbouring units would be a fraction of an input pixel apart, which integer fields
      // cannot say: reported conservatively as global, as non-uniform adaptive pooling is.
      warnings.push({
        layer: node.name,
        message: `upsamples by ${up[0]}x${up[1]} below the input's pixel grid (effective stride ${f.stride[0]}x${f.stride[1]}); the field is reported as global`,
      });
      return 'global';
    }
    const axis = (a: 0 | 1) => {
      const extent = step.dilation[a] * (step.kernel[a] - 1) + 1;
      // The spacing of the refined grid the window slides over (the input's when up is 1).
      const j = f.stride[a] / up[a];
      return {
        size: f.size[a] + (extent - 1) * j,
        stride: j * step.stride[a],
        padding: f.padding[a] + step.padding[a] * j,
      };
    };
    const [h, w] = [axis(0), axis(1)];
    for (const what of ['size', 'stride', 'padding'] as const) {
      // Operands are exact, so a true value past 2^53 never rounds back below it: this test is enough.
      if (!(h[what] <= MAX_EXACT && w[what] <= MAX_EXACT)) {
        throw layerError(
          graph,
          node,
          `the receptive field's ${what} reaches 2^53 here and cannot be counted exactly; cnnscope refuses rather than round (fewer strided or large-kernel layers keep it exact)`,
        );
      }
    }
    f = { size: [h.size, w.size], stride: [h.stride, w.stride], padding: [h.padding, w.padding] };
  }
  return f;
}

/** The largest field per axis; a warning when the paths' strides or centres differ. */
function merge(layer: string, ins: Field[], warnings: FieldWarning[]): Field {
  const pick = (a: 0 | 1) => ins.reduce((best, f) => (f.size[a] > best.size[a] ? f : best));
  const [h, w] = [pick(0), pick(1)];
  const strides = new Set(ins.map((f) => `${f.stride[0]}x${f.stride[1]}`));
  if (strides.size > 1) {
    warnings.push({
      layer,
      message: `paths meet with different effective strides (${[...strides].join(', ')}); the largest field is reported`,
    });
  } else {
    const centres = new Set(ins.map((f) => `${centreText(f, 0)},${centreText(f, 1)}`));
    if (centres.size > 1) {
      warnings.push({
        layer,
        message: `paths meet misaligned: their fields are centred at different input positions (${[...centres].map((c) => `(${c})`).join(', ')}); the largest field is reported`,
      });
    }
  }
  return { size: [h.size[0], w.size[1]], stride: [h.stride[0], w.stride[1]], padding: [h.padding[0], w.padding[1]] };
}

/** The last node before `id` (on its first-input chain) whose field is not global: what "global" replaced. */
export function lastSpatialField(graph: Graph, fields: readonly FieldOrGlobal[], id: number): { layer: string; field: Field } | undefined {
  for (let cur: number | undefined = id; cur !== undefined; cur = graph.nodes[cur].inputs[0]) {
    const f = fields[cur];
    if (f !== 'global' && graph.nodes[cur].outputShape.length === 3 && cur !== 0) return { layer: graph.nodes[cur].name, field: f };
  }
  return undefined;
}
