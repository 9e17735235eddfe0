/**
 * silu: x · sigmoid(x), the sigmoid-weighted linear unit or swish (PyTorch's nn.SiLU, the
 * activation of EfficientNet). Any shape; no tensors.
 */
import { elementwise } from './elementwise.js';

export const silu = elementwise({
  kind: 'silu',
  summary: 'sigmoid-weighted linear unit (swish), x / (1 + exp(−x)) (nn.SiLU)',
  display: { category: 'activation' },
  flopsPerElement: 3,
  /** x · Sigmoid(x), as torch writes SiLU (ONNX has no SiLU operator). */
  onnx(e) {
    const [x] = e.inputs;
    e.node('Mul', [x, e.node('Sigmoid', [x])], {}, e.output);
  },
  docs: { flops: '`3·E`: an exponential, an add and a divide per element, as torch computes x / (1 + exp(−x))' },
  /**
   * torch's formula x / (1 + e^(-x)) in float64, rounded once. NaN stays NaN, -0 stays -0, +∞
   * gives ∞ and -∞ gives NaN (-∞ / ∞), as torch.nn.functional.silu.
   */
  map(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      dst[i] = v / (1 + Math.exp(-v));
    }
  },
});
