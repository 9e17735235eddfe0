/**
 * mul: elementwise product of two inputs whose shapes broadcast (`x * y` in PyTorch), as
 * squeeze-and-excitation and gating multiply a feature map [C, H, W] by channel weights [C, 1, 1].
 * Broadcasting is NumPy's, on the per-sample shapes: aligned from the right, each pair of sizes
 * equal or one of them 1. No tensors.
 */
import type { Tensor } from '../kernels/tensor.js';
import { LayerError, formatShape, numel, type LayerKind, type Shape } from './kind.js';
import { single, OnnxFormError } from './onnx.js';

/** The broadcast of two per-sample shapes, or the first pair of sizes (from the right) that do not broadcast. */
function broadcast(a: Shape, b: Shape): { shape: number[] } | { conflict: [number, number] } {
  const rank = Math.max(a.length, b.length);
  const shape = new Array<number>(rank);
  for (let k = 1; k <= rank; k++) {
    const da = a[a.length - k] ?? 1;
    const db = b[b.length - k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return { conflict: [da, db] };
    shape[rank - k] = da === 1 ? db : da;
  }
  return { shape };
}

/** Element strides of `shape` read as `out` (rank-padded on the left): 0 along broadcast axes. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let stride = 1;
  for (let k = 1; k <= shape.length; k++) {
    const d = shape[shape.length - k];
    if (d !== 1) strides[out.length - k] = stride;
    stride *= d;
  }
  return strides;
}

export const mul: LayerKind<Record<string, never>> = {
  kind: 'mul',
  summary: 'elementwise product of two inputs, with broadcasting (squeeze-and-excitation, gating)',
  arity: { min: 2, max: 2 },
  display: { category: 'arithmetic' },
  args: {},
  resolve(_raw, inputs) {
    const [a, b] = inputs as [Shape, Shape];
    const r = broadcast(a, b);
    if ('conflict' in r) {
      // Inputs are numbered from 1, as the user reads them in the `inputs` list.
      throw new LayerError(
        `input 2 has shape ${formatShape(b)}, input 1 has ${formatShape(a)}: they do not broadcast (${r.conflict[1]} against ${r.conflict[0]}; aligned from the right, sizes must be equal or 1)`,
      );
    }
    return {};
  },
  outputShape(inputs) {
    return (broadcast(inputs[0], inputs[1]) as { shape: number[] }).shape;
  },
  tensors() {
    return [];
  },
  cost(_inputs, output) {
    return { macs: 0, flops: numel(output) };
  },
  receptiveField() {
    // Pointwise along each input; the analysis combines the paths.
    return { type: 'pointwise' };
  },
  /**
   * y = a · b per sample: the output is walked in C order, the innermost axis in a loop, the outer
   * ones by an odometer that moves each input's offset by its broadcast strides. Each product of
   * two float32 values is exact in float64, so storing it rounds once, as torch's float32 multiply.
   */
  forward(xs, _a, _w, ctx) {
    const [a, b] = xs as [Tensor, Tensor];
    const n = a.shape[0];
    const shapeA = a.shape.slice(1);
    const shapeB = b.shape.slice(1);
    const out = (broadcast(shapeA, shapeB) as { shape: number[] }).shape;
    const y = ctx.alloc([n, ...out]);
    const stridesA = broadcastStrides(shapeA, out);
    const stridesB = broadcastStrides(shapeB, out);
    const rank = out.length;
    const inner = out[rank - 1];
    const innerA = stridesA[rank - 1];
    const innerB = stridesB[rank - 1];
    const outer = numel(out) / inner;
    const sizeA = numel(shapeA);
    const sizeB = numel(shapeB);
    const da = a.data;
    const db = b.data;
    const dst = y.data;
    const index = new Array<number>(rank).fill(0);
    let o = 0;
    for (let s = 0; s < n; s++) {
      let offA = s * sizeA;
      let offB = s * sizeB;
      for (let k = 0; k < outer; k++) {
        for (let j = 0; j < inner; j++) dst[o++] = da[offA + j * innerA] * db[offB + j * innerB];
        // The odometer over the outer axes, last fastest; it wraps back to the sample's start.
        for (let d = rank - 2; d >= 0; d--) {
          offA += stridesA[d];
          offB += stridesB[d];
          if (++index[d] < out[d]) break;
          offA -= stridesA[d] * out[d];
          offB -= stridesB[d] * out[d];
          index[d] = 0;
        }
      }
    }
    return y;
  },
  /**
   * Mul. ONNX broadcasts the full shapes, batch included, from the right: the per-sample shapes
   * broadcast the same only when they have the same rank.
   */
  onnx(e, _a, inputs) {
    if (inputs[0].length !== inputs[1].length) {
      throw new OnnxFormError(`inputs of ranks ${inputs[0].length} and ${inputs[1].length} broadcast differently once the batch is added`);
    }
    single(e, 'Mul');
  },
  docs: {
    shapes:
      'two inputs whose shapes broadcast (NumPy rules on the per-sample shapes, aligned from the right: `[C, H, W]` and `[C, 1, 1]`), the broadcast shape out',
    flops: '`E`: one multiply per output element',
  },
};
