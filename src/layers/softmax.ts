/**
 * softmax: exp(x_i) / sum_j exp(x_j) over the features of [F], or over the channels of [C, H, W]
 * at each position (PyTorch's nn.Softmax(dim=1) with the batch). Output has the input's shape; no tensors.
 */
import { numel, type LayerKind } from './kind.js';
import { attr, single } from './onnx.js';

export const softmax: LayerKind<Record<string, never>> = {
  kind: 'softmax',
  summary: 'softmax over features, or over channels at each position (nn.Softmax(dim=1))',
  arity: { min: 1, max: 1 },
  display: { category: 'activation' },
  args: {},
  resolve() {
    return {};
  },
  outputShape(inputs) {
    return inputs[0];
  },
  tensors() {
    return [];
  },
  cost(inputs) {
    // 3 per element: 1 exp, 1 add into the sum (n - 1 adds per sum, rounded up to n), 1 divide.
    // The max subtracted for numerical stability is not counted.
    return { macs: 0, flops: 3 * numel(inputs[0]) };
  },
  receptiveField(inputs) {
    // Over flat features every output depends on all of them; over channels, space is untouched.
    return inputs[0].length === 1 ? { type: 'global' } : { type: 'pointwise' };
  },
  /**
   * Over axis 1: for each sample n and position p (p < inner = H*W, or 1 for flat features), over
   * the channels c at stride inner: y = exp(x - max) / sum exp(x - max), in float64.
   */
  forward([x], _a, _w, ctx) {
    const shape = x.shape;
    const n = shape[0];
    const c = shape[1];
    const inner = shape.slice(2).reduce((p, d) => p * d, 1);
    const y = ctx.alloc(shape);
    const src = x.data;
    const dst = y.data;
    for (let s = 0; s < n; s++) {
      for (let p = 0; p < inner; p++) {
        const base = s * c * inner + p;
        let max = -Infinity;
        for (let k = 0; k < c; k++) max = Math.max(max, src[base + k * inner]);
        let sum = 0;
        for (let k = 0; k < c; k++) sum += Math.exp(src[base + k * inner] - max);
        for (let k = 0; k < c; k++) dst[base + k * inner] = Math.exp(src[base + k * inner] - max) / sum;
      }
    }
    return y;
  },
  /** Softmax over axis 1, the channels or features (from opset 13, Softmax normalizes that one axis). */
  onnx(e) {
    single(e, 'Softmax', { axis: attr.int(1) });
  },
  docs: {
    shapes: '`[F]` or `[C, H, W]`, the same shape out',
    flops: '`3·E`: an exponential, an add into the sum, a divide (the max subtracted for stability is not counted)',
  },
};
