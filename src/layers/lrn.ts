/**
 * lrn: local response normalization across channels (PyTorch's nn.LocalResponseNorm, AlexNet's LRN).
 * Input [C, H, W], output of the same shape; no tensors.
 *
 *   b_c = a_c / (k + alpha/size * sum of a_c'^2 over the `size` channels around c)^beta
 */
import { int, number } from './args.js';
import { numel, requireFeatureMap, type LayerKind } from './kind.js';
import { attr, single } from './onnx.js';

export interface LrnArgs {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
}

export const lrn: LayerKind<LrnArgs> = {
  kind: 'lrn',
  summary: 'local response normalization across channels (nn.LocalResponseNorm)',
  arity: { min: 1, max: 1 },
  display: { category: 'norm' },
  args: {
    size: int({ doc: 'number of neighbouring channels in the sum' }),
    alpha: number({ default: 1e-4, doc: 'scale of the sum of squares' }),
    beta: number({ default: 0.75, doc: 'exponent' }),
    k: number({ default: 1, doc: 'additive constant' }),
  },
  resolve(raw, inputs) {
    // PyTorch's local_response_norm needs at least [N, C, L]; the 2-D layer in a CNN sees [C, H, W].
    requireFeatureMap('lrn', inputs[0]);
    // Each value was checked and defaulted by `args` already.
    return raw as unknown as LrnArgs;
  },
  outputShape(inputs) {
    return inputs[0];
  },
  tensors() {
    return [];
  },
  cost(inputs, _output, a) {
    // Per element, as PyTorch computes it: 1 square (each square is computed once and shared by
    // the `size` windows that contain it), size - 1 adds for the window sum (zero padding at the
    // channel ends included), then 1 multiply by alpha/size, 1 add of k, 1 pow and 1 divide.
    return { macs: 0, flops: numel(inputs[0]) * (a.size + 4) };
  },
  receptiveField() {
    // It mixes channels only: in space each output sees its own position.
    return { type: 'pointwise' };
  },
  /**
   * As torch's local_response_norm: for each sample, channel c and position p,
   *   avg = (1/size) * sum of x[c', p]^2 for c' in [c - floor(size/2), c + floor((size-1)/2)]
   *         (channels outside [0, C) count as zeros, still divided by size),
   *   y = x[c, p] / (k + alpha * avg)^beta,  in float64.
   */
  forward([x], a, _w, ctx) {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const inner = h * w;
    const y = ctx.alloc(x.shape);
    const src = x.data;
    const dst = y.data;
    const before = Math.floor(a.size / 2);
    const after = Math.floor((a.size - 1) / 2);
    for (let s = 0; s < n; s++) {
      const base = s * c * inner;
      for (let ch = 0; ch < c; ch++) {
        const lo = Math.max(0, ch - before);
        const hi = Math.min(c - 1, ch + after);
        for (let p = 0; p < inner; p++) {
          let sum = 0;
          for (let k = lo; k <= hi; k++) {
            const v = src[base + k * inner + p];
            sum += v * v;
          }
          const i = base + ch * inner + p;
          dst[i] = src[i] / Math.pow(a.k + (a.alpha * sum) / a.size, a.beta);
        }
      }
    }
    return y;
  },
  /** LRN: ONNX's alpha, beta, bias and size are PyTorch's alpha, beta, k and size (both divide alpha by size). */
  onnx(e, a) {
    single(e, 'LRN', { size: attr.int(a.size), alpha: attr.float(a.alpha), beta: attr.float(a.beta), bias: attr.float(a.k) });
  },
  docs: {
    shapes: '`[C, H, W]`, the same shape out',
    flops:
      '`E·(size + 4)`: one square per element (shared between windows), `size − 1` adds, and per output a multiply by α/size, an add of k, a power and a divide',
  },
};
