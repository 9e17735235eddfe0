/**
 * layernorm: layer normalization over the channels (PyTorch's nn.LayerNorm(C) on flat features
 * [C], and torchvision's LayerNorm2d on [C, H, W]: nn.LayerNorm over C at every position, as
 * ConvNeXt applies it, channels-last between permutes). Output has the input's shape; weight and
 * bias [C] when affine.
 *
 *   y = (x - mean) / sqrt(var + eps) * weight + bias,  mean and biased var over the C values of a position
 */
import { bool, number } from './args.js';
import { LayerError, formatShape, numel, type LayerKind, type TensorSpec } from './kind.js';
import { normFlops, normInit } from './groupnorm.js';
import { attr, reduceMean, TO_CHANNELS_FIRST, TO_CHANNELS_LAST } from './onnx.js';

export interface LayerNormArgs {
  readonly eps: number;
  readonly affine: boolean;
}

export const layernorm: LayerKind<LayerNormArgs> = {
  kind: 'layernorm',
  summary: 'layer normalization over the channels at each position (nn.LayerNorm, torchvision LayerNorm2d)',
  arity: { min: 1, max: 1 },
  display: { category: 'norm' },
  args: {
    // nn.LayerNorm's default; ConvNeXt sets 1e-6.
    eps: number({ default: 1e-5, min: 0, exclusiveMin: true, doc: 'added to the variance for numerical stability (ConvNeXt: 1e-6)' }),
    affine: bool({ default: true, doc: "learn a scale (weight) and shift (bias) per channel (nn.LayerNorm's elementwise_affine)" }),
  },
  resolve(raw, inputs) {
    const input = inputs[0];
    if (input.length !== 3 && input.length !== 1) {
      throw new LayerError(`layernorm expects a feature map [C, H, W] or flat features [F], got ${formatShape(input)}`);
    }
    // Each value was checked and defaulted by `args` already.
    return raw as unknown as LayerNormArgs;
  },
  outputShape(inputs) {
    return inputs[0];
  },
  tensors(inputs, a): TensorSpec[] {
    const c = inputs[0][0];
    if (!a.affine) return [];
    return [
      { name: 'weight', shape: [c], role: 'parameter', dtype: 'float' },
      { name: 'bias', shape: [c], role: 'parameter', dtype: 'float' },
    ];
  },
  cost(inputs, _output, a) {
    const input = inputs[0];
    // One normalized group per position: H*W of them on a feature map, one on flat features.
    return { macs: 0, flops: normFlops(numel(input), numel(input.slice(1)), a.affine) };
  },
  receptiveField(inputs) {
    // On a feature map it mixes channels only: in space each output sees its own position. Over
    // flat features every output depends on all of them, as softmax's.
    return inputs[0].length === 1 ? { type: 'global' } : { type: 'pointwise' };
  },
  /**
   * For each sample and position p (p < inner = H*W, or 1 for flat features), over the C channels
   * at stride inner, in float64: mean, biased variance, rstd = 1 / sqrt(var + eps), then, as torch,
   * x * scale + shift with scale = rstd * weight_c, shift = bias_c - mean * scale (weight 1, bias 0
   * when not affine).
   */
  forward([x], a, w, ctx) {
    const shape = x.shape;
    const n = shape[0];
    const c = shape[1];
    const inner = shape.slice(2).reduce((p, d) => p * d, 1);
    const y = ctx.alloc(shape);
    const src = x.data;
    const dst = y.data;
    const weight = a.affine ? w['weight'] : undefined;
    const bias = a.affine ? w['bias'] : undefined;
    for (let s = 0; s < n; s++) {
      for (let p = 0; p < inner; p++) {
        const base = s * c * inner + p;
        let sum = 0;
        for (let k = 0; k < c; k++) sum += src[base + k * inner];
        const mean = sum / c;
        let squares = 0;
        for (let k = 0; k < c; k++) {
          const d = src[base + k * inner] - mean;
          squares += d * d;
        }
        const rstd = 1 / Math.sqrt(squares / c + a.eps);
        for (let k = 0; k < c; k++) {
          const i = base + k * inner;
          // As torch's kernel: x * scale + shift, so -0 at the mean becomes +0.
          const scale = weight ? rstd * weight[k] : rstd;
          dst[i] = src[i] * scale + ((bias ? bias[k] : 0) - mean * scale);
        }
      }
    }
    return y;
  },
  init: normInit,
  /**
   * Over the channels, the last axis: on a feature map between Transposes to channels-last and
   * back (ConvNeXt's permutes). LayerNormalization from opset 17 when affine; otherwise the
   * decomposition torch writes before 17, (x − mean) / √(var + eps) · weight + bias: ReduceMean,
   * Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add.
   */
  onnx(e, a, inputs) {
    const map = inputs[0].length === 3;
    const x = map ? e.helper('Transpose', [e.inputs[0]], { perm: attr.ints(TO_CHANNELS_LAST) }) : e.inputs[0];
    const out = map ? undefined : e.output;
    let y: string;
    if (e.opset >= 17 && a.affine) {
      const inputs = [x, e.tensor('weight'), e.tensor('bias')];
      y = e.node('LayerNormalization', inputs, { axis: attr.int(-1), epsilon: attr.float(a.eps) }, out);
    } else {
      const scalar = (v: number) => e.constant([v], 'float', []);
      const centered = e.node('Sub', [x, reduceMean(e, x, [-1])]);
      const variance = reduceMean(e, e.node('Pow', [centered, scalar(2)]), [-1]);
      const std = e.node('Sqrt', [e.node('Add', [variance, scalar(a.eps)])]);
      const normalized = e.node('Div', [centered, std], {}, a.affine ? undefined : out);
      y = a.affine ? e.node('Add', [e.node('Mul', [normalized, e.tensor('weight')]), e.tensor('bias')], {}, out) : normalized;
    }
    if (map) e.helper('Transpose', [y], { perm: attr.ints(TO_CHANNELS_FIRST) }, e.output);
  },
  docs: {
    shapes: '`[C, H, W]` (over C at each position, LayerNorm2d) or `[F]` (`nn.LayerNorm(F)`), the same shape out',
    params: '`2C` (scale and shift) when `affine`',
    flops:
      '`5·E + 4·H·W` (`5·E + 4` on `[F]`), `+ 2·E` when `affine`: per element an add into the mean, a subtract, a square, an add into the variance and a multiply by 1/σ; per position two divides, the add of eps and a reciprocal square root',
  },
};
