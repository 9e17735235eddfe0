/**
 * leaky_relu: x for x > 0, negative_slope · x otherwise (PyTorch's nn.LeakyReLU). Any shape; no
 * tensors.
 */
import { number } from './args.js';
import { elementwise } from './elementwise.js';
import { attr, single } from './onnx.js';

export interface LeakyReluArgs {
  readonly negative_slope: number;
}

export const leaky_relu = elementwise<LeakyReluArgs>({
  kind: 'leaky_relu',
  summary: 'leaky rectified linear unit, x if x > 0 else negative_slope · x (nn.LeakyReLU)',
  display: { category: 'activation' },
  args: {
    negative_slope: number({ default: 0.01, doc: 'the slope for x ≤ 0' }),
  },
  flopsPerElement: 2,
  /** LeakyRelu with alpha, the negative slope. */
  onnx(e, a) {
    single(e, 'LeakyRelu', { alpha: attr.float(a.negative_slope) });
  },
  docs: { flops: '`2·E`: a comparison and a multiply per element (counted for every element)' },
  /**
   * torch's `x > 0 ? x : x * negative_slope`, the slope rounded to float32 as torch's float32
   * kernel does (so the product is the float32 one). NaN stays NaN, -0 stays -0; -∞ times a slope
   * of 0 is NaN, as in torch.
   */
  map(src, dst, a) {
    const slope = Math.fround(a.negative_slope);
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      dst[i] = v > 0 ? v : v * slope;
    }
  },
});
