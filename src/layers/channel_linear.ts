/**
 * channel_linear: a fully connected layer over the channels of a feature map, at every position
 * (ConvNeXt's channels-last nn.Linear between two permutes). Input [C, H, W], weight [out, C]
 * (nn.Linear's, so state_dicts load unchanged), output [out, H, W]. It computes what a 1x1
 * convolution does, with a linear layer's weight shape.
 */
import { bool, int } from './args.js';
import { fanInInit } from './init.js';
import { requireFeatureMap, type LayerKind, type TensorSpec } from './kind.js';
import { attr, TO_CHANNELS_FIRST, TO_CHANNELS_LAST } from './onnx.js';

export interface ChannelLinearArgs {
  readonly out: number;
  readonly bias: boolean;
}

export const channel_linear: LayerKind<ChannelLinearArgs> = {
  kind: 'channel_linear',
  summary: 'fully connected layer over the channels at each position (channels-last nn.Linear)',
  arity: { min: 1, max: 1 },
  display: { category: 'linear' },
  args: {
    out: int({ doc: 'output channels' }),
    bias: bool({ default: true, doc: 'learn an additive bias per output channel' }),
  },
  resolve(raw, inputs) {
    requireFeatureMap('channel_linear', inputs[0]);
    // Each value was checked and defaulted by `args` already.
    return raw as unknown as ChannelLinearArgs;
  },
  outputShape(inputs, a) {
    const [, h, w] = inputs[0];
    return [a.out, h, w];
  },
  tensors(inputs, a): TensorSpec[] {
    const weight: TensorSpec = { name: 'weight', shape: [a.out, inputs[0][0]], role: 'parameter', dtype: 'float' };
    return a.bias ? [weight, { name: 'bias', shape: [a.out], role: 'parameter', dtype: 'float' }] : [weight];
  },
  cost(inputs, _output, a) {
    const [c, h, w] = inputs[0];
    // One MAC per weight per position; the bias is one add per output element.
    const macs = c * a.out * h * w;
    return { macs, flops: 2 * macs + (a.bias ? a.out * h * w : 0) };
  },
  receptiveField() {
    return { type: 'pointwise' };
  },
  /**
   * Per sample, one GEMM: y [out, P] (+)= weight [out, C] · x [C, P], P = H*W, the NCHW sample
   * read as it lies (a direct 1x1 convolution). The bias pre-fills y. MACs: N * out*P*C.
   */
  forward([x], a, w, ctx) {
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const P = h * wd;
    const y = ctx.alloc([n, a.out, h, wd]);
    const weight = w['weight'];
    const bias = a.bias ? w['bias'] : undefined;
    for (let s = 0; s < n; s++) {
      const yOff = s * a.out * P;
      if (bias) for (let o = 0; o < a.out; o++) y.data.fill(bias[o], yOff + o * P, yOff + (o + 1) * P);
      ctx.gemm(
        a.out,
        P,
        c,
        { data: weight, offset: 0, rs: c, cs: 1 },
        { data: x.data, offset: s * c * P, rs: P, cs: 1 },
        { data: y.data, offset: yOff, rs: P, cs: 1 },
        bias !== undefined,
      );
    }
    return y;
  },
  init: fanInInit,
  /**
   * As torch writes a channels-last nn.Linear: Transpose to channels-last, MatMul by the weight
   * transposed ([C, out]; the initializer stays the state_dict's [out, C], read through a
   * Transpose), Add the bias, Transpose back.
   */
  onnx(e, a) {
    const x = e.helper('Transpose', [e.inputs[0]], { perm: attr.ints(TO_CHANNELS_LAST) });
    const weight = e.helper('Transpose', [e.tensor('weight')], { perm: attr.ints([1, 0]) });
    const product = e.node('MatMul', [x, weight]);
    const y = a.bias ? e.node('Add', [product, e.tensor('bias')]) : product;
    e.helper('Transpose', [y], { perm: attr.ints(TO_CHANNELS_FIRST) }, e.output);
  },
  docs: {
    shapes: '`[C, H, W]` to `[out, H, W]`',
    params: '`C·out` weights `+ out` biases',
    macs: '`C · out · H·W`',
    flops: '`2·MACs + out·H·W` with a bias',
  },
};
