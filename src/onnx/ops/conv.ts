/** Convolutions and linear layers: Conv (with a Pad before it), ConvTranspose, Gemm, and MatMul, whose Add is its bias. */
import type { ConvertContext, OpConverters } from '../context.js';
import type { Const, NodeAt } from '../values.js';

function conv(cx: ConvertContext, at: NodeAt): void {
  let x = cx.get(at, 0);
  let extra = [0, 0, 0, 0];
  if (x?.t === 'pending' && x.form === 'pad') {
    extra = x.data['pads'] as number[];
    x = x.x;
  }
  const input = cx.act(x, at);
  cx.requireNchw(input, at);
  const w = cx.requireConst(at, 1, 'the weight');
  const b = cx.constant(at, 2);
  if (w.dims.length !== 4) cx.unsupported(at, `${w.dims.length - 2}-D convolution`);
  const [out, , kh, kw] = w.dims;
  const stride = cx.attrInts(at, 'strides') ?? [1, 1];
  const dilation = cx.attrInts(at, 'dilations') ?? [1, 1];
  const [, h, wd] = cx.shapeOf(input);
  const pads = cx.pads(at, [kh, kw], stride, dilation, [h, wd]);
  if (w.source?.name.startsWith('onnx::') && b) cx.foldedConvs++;
  const result = cx.emit(
    'conv',
    {
      out,
      kernel: [kh, kw],
      stride,
      padding: [pads[0] + extra[0], pads[2] + extra[2], pads[1] + extra[1], pads[3] + extra[3]],
      dilation,
      groups: cx.attrInt(at, 'group', 1),
      bias: b !== undefined,
    },
    [input],
    at,
    [w, b],
  );
  cx.set(at, result);
}

/** ONNX pads [top, left, bottom, right], or auto_pad's, for a window of `kernel` at `stride`. */
function convTranspose(cx: ConvertContext, at: NodeAt): void {
  const input = cx.input0(at);
  cx.requireNchw(input, at);
  const w = cx.requireConst(at, 1, 'the weight');
  const b = cx.constant(at, 2);
  if (w.dims.length !== 4) cx.unsupported(at, `${w.dims.length - 2}-D transposed convolution`);
  const groups = cx.attrInt(at, 'group', 1);
  const [, coutPerGroup, kh, kw] = w.dims;
  if (cx.attr(at, 'output_shape') || !['NOTSET', ''].includes(cx.attrString(at, 'auto_pad', 'NOTSET'))) {
    cx.unsupported(at, 'ConvTranspose with output_shape or auto_pad (give pads)');
  }
  const p = cx.attrInts(at, 'pads') ?? [0, 0, 0, 0];
  if (p[0] !== p[2] || p[1] !== p[3]) cx.unsupported(at, `ConvTranspose with unequal pads [${p.join(', ')}]`);
  const result = cx.emit(
    'conv_transpose',
    {
      out: coutPerGroup * groups,
      kernel: [kh, kw],
      stride: cx.attrInts(at, 'strides') ?? [1, 1],
      padding: [p[0], p[1]],
      output_padding: cx.attrInts(at, 'output_padding') ?? [0, 0],
      dilation: cx.attrInts(at, 'dilations') ?? [1, 1],
      groups,
      bias: b !== undefined,
    },
    [input],
    at,
    [w, b],
  );
  cx.set(at, result);
}

function gemm(cx: ConvertContext, at: NodeAt): void {
  const input = cx.input0(at);
  const w = cx.requireConst(at, 1, 'the weight');
  const c = cx.constant(at, 2);
  if (cx.attrInt(at, 'transA', 0) !== 0) cx.unsupported(at, 'Gemm with transA');
  if (cx.attrFloat(at, 'alpha', 1) !== 1 || (c && cx.attrFloat(at, 'beta', 1) !== 1))
    cx.unsupported(at, 'Gemm with alpha or beta other than 1');
  if (w.dims.length !== 2) cx.fail(`the weight has shape [${w.dims.join(', ')}], not a matrix`, at);
  const transB = cx.attrInt(at, 'transB', 0) !== 0;
  const [features, out] = transB ? [w.dims[1], w.dims[0]] : w.dims;
  const shape = cx.shapeOf(input);
  if (input.layout !== 'nchw' || shape.length !== 1 || shape[0] !== features) {
    cx.fail(`multiplies [${cx.fullShape(input).join(', ')}] by a weight of ${features} input features`, at);
  }
  cx.set(at, cx.emit('linear', { out, bias: c !== undefined }, [input], at, [transB ? w : cx.transposed(w), c]));
}

/** x · W (W [F, out]): a linear layer over flat features, or over the channels of a channels-last map. Its Add is the bias. */
function matMul(cx: ConvertContext, at: NodeAt): void {
  const input = cx.input0(at);
  const w = cx.requireConst(at, 1, 'the weight');
  if (w.dims.length !== 2) cx.unsupported(at, 'MatMul by a weight that is not a matrix');
  const [features, out] = w.dims;
  const shape = cx.shapeOf(input);
  const flat = input.layout === 'nchw' && shape.length === 1;
  if (!(flat || input.layout === 'nhwc') || shape[0] !== features) {
    cx.fail(
      `multiplies [${cx.fullShape(input).join(', ')}] by a weight of ${features} input features: cnnscope maps a MatMul over flat features or over channels-last channels`,
      at,
    );
  }
  const kind = flat ? 'linear' : 'channel_linear';
  const make = (bias?: Const) => cx.emit(kind, { out, bias: bias !== undefined }, [input], at, [cx.transposed(w), bias]);
  cx.set(
    at,
    cx.pending('matmul', input, at, { out, make }, () => make()),
  );
}

export const CONV_OPS: OpConverters = { Conv: conv, ConvTranspose: convTranspose, Gemm: gemm, MatMul: matMul };
