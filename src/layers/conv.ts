/**
 * conv: a 2-D convolution (PyTorch's nn.Conv2d).
 * Input [Cin, H, W], weight [Cout, Cin/groups, kh, kw], output [Cout, Hout, Wout].
 */
import { convGeometry, im2col, isDirectConv } from '../kernels/im2col.js';
import { rowMajor, type Mat } from '../kernels/mat.js';
import { bool, int, pair, padding, type Padding4 } from './args.js';
import { fanInInit } from './init.js';
import { LayerError, numel, requireFeatureMap, type LayerKind, type Shape, type TensorSpec } from './kind.js';
import { checkedWindowOutputSize, windowDetail } from './window.js';
import { attr } from './onnx.js';

export interface ConvArgs {
  readonly out: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: Padding4;
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly bias: boolean;
}

export const conv: LayerKind<ConvArgs> = {
  kind: 'conv',
  summary: '2-D convolution (nn.Conv2d)',
  arity: { min: 1, max: 1 },
  display: { category: 'conv', detail: windowDetail },
  args: {
    out: int({ doc: 'output channels' }),
    kernel: pair({ doc: 'kernel size' }),
    stride: pair({ default: [1, 1], doc: 'stride' }),
    padding: padding({
      default: { top: 0, bottom: 0, left: 0, right: 0 },
      doc: 'zero padding; "same" keeps the size (stride 1 only), "valid" is 0',
    }),
    dilation: pair({ default: [1, 1], doc: 'spacing between kernel taps' }),
    groups: int({ default: 1, doc: 'channel groups; equal to the input channels for a depthwise convolution' }),
    bias: bool({ default: true, doc: 'learn an additive bias per output channel' }),
  },
  resolve(raw, inputs) {
    const input = inputs[0];
    requireFeatureMap('conv', input);
    const a = raw as Omit<ConvArgs, 'padding'> & { padding: Padding4 | 'same' | 'valid' };
    const cin = input[0];
    if (cin % a.groups !== 0) {
      throw new LayerError(`groups ${a.groups} does not divide the ${cin} input channels`, 'groups');
    }
    if (a.out % a.groups !== 0) {
      throw new LayerError(`groups ${a.groups} does not divide the ${a.out} output channels`, 'groups');
    }
    return { ...a, padding: resolvePadding(a.padding, a.kernel, a.stride, a.dilation) };
  },
  outputShape(inputs, a) {
    const [, h, w] = inputs[0];
    const p = a.padding;
    const hout = checkedWindowOutputSize('height', {
      size: h,
      padBefore: p.top,
      padAfter: p.bottom,
      kernel: a.kernel[0],
      stride: a.stride[0],
      dilation: a.dilation[0],
      ceil: false,
    });
    const wout = checkedWindowOutputSize('width', {
      size: w,
      padBefore: p.left,
      padAfter: p.right,
      kernel: a.kernel[1],
      stride: a.stride[1],
      dilation: a.dilation[1],
      ceil: false,
    });
    return [a.out, hout, wout];
  },
  tensors(inputs: readonly Shape[], a): TensorSpec[] {
    const cin = inputs[0][0];
    const weight: TensorSpec = {
      name: 'weight',
      shape: [a.out, cin / a.groups, a.kernel[0], a.kernel[1]],
      role: 'parameter',
      dtype: 'float',
    };
    return a.bias ? [weight, { name: 'bias', shape: [a.out], role: 'parameter', dtype: 'float' }] : [weight];
  },
  cost(inputs, output, a) {
    const cin = inputs[0][0];
    const outputs = numel(output);
    // One MAC per weight tap per output element; the bias is one add per output element.
    const macs = outputs * (cin / a.groups) * a.kernel[0] * a.kernel[1];
    return { macs, flops: 2 * macs + (a.bias ? outputs : 0) };
  },
  receptiveField(_inputs, _output, a) {
    return { type: 'window', kernel: a.kernel, stride: a.stride, padding: [a.padding.top, a.padding.left], dilation: a.dilation };
  },
  /**
   * For each sample n and group g, one GEMM over the group's slice:
   *   y[n, g*mg : +mg] [mg, P] (+)= weight[g*mg : +mg] [mg, K] · col [K, P]
   * with mg = Cout/groups, K = (Cin/groups)*kh*kw, P = Hout*Wout, and col the im2col of the
   * group's input channels. A 1x1 convolution with stride 1 and no padding needs no im2col: the
   * input slice [Cin/groups, H*W] is already col. The bias pre-fills y and the GEMM adds to it.
   * MACs: groups * N * mg*P*K = N * Cout*P*(Cin/groups)*kh*kw, the static count times N.
   */
  forward([x], a, w, ctx) {
    const [n, cin, h, wd] = x.shape as [number, number, number, number];
    const [cout, hout, wout] = conv.outputShape([[cin, h, wd]], a) as [number, number, number];
    const y = ctx.alloc([n, cout, hout, wout]);
    const [kh, kw] = a.kernel;
    const cg = cin / a.groups;
    const mg = cout / a.groups;
    const K = cg * kh * kw;
    const P = hout * wout;
    const p = a.padding;
    const direct = isDirectConv(a.kernel, a.stride, p);
    const geometry = convGeometry(a, h, wd, hout, wout);
    const weight = w['weight'];
    const bias = a.bias ? w['bias'] : undefined;
    const col = direct ? undefined : ctx.scratch(K * P);
    for (let s = 0; s < n; s++) {
      for (let g = 0; g < a.groups; g++) {
        const xOff = (s * cin + g * cg) * h * wd;
        let B: Mat;
        if (col) {
          im2col(x.data, xOff, cg, geometry, col);
          B = rowMajor(col, 0, P);
        } else {
          B = rowMajor(x.data, xOff, P);
        }
        const yOff = (s * cout + g * mg) * P;
        if (bias) for (let o = 0; o < mg; o++) y.data.fill(bias[g * mg + o], yOff + o * P, yOff + (o + 1) * P);
        ctx.gemm(mg, P, K, rowMajor(weight, g * mg * K, K), B, rowMajor(y.data, yOff, P), bias !== undefined);
      }
    }
    return y;
  },
  /** im2col's matrix [K, P] for one sample and group; a direct 1x1 convolution needs none. */
  scratchFloats(inputs, output, a) {
    if (isDirectConv(a.kernel, a.stride, a.padding)) return 0;
    return (inputs[0][0] / a.groups) * a.kernel[0] * a.kernel[1] * output[1] * output[2];
  },
  init: fanInInit,
  /** Conv with the padding as pads [top, left, bottom, right] (asymmetric padding included). */
  onnx(e, a) {
    const p = a.padding;
    const inputs = [e.inputs[0], e.tensor('weight'), ...(a.bias ? [e.tensor('bias')] : [])];
    e.node(
      'Conv',
      inputs,
      {
        kernel_shape: attr.ints(a.kernel),
        strides: attr.ints(a.stride),
        pads: attr.ints([p.top, p.left, p.bottom, p.right]),
        dilations: attr.ints(a.dilation),
        group: attr.int(a.groups),
      },
      e.output,
    );
  },
  docs: {
    shapes: '`[Cin, H, W]` to `[out, Hout, Wout]`',
    params: '`Cout·(Cin/groups)·kh·kw` weights `+ Cout` biases',
    macs: '`Cout·Hout·Wout · (Cin/groups)·kh·kw`',
    flops: '`2·MACs + E` with a bias (one add per output), `2·MACs` without',
  },
};

/** `same` pads dilation*(kernel-1) in total per axis, the extra pixel after (PyTorch's rule). */
function resolvePadding(
  p: Padding4 | 'same' | 'valid',
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
): Padding4 {
  if (p === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (p !== 'same') return p;
  if (stride[0] !== 1 || stride[1] !== 1) {
    throw new LayerError('padding "same" needs stride 1 (as in PyTorch); give the padding explicitly', 'padding');
  }
  const [th, tw] = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
  return { top: Math.floor(th / 2), bottom: th - Math.floor(th / 2), left: Math.floor(tw / 2), right: tw - Math.floor(tw / 2) };
}
