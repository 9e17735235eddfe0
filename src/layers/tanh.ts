/**
 * tanh: the hyperbolic tangent (PyTorch's nn.Tanh). Any shape; no tensors.
 */
import { elementwise } from './elementwise.js';
import { single } from './onnx.js';

export const tanh = elementwise({
  kind: 'tanh',
  summary: 'hyperbolic tangent (nn.Tanh)',
  display: { category: 'activation' },
  flopsPerElement: 1,
  /** Tanh. */
  onnx(e) {
    single(e, 'Tanh');
  },
  docs: { flops: '`E`: one tanh per element' },
  /** Math.tanh in float64, rounded once. NaN stays NaN, -0 stays -0, ±∞ give ±1, as torch.tanh. */
  map(src, dst) {
    for (let i = 0; i < src.length; i++) dst[i] = Math.tanh(src[i]);
  },
});
