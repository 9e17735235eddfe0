/**
 * batchnorm: batch normalization (PyTorch's nn.BatchNorm2d on [C, H, W], nn.BatchNorm1d on [F]).
 * Output has the input's shape. Tensors are torchvision's state_dict entries for the layer.
 */
import { bool, number } from './args.js';
import { LayerError, formatShape, numel, type LayerKind, type TensorSpec } from './kind.js';
import { attr, OnnxFormError } from './onnx.js';

export interface BatchNormArgs {
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
}

export const batchnorm: LayerKind<BatchNormArgs> = {
  kind: 'batchnorm',
  summary: 'batch normalization (nn.BatchNorm2d, or nn.BatchNorm1d on flat features)',
  arity: { min: 1, max: 1 },
  display: { category: 'norm' },
  args: {
    eps: number({ default: 1e-5, min: 0, exclusiveMin: true, doc: 'added to the variance for numerical stability' }),
    momentum: number({ default: 0.1, min: 0, max: 1, doc: 'weight of the new batch in the running statistics' }),
    affine: bool({ default: true, doc: 'learn a scale (weight) and shift (bias) per channel' }),
  },
  resolve(raw, inputs) {
    const input = inputs[0];
    if (input.length !== 3 && input.length !== 1) {
      throw new LayerError(`batchnorm expects a feature map [C, H, W] or flat features [F], got ${formatShape(input)}`);
    }
    // Each value was checked and defaulted by `args` already.
    return raw as unknown as BatchNormArgs;
  },
  outputShape(inputs) {
    return inputs[0];
  },
  tensors(inputs, a): TensorSpec[] {
    const c = inputs[0][0];
    const stats: TensorSpec[] = [
      { name: 'running_mean', shape: [c], role: 'buffer', dtype: 'float' },
      { name: 'running_var', shape: [c], role: 'buffer', dtype: 'float' },
      // A scalar counter, kept even when momentum is set (torchvision checkpoints have it).
      { name: 'num_batches_tracked', shape: [], role: 'buffer', dtype: 'int64' },
    ];
    if (!a.affine) return stats;
    return [
      { name: 'weight', shape: [c], role: 'parameter', dtype: 'float' },
      { name: 'bias', shape: [c], role: 'parameter', dtype: 'float' },
      ...stats,
    ];
  },
  cost(inputs) {
    // At inference the statistics and the affine transform fold into one scale and one shift
    // per channel: 2 flops per element, whether or not the layer is affine.
    return { macs: 0, flops: 2 * numel(inputs[0]) };
  },
  receptiveField() {
    return { type: 'pointwise' };
  },
  /**
   * Inference mode, with the running statistics: per channel c,
   *   y = x * scale_c + shift_c,  scale_c = weight_c / sqrt(running_var_c + eps),
   *   shift_c = bias_c - running_mean_c * scale_c  (weight 1, bias 0 when not affine),
   * over the inner = H*W elements of channel c of each sample (1 for flat features).
   */
  forward([x], a, w, ctx) {
    const shape = x.shape;
    const n = shape[0];
    const c = shape[1];
    const inner = shape.slice(2).reduce((p, d) => p * d, 1);
    const y = ctx.alloc(shape);
    const mean = w['running_mean'];
    const variance = w['running_var'];
    const src = x.data;
    const dst = y.data;
    for (let ch = 0; ch < c; ch++) {
      const scale = (a.affine ? w['weight'][ch] : 1) / Math.sqrt(variance[ch] + a.eps);
      const shift = (a.affine ? w['bias'][ch] : 0) - mean[ch] * scale;
      for (let s = 0; s < n; s++) {
        const base = (s * c + ch) * inner;
        for (let i = base; i < base + inner; i++) dst[i] = src[i] * scale + shift;
      }
    }
    return y;
  },
  init: {
    /** nn.BatchNorm reset_parameters and reset_running_stats: weight 1, bias 0, running_mean 0, running_var 1. */
    pytorch(t) {
      return { constant: t.name === 'weight' || t.name === 'running_var' ? 1 : 0 };
    },
    /** weight 1 + U(+-1/4), bias U(+-1/4), running_mean U(+-1/4), running_var 1 + U(+-1/2) (positive). */
    synthetic(t) {
      if (t.name === 'running_var') return { uniform: 0.5, center: 1 };
      return { uniform: 0.25, center: t.name === 'weight' ? 1 : 0 };
    },
  },
  /** BatchNormalization (inference: the running statistics); ONNX's momentum weighs the running statistic, PyTorch's the batch. */
  onnx(e, a) {
    if (!a.affine)
      throw new OnnxFormError('batchnorm without affine has no weight and bias for BatchNormalization (cnnscope writes affine ones)');
    e.node(
      'BatchNormalization',
      [e.inputs[0], e.tensor('weight'), e.tensor('bias'), e.tensor('running_mean'), e.tensor('running_var')],
      { epsilon: attr.float(a.eps), momentum: attr.float(1 - a.momentum) },
      e.output,
    );
  },
  docs: {
    shapes: '`[C, H, W]` (`nn.BatchNorm2d`) or `[F]` (`nn.BatchNorm1d`), the same shape out',
    params: '`2C` (scale and shift) when `affine`',
    flops: '`2·E`: at inference the statistics fold into one scale and one shift per element',
  },
};
