/**
 * gelu: the Gaussian error linear unit x · Φ(x) (PyTorch's nn.GELU, the activation of ConvNeXt
 * and vision transformers), exact with erf or, with `approximate: tanh`, by Hendrycks and
 * Gimpel's tanh formula. Any shape; no tensors.
 */
import { erf } from '../kernels/erf.js';
import { choice } from './args.js';
import { elementwise } from './elementwise.js';
import { OnnxFormError } from './onnx.js';

export interface GeluArgs {
  readonly approximate: 'none' | 'tanh';
}

/** √(2/π), torch's kBeta. */
const BETA = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;

export const gelu = elementwise<GeluArgs>({
  kind: 'gelu',
  summary: 'Gaussian error linear unit, x · Φ(x), exact (erf) or its tanh approximation (nn.GELU)',
  display: { category: 'activation', detail: (a) => (a.approximate === 'tanh' ? 'tanh' : '') },
  args: {
    approximate: choice({
      values: ['none', 'tanh'] as const,
      default: 'none',
      doc: '"none": x · ½(1 + erf(x/√2)); "tanh": ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as nn.GELU',
    }),
  },
  flopsPerElement: (a) => (a.approximate === 'tanh' ? 9 : 5),
  /**
   * The Erf form torch writes (ONNX's Gelu is opset 20): x · (1 + erf(x / √2)) · 0.5. The tanh
   * approximation has no form cnnscope writes (ONNX has it only in Gelu, opset 20).
   */
  onnx(e, a) {
    if (a.approximate === 'tanh') throw new OnnxFormError("approximate 'tanh' has no ONNX form before opset 20 (Gelu)");
    const [x] = e.inputs;
    const scalar = (v: number) => e.constant([v], 'float', []);
    const erfOf = e.node('Erf', [e.node('Div', [x, scalar(Math.SQRT2)])]);
    const gated = e.node('Mul', [x, e.node('Add', [erfOf, scalar(1)])]);
    e.node('Mul', [gated, scalar(0.5)], {}, e.output);
  },
  docs: {
    flops:
      '`5·E` exact: a multiply by 1/√2, an erf, an add, two multiplies; `9·E` with `approximate: tanh`: x³ (2 multiplies), a multiply by 0.044715, an add, a multiply by √(2/π), a tanh, an add, two multiplies',
  },
  /**
   * torch's formulas in float64 (erf from src/kernels/erf.ts), rounded once. NaN stays NaN, +∞
   * gives ∞, -∞ gives NaN (-∞ · 0); -0, and negative x far enough that 1 + erf is 0, give -0, as
   * torch's float64 kernel (its float32 vectorized kernel gives +0 there).
   */
  map(src, dst, a) {
    if (a.approximate === 'tanh') {
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        dst[i] = 0.5 * v * (1 + Math.tanh(BETA * (v + KAPPA * v * v * v)));
      }
    } else {
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        dst[i] = v * 0.5 * (1 + erf(v * Math.SQRT1_2));
      }
    }
  },
});
