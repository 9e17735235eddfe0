/**
 * relu: the rectified linear unit max(0, x) (PyTorch's nn.ReLU). Any shape; no tensors.
 */
import { elementwise } from './elementwise.js';
import { single } from './onnx.js';

export const relu = elementwise({
  kind: 'relu',
  summary: 'rectified linear unit, max(0, x) (nn.ReLU)',
  display: { category: 'activation' },
  flopsPerElement: 1,
  /** Relu. */
  onnx(e) {
    single(e, 'Relu');
  },
  docs: { flops: '`E`: one max per element' },
  /** NaN stays NaN, as torch.relu. */
  map(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      dst[i] = v < 0 ? 0 : v;
    }
  },
});
