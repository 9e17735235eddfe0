/**
 * groupnorm: group normalization (PyTorch's nn.GroupNorm). The C channels are split into `groups`
 * groups of C/groups consecutive channels; each group of a sample (its channels at every position)
 * is normalized with its own mean and biased variance, then scaled and shifted per channel.
 * Input [C, H, W] or [F]; output of the same shape; weight and bias [C] when affine.
 */
import { bool, int, number } from './args.js';
import { LayerError, formatShape, numel, type LayerKind, type TensorSpec, type WeightInit } from './kind.js';
import { attr } from './onnx.js';

export interface GroupNormArgs {
  readonly groups: number;
  readonly eps: number;
  readonly affine: boolean;
}

/**
 * The FLOPs of a normalization of `elements` values in `sets` independent sets (groupnorm's
 * groups, layernorm's positions): per element an add into the mean, a subtract, a square, an add
 * into the variance and a multiply by 1/σ (5), plus a multiply and an add when affine; per set two
 * divides, the add of eps and a reciprocal square root (4).
 */
export function normFlops(elements: number, sets: number, affine: boolean): number {
  return (affine ? 7 : 5) * elements + 4 * sets;
}

/** The initialization of layernorm's and groupnorm's per-channel weight and bias. */
export const normInit: WeightInit = {
  /** reset_parameters of nn.LayerNorm and nn.GroupNorm: weight 1, bias 0. */
  pytorch(t) {
    return { constant: t.name === 'weight' ? 1 : 0 };
  },
  /** weight 1 + U(+-1/4), bias U(+-1/4), as batchnorm's. */
  synthetic(t) {
    return { uniform: 0.25, center: t.name === 'weight' ? 1 : 0 };
  },
};

export const groupnorm: LayerKind<GroupNormArgs> = {
  kind: 'groupnorm',
  summary: 'group normalization (nn.GroupNorm)',
  arity: { min: 1, max: 1 },
  display: { category: 'norm' },
  args: {
    groups: int({ doc: 'channel groups, each normalized on its own; must divide the channels' }),
    eps: number({ default: 1e-5, min: 0, exclusiveMin: true, doc: 'added to the variance for numerical stability' }),
    affine: bool({ default: true, doc: 'learn a scale (weight) and shift (bias) per channel' }),
  },
  resolve(raw, inputs) {
    const input = inputs[0];
    if (input.length !== 3 && input.length !== 1) {
      throw new LayerError(`groupnorm expects a feature map [C, H, W] or flat features [F], got ${formatShape(input)}`);
    }
    const a = raw as unknown as GroupNormArgs;
    if (input[0] % a.groups !== 0) throw new LayerError(`groups ${a.groups} does not divide the ${input[0]} channels`, 'groups');
    return a;
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
    return { macs: 0, flops: normFlops(numel(inputs[0]), a.groups, a.affine) };
  },
  receptiveField(inputs) {
    // A group's statistics couple all its positions, as batchnorm's do in training; the field
    // follows the windows that carry features (the usual convention), so on a feature map it is
    // pointwise. Over flat features every output depends on all of them, as softmax's.
    return inputs[0].length === 1 ? { type: 'global' } : { type: 'pointwise' };
  },
  /**
   * For each sample and group: its C/groups channels are contiguous, inner = H*W elements each (1
   * for flat features); mean and biased variance over the group in float64, rstd = 1 / sqrt(var +
   * eps), then per channel, as torch, x * scale + shift with scale = rstd * weight_c, shift =
   * bias_c - mean * scale.
   */
  forward([x], a, w, ctx) {
    const shape = x.shape;
    const n = shape[0];
    const c = shape[1];
    const inner = shape.slice(2).reduce((p, d) => p * d, 1);
    const cg = c / a.groups;
    const size = cg * inner;
    const y = ctx.alloc(shape);
    const src = x.data;
    const dst = y.data;
    const weight = a.affine ? w['weight'] : undefined;
    const bias = a.affine ? w['bias'] : undefined;
    for (let s = 0; s < n; s++) {
      for (let g = 0; g < a.groups; g++) {
        const base = (s * c + g * cg) * inner;
        let sum = 0;
        for (let i = base; i < base + size; i++) sum += src[i];
        const mean = sum / size;
        let squares = 0;
        for (let i = base; i < base + size; i++) {
          const d = src[i] - mean;
          squares += d * d;
        }
        const rstd = 1 / Math.sqrt(squares / size + a.eps);
        for (let k = 0; k < cg; k++) {
          const ch = g * cg + k;
          // As torch's kernel: x * scale + shift, so -0 at the mean becomes +0.
          const scale = weight ? rstd * weight[ch] : rstd;
          const shift = (bias ? bias[ch] : 0) - mean * scale;
          const start = base + k * inner;
          for (let i = start; i < start + inner; i++) dst[i] = src[i] * scale + shift;
        }
      }
    }
    return y;
  },
  init: normInit,
  /**
   * torch's form, at every opset (ONNX's GroupNormalization of opset 18 scales per group, not per
   * channel): Reshape to [N, groups, −1], InstanceNormalization (scale 1, bias 0) normalizes each
   * group, Reshape back to the input's shape, then Mul by the weight and Add the bias, made
   * [C, 1, 1] by Unsqueeze on a feature map.
   */
  onnx(e, a, inputs) {
    const [x] = e.inputs;
    const g = a.groups;
    const grouped = e.node('Reshape', [x, e.constant([0, g, -1])]);
    const unit = [e.constant(new Array<number>(g).fill(1), 'float'), e.constant(new Array<number>(g).fill(0), 'float')];
    const normalized = e.node('InstanceNormalization', [grouped, ...unit], { epsilon: attr.float(a.eps) });
    const restored = e.node('Reshape', [normalized, e.helper('Shape', [x])], {}, a.affine ? undefined : e.output);
    if (!a.affine) return;
    const perChannel = (t: string) => (inputs[0].length === 3 ? e.helper('Unsqueeze', [t, e.constant([1, 2])]) : t);
    e.node('Add', [e.node('Mul', [restored, perChannel(e.tensor('weight'))]), perChannel(e.tensor('bias'))], {}, e.output);
  },
  docs: {
    shapes: '`[C, H, W]` or `[F]`, the same shape out',
    params: '`2C` (scale and shift) when `affine`',
    flops:
      '`5·E + 4·groups`, `+ 2·E` when `affine`: per element an add into the mean, a subtract, a square, an add into the variance and a multiply by 1/σ; per group two divides, the add of eps and a reciprocal square root',
  },
};
