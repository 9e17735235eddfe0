/** Activations, one node to one layer; Sigmoid and HardSigmoid stay pending, as x · sigmoid(x) is SiLU and x · hardsigmoid(x) HardSwish. */
import type { ConvertContext, OpConverters } from '../context.js';
import type { NodeAt } from '../values.js';

/** A node that is one layer of `kind` on its first input. */
function unary(cx: ConvertContext, at: NodeAt, kind: string, args: Record<string, unknown> = {}): void {
  const x = cx.input0(at);
  cx.set(at, cx.emit(kind, args, [x], at));
}

const relu = (cx: ConvertContext, at: NodeAt) => unary(cx, at, 'relu');
const tanh = (cx: ConvertContext, at: NodeAt) => unary(cx, at, 'tanh');
const hardSwish = (cx: ConvertContext, at: NodeAt) => unary(cx, at, 'hardswish');

function sigmoid(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  cx.set(
    at,
    cx.pending('sigmoid', x, at, {}, () => cx.emit('sigmoid', {}, [x], at)),
  );
}

function hardSigmoid(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  const alpha = cx.attrFloat(at, 'alpha', 0.2);
  const beta = cx.attrFloat(at, 'beta', 0.5);
  if (Math.abs(alpha - 1 / 6) > 1e-6 || Math.abs(beta - 0.5) > 1e-6) {
    cx.unsupported(at, `HardSigmoid with alpha ${alpha} and beta ${beta} (cnnscope maps PyTorch's, alpha 1/6 and beta 0.5)`);
  }
  cx.set(
    at,
    cx.pending('hardsigmoid', x, at, {}, () => cx.emit('hardsigmoid', {}, [x], at)),
  );
}

function leakyRelu(cx: ConvertContext, at: NodeAt): void {
  unary(cx, at, 'leaky_relu', { negative_slope: cx.attrFloat(at, 'alpha', 0.01) });
}

function gelu(cx: ConvertContext, at: NodeAt): void {
  unary(cx, at, 'gelu', { approximate: cx.attrString(at, 'approximate', 'none') });
}

function clip(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  const lo = cx.constant(at, 1);
  const hi = cx.constant(at, 2);
  const min = lo ? cx.scalar(lo, at, 'min') : cx.attr(at, 'min') ? cx.attrFloat(at, 'min', 0) : -Infinity;
  const max = hi ? cx.scalar(hi, at, 'max') : cx.attr(at, 'max') ? cx.attrFloat(at, 'max', 0) : Infinity;
  if (min === 0 && max === 6) return cx.set(at, cx.emit('relu6', {}, [x], at));
  if (min === 0 && max === Infinity) return cx.set(at, cx.emit('relu', {}, [x], at));
  cx.unsupported(at, `Clip to [${min}, ${max}] (cnnscope maps [0, 6] as relu6 and [0, ∞) as relu)`);
}

function softmax(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  const rank = cx.fullShape(x).length;
  const raw = cx.attrInt(at, 'axis', cx.model.opset >= 13 ? -1 : 1);
  const axis = raw < 0 ? raw + rank : raw;
  if (x.layout !== 'nchw' || axis !== 1 || (rank !== 2 && rank !== 4)) {
    cx.unsupported(
      at,
      `Softmax over axis ${raw} of [${cx.fullShape(x).join(', ')}] (cnnscope maps it over the channels or features, axis 1)`,
    );
  }
  cx.set(at, cx.emit('softmax', {}, [x], at));
}

function dropout(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  const r = cx.constant(at, 1);
  const p = r ? cx.scalar(r, at, 'ratio') : cx.attrFloat(at, 'ratio', 0.5);
  cx.set(at, cx.emit('dropout', { p }, [x], at));
}

function identity(cx: ConvertContext, at: NodeAt): void {
  const v = cx.get(at, 0);
  // torch stores equal initializers once, read through Identity nodes: the same constant.
  if (v?.t === 'const') return cx.set(at, v);
  cx.set(at, cx.emit('identity', {}, [cx.act(v, at)], at));
}

export const ACTIVATION_OPS: OpConverters = {
  Relu: relu,
  Tanh: tanh,
  HardSwish: hardSwish,
  Sigmoid: sigmoid,
  HardSigmoid: hardSigmoid,
  LeakyRelu: leakyRelu,
  Gelu: gelu,
  Clip: clip,
  Softmax: softmax,
  Dropout: dropout,
  Identity: identity,
};
