/** Normalization layers: BatchNormalization, LayerNormalization (channels-last), LRN. */
import type { ConvertContext, OpConverters } from '../context.js';
import type { NodeAt } from '../values.js';

function batchNormalization(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  if (x.layout !== 'nchw') cx.fail('expects [N, C, H, W] or [N, F]', at);
  const params = [1, 2, 3, 4].map((i) => cx.requireConst(at, i, ['the scale', 'the bias', 'the mean', 'the variance'][i - 1]));
  // ONNX's momentum weighs the running statistic, PyTorch's the new batch.
  const momentum = 1 - cx.attrFloat(at, 'momentum', 0.9);
  const args = { eps: cx.attrFloat(at, 'epsilon', 1e-5), momentum: Math.min(Math.max(momentum, 0), 1) };
  cx.set(at, cx.emit('batchnorm', args, [x], at, params));
}

function layerNormalization(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  const rank = cx.fullShape(x).length;
  const raw = cx.attrInt(at, 'axis', -1);
  const axis = raw < 0 ? raw + rank : raw;
  const last = (x.layout === 'nhwc' && rank === 4) || (x.layout === 'nchw' && rank === 2);
  if (!last || axis !== rank - 1)
    cx.unsupported(
      at,
      `LayerNormalization over axis ${raw} of [${cx.fullShape(x).join(', ')}] (cnnscope maps it over the channels, the last axis)`,
    );
  const scale = cx.requireConst(at, 1, 'the scale');
  const bias = cx.constant(at, 2);
  if (!bias) cx.unsupported(at, 'LayerNormalization without a bias');
  cx.set(at, cx.emit('layernorm', { eps: cx.attrFloat(at, 'epsilon', 1e-5), affine: true }, [x], at, [scale, bias]));
}

function lrn(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  const args = {
    size: cx.attrInt(at, 'size', 0),
    alpha: cx.attrFloat(at, 'alpha', 1e-4),
    beta: cx.attrFloat(at, 'beta', 0.75),
    k: cx.attrFloat(at, 'bias', 1),
  };
  cx.set(at, cx.emit('lrn', args, [x], at));
}

/** Inside a GroupNorm only (reshape.ts): the groups of a Reshape to [N, groups, -1] normalized, with scale 1 and bias 0. */
function instanceNormalization(cx: ConvertContext, at: NodeAt): void {
  const v = cx.get(at, 0);
  if (v?.t !== 'pending' || v.form !== 'gn.grouped') {
    cx.unsupported(at, 'InstanceNormalization outside the form of a GroupNorm (a Reshape to [N, groups, -1] before it)');
  }
  const groups = v.data['groups'] as number;
  const [scale, bias] = [1, 2].map((i) => cx.numbers(cx.requireConst(at, i, i === 1 ? 'the scale' : 'the bias'), at, 'the scale'));
  if (scale.length !== groups || bias.length !== groups || scale.some((s) => s !== 1) || bias.some((b) => b !== 0)) {
    cx.unsupported(at, 'InstanceNormalization with a scale or bias other than 1 and 0 (a GroupNorm applies its own per channel)');
  }
  const data = { groups, eps: cx.attrFloat(at, 'epsilon', 1e-5), shape: v.data['shape'] };
  cx.set(at, cx.incomplete('gn.norm', 'a GroupNorm', v.at, v.x, data));
}

export const NORMALIZATION_OPS: OpConverters = {
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  InstanceNormalization: instanceNormalization,
  LRN: lrn,
};
