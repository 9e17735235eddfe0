/**
 * hardsigmoid: relu6(x + 3) / 6 (PyTorch's nn.Hardsigmoid, the gate of MobileNet v3's
 * squeeze-and-excitation). Any shape; no tensors.
 */
import { elementwise } from './elementwise.js';
import { attr, single } from './onnx.js';

export const hardsigmoid = elementwise({
  kind: 'hardsigmoid',
  summary: 'min(max(x + 3, 0), 6) / 6 (nn.Hardsigmoid)',
  display: { category: 'activation' },
  flopsPerElement: 4,
  /** HardSigmoid with PyTorch's alpha 1/6 and beta 1/2 (ONNX's defaults are 0.2 and 0.5). */
  onnx(e) {
    single(e, 'HardSigmoid', { alpha: attr.float(1 / 6), beta: attr.float(0.5) });
  },
  docs: { flops: '`4·E`: an add, a max, a min and a divide by 6 per element' },
  /** torch's formula in float64, rounded once. NaN stays NaN; ±0 gives 0.5, as torch.nn.functional.hardsigmoid. */
  map(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const t = src[i] + 3;
      dst[i] = (t < 0 ? 0 : t > 6 ? 6 : t) / 6;
    }
  },
});
