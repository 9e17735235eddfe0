/**
 * conv_transpose: a 2-D transposed convolution (PyTorch's nn.ConvTranspose2d), the adjoint of a
 * convolution: every input element scatters weight-scaled copies into a window of the output.
 * Input [Cin, H, W], weight [Cin, Cout/groups, kh, kw], output [Cout, Hout, Wout] with, per axis,
 *
 *   out = (in - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1
 *
 * Input element i reaches outputs i*stride - padding + t*dilation for the kernel taps t.
 */
import { col2im } from '../kernels/im2col.js';
import { rowMajor } from '../kernels/mat.js';
import { bool, int, pair, symmetricPadding } from './args.js';
import { fanInInit } from './init.js';
import { LayerError, numel, requireFeatureMap, type LayerKind, type Shape, type TensorSpec } from './kind.js';
import { windowDetail } from './window.js';
import { attr } from './onnx.js';

export interface ConvTransposeArgs {
  readonly out: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly output_padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly bias: boolean;
}

const AXES = [
  ['height', 0],
  ['width', 1],
] as const;

function outputSize(size: number, a: ConvTransposeArgs, i: 0 | 1): number {
  return (size - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (a.kernel[i] - 1) + a.output_padding[i] + 1;
}

export const conv_transpose: LayerKind<ConvTransposeArgs> = {
  kind: 'conv_transpose',
  summary: '2-D transposed convolution (nn.ConvTranspose2d)',
  arity: { min: 1, max: 1 },
  display: {
    category: 'conv',
    // `2×2 ↑2`: the stride of a transposed convolution enlarges, so it is not written `/2`.
    detail: (a) => {
      const up =
        a.stride[0] === 1 && a.stride[1] === 1 ? '' : ` ↑${a.stride[0] === a.stride[1] ? a.stride[0] : `${a.stride[0]}×${a.stride[1]}`}`;
      return `${windowDetail({ kernel: a.kernel, stride: [1, 1], dilation: a.dilation, groups: a.groups })}${up}`;
    },
  },
  args: {
    out: int({ doc: 'output channels' }),
    kernel: pair({ doc: 'kernel size' }),
    stride: pair({ default: [1, 1], doc: 'stride: the spacing, in the output, of the windows of neighbouring inputs' }),
    padding: symmetricPadding({
      default: [0, 0],
      doc: 'rows and columns cropped from each side of the full output (dilation·(kernel − 1) − padding of zero padding in the equivalent convolution)',
    }),
    output_padding: pair({
      default: [0, 0],
      min: 0,
      doc: 'extra rows and columns at the bottom and right of the output; smaller than the stride or the dilation',
    }),
    dilation: pair({ default: [1, 1], doc: 'spacing between kernel taps' }),
    groups: int({ default: 1, doc: 'channel groups; must divide the input and output channels' }),
    bias: bool({ default: true, doc: 'learn an additive bias per output channel' }),
  },
  resolve(raw, inputs) {
    const input = inputs[0];
    requireFeatureMap('conv_transpose', input);
    const a = raw as unknown as ConvTransposeArgs;
    const cin = input[0];
    if (cin % a.groups !== 0) throw new LayerError(`groups ${a.groups} does not divide the ${cin} input channels`, 'groups');
    if (a.out % a.groups !== 0) throw new LayerError(`groups ${a.groups} does not divide the ${a.out} output channels`, 'groups');
    for (const [axis, i] of AXES) {
      if (a.output_padding[i] >= a.stride[i] && a.output_padding[i] >= a.dilation[i]) {
        throw new LayerError(
          `output_padding ${a.output_padding[i]} along the ${axis} must be smaller than the stride ${a.stride[i]} or the dilation ${a.dilation[i]} (as in PyTorch)`,
          'output_padding',
        );
      }
    }
    return a;
  },
  outputShape(inputs, a) {
    const [, h, w] = inputs[0];
    const sizes = AXES.map(([axis, i]) => {
      const size = i === 0 ? h : w;
      const out = outputSize(size, a, i);
      if (out <= 0) {
        throw new LayerError(
          `output ${axis} would be ${out}: the padding ${a.padding[i]} crops more than the ${out + 2 * a.padding[i]} rows and columns of the full output`,
        );
      }
      return out;
    });
    return [a.out, sizes[0], sizes[1]];
  },
  tensors(inputs: readonly Shape[], a): TensorSpec[] {
    const cin = inputs[0][0];
    const weight: TensorSpec = {
      name: 'weight',
      shape: [cin, a.out / a.groups, a.kernel[0], a.kernel[1]],
      role: 'parameter',
      dtype: 'float',
    };
    return a.bias ? [weight, { name: 'bias', shape: [a.out], role: 'parameter', dtype: 'float' }] : [weight];
  },
  cost(inputs, output, a) {
    const [cin, h, w] = inputs[0];
    // One MAC per weight tap per input element (fvcore's count), taps cropped by the padding
    // included; the bias is one add per output element.
    const macs = cin * (a.out / a.groups) * a.kernel[0] * a.kernel[1] * h * w;
    return { macs, flops: 2 * macs + (a.bias ? numel(output) : 0) };
  },
  receptiveField(_inputs, _output, a) {
    // The equivalent convolution: stride 1 over the input with stride - 1 zeros inserted between
    // neighbours, zero padding dilation*(kernel - 1) - padding before (output_padding only adds
    // units at the end).
    const lead = (i: 0 | 1) => a.dilation[i] * (a.kernel[i] - 1) - a.padding[i];
    return { type: 'window', kernel: a.kernel, stride: [1, 1], padding: [lead(0), lead(1)], dilation: a.dilation, upsample: a.stride };
  },
  /**
   * For each sample n and group g, one GEMM and a scatter, as PyTorch's slow_conv_transpose2d:
   *   col [mg*kh*kw, P] = weight[g*cg : +cg]^T [mg*kh*kw, cg] · x[n, g*cg : +cg] [cg, P]
   * with cg = Cin/groups, mg = Cout/groups, P = H*W (the transpose is a strided view of the
   * weight), then col2im adds col into y[n, g*mg : +mg], which the bias (or zero) pre-fills.
   * MACs: groups * N * mg*kh*kw*P*cg = N * Cin*(Cout/groups)*kh*kw*H*W, the static count times N.
   */
  forward([x], a, w, ctx) {
    const [n, cin, h, wd] = x.shape as [number, number, number, number];
    const [cout, hout, wout] = conv_transpose.outputShape([[cin, h, wd]], a) as [number, number, number];
    const y = ctx.alloc([n, cout, hout, wout]);
    const [kh, kw] = a.kernel;
    const cg = cin / a.groups;
    const mg = cout / a.groups;
    const M = mg * kh * kw;
    const P = h * wd;
    // The convolution from y (hout x wout) to x (h x w) whose adjoint this is.
    const geometry = {
      h: hout,
      w: wout,
      kh,
      kw,
      sh: a.stride[0],
      sw: a.stride[1],
      dh: a.dilation[0],
      dw: a.dilation[1],
      top: a.padding[0],
      left: a.padding[1],
      hout: h,
      wout: wd,
    };
    const weight = w['weight'];
    const bias = a.bias ? w['bias'] : undefined;
    const plane = hout * wout;
    for (let o = 0; o < n * cout; o++) y.data.fill(bias ? bias[o % cout] : 0, o * plane, (o + 1) * plane);
    const col = ctx.scratch(M * P);
    for (let s = 0; s < n; s++) {
      for (let g = 0; g < a.groups; g++) {
        const xOff = (s * cin + g * cg) * P;
        ctx.gemm(M, P, cg, { data: weight, offset: g * cg * M, rs: 1, cs: M }, rowMajor(x.data, xOff, P), rowMajor(col, 0, P), false);
        col2im(col, mg, geometry, y.data, (s * cout + g * mg) * plane);
      }
    }
    return y;
  },
  /** The GEMM's output col [Cout/groups * kh*kw, H*W] for one sample and group. */
  scratchFloats(inputs, _output, a) {
    const [, h, w] = inputs[0];
    return (a.out / a.groups) * a.kernel[0] * a.kernel[1] * h * w;
  },
  /** fan_in of the weight [Cin, Cout/groups, kh, kw] is its dimension 1 times the kernel, as torch computes it. */
  init: fanInInit,
  /** ConvTranspose; the weight is [Cin, Cout/groups, kh, kw] in ONNX as in PyTorch. */
  onnx(e, a) {
    const [ph, pw] = a.padding;
    const inputs = [e.inputs[0], e.tensor('weight'), ...(a.bias ? [e.tensor('bias')] : [])];
    e.node(
      'ConvTranspose',
      inputs,
      {
        kernel_shape: attr.ints(a.kernel),
        strides: attr.ints(a.stride),
        pads: attr.ints([ph, pw, ph, pw]),
        output_padding: attr.ints(a.output_padding),
        dilations: attr.ints(a.dilation),
        group: attr.int(a.groups),
      },
      e.output,
    );
  },
  docs: {
    shapes: '`[Cin, H, W]` to `[out, Hout, Wout]`, `Hout = (H − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1`',
    params: '`Cin·(Cout/groups)·kh·kw` weights `+ Cout` biases',
    macs: '`Cin·H·W · (Cout/groups)·kh·kw`: per input element, taps cropped by the padding included (fvcore)',
    flops: '`2·MACs + E` with a bias (one add per output), `2·MACs` without',
  },
};
