/**
 * hardswish: x · relu6(x + 3) / 6 (PyTorch's nn.Hardswish, the activation of MobileNet v3). Any
 * shape; no tensors.
 */
import { elementwise } from './elementwise.js';
import { attr, single } from './onnx.js';

export const hardswish = elementwise({
  kind: 'hardswish',
  summary: 'x · min(max(x + 3, 0), 6) / 6 (nn.Hardswish)',
  display: { category: 'activation' },
  flopsPerElement: 5,
  /** HardSwish from opset 14; at 13, x · HardSigmoid(x) (alpha 1/6, beta 1/2), as torch writes it there. */
  onnx(e) {
    if (e.opset >= 14) return single(e, 'HardSwish');
    const [x] = e.inputs;
    const gate = e.node('HardSigmoid', [x], { alpha: attr.float(1 / 6), beta: attr.float(0.5) });
    e.node('Mul', [x, gate], {}, e.output);
  },
  docs: { flops: '`5·E`: an add, a max, a min, a multiply by x and a divide by 6 per element' },
  /**
   * torch's formula, x * min(max(x + 3, 0), 6) / 6, in float64 and rounded once. NaN stays NaN,
   * -0 and x ≤ -3 give -0, -∞ gives NaN (-∞ · 0), as torch.nn.functional.hardswish.
   */
  map(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      const t = v + 3;
      dst[i] = (v * (t < 0 ? 0 : t > 6 ? 6 : t)) / 6;
    }
  },
});
