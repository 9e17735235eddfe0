/**
 * relu6: the rectified linear unit capped at 6, min(max(0, x), 6) (PyTorch's nn.ReLU6, the
 * activation of MobileNet). Any shape; no tensors.
 */
import { elementwise } from './elementwise.js';

export const relu6 = elementwise({
  kind: 'relu6',
  summary: 'rectified linear unit capped at 6, min(max(0, x), 6) (nn.ReLU6)',
  display: { category: 'activation' },
  flopsPerElement: 2,
  /** Clip to [0, 6], its bounds as inputs (opset 11 on), as torch writes ReLU6. */
  onnx(e) {
    e.node('Clip', [e.inputs[0], e.constant([0], 'float', []), e.constant([6], 'float', [])], {}, e.output);
  },
  docs: { flops: '`2·E`: one max and one min per element' },
  /** NaN stays NaN and -0 stays -0, as torch.nn.functional.relu6. */
  map(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      dst[i] = v < 0 ? 0 : v > 6 ? 6 : v;
    }
  },
});
