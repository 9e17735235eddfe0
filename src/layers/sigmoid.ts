/**
 * sigmoid: the logistic function 1 / (1 + e^(-x)) (PyTorch's nn.Sigmoid, the gate of
 * EfficientNet's squeeze-and-excitation). Any shape; no tensors.
 */
import { elementwise } from './elementwise.js';
import { single } from './onnx.js';

export const sigmoid = elementwise({
  kind: 'sigmoid',
  summary: 'logistic function, 1 / (1 + exp(−x)) (nn.Sigmoid)',
  display: { category: 'activation' },
  flopsPerElement: 3,
  /** Sigmoid. */
  onnx(e) {
    single(e, 'Sigmoid');
  },
  docs: { flops: '`3·E`: an exponential, an add and a divide per element (the negation is a sign flip, not counted)' },
  /**
   * In float64, rounded once: e^(-x) overflows to ∞ below x ≈ -709, giving 0 as it should. NaN
   * stays NaN, ±∞ give 1 and 0, as torch.sigmoid. (Where torch's float32 kernel has already
   * underflowed to 0, below x ≈ -88, this gives the float32 subnormal nearest the true value.)
   */
  map(src, dst) {
    for (let i = 0; i < src.length; i++) dst[i] = 1 / (1 + Math.exp(-src[i]));
  },
});
