/**
 * The elementwise arithmetic: on constants, shape arithmetic; on activations, a join (add, mul),
 * or a step of a multi-node form that is one layer (the bias of a MatMul, the Erf form of GELU,
 * x · sigmoid(x), the decomposed LayerNorm), matched on the pending value it reads.
 */
import { numel } from '../../layers/index.js';
import type { ConvertContext, OpConverters } from '../context.js';
import { readsAs, sameAct, type Act, type Const, type NodeAt } from '../values.js';
import { arithmetic } from './shape.js';

function add(cx: ConvertContext, at: NodeAt): void {
  const cs = cx.allConst(at);
  if (cs) return arithmetic(cx, at, cs, (a, b) => a + b, 0);
  const [a, b] = [cx.get(at, 0), cx.get(at, 1)];
  const [p, c] = a?.t === 'const' ? [b, a] : b?.t === 'const' ? [a, b] : [undefined, undefined];
  if (p && c) {
    if (p.t === 'pending' && p.form === 'matmul' && numel(c.dims) === p.data['out']) {
      const make = p.data['make'] as (bias: Const) => Act;
      return cx.set(at, make(c));
    }
    if (p.t === 'pending' && p.form === 'gelu.erf' && cx.isScalar(c, at, 1)) {
      return cx.set(at, cx.incomplete('gelu.add', 'an Erf-form GELU', p.at, p.x));
    }
    if (p.t === 'pending' && p.form === 'ln.var') {
      return cx.set(at, cx.incomplete('ln.vareps', 'a decomposed LayerNorm', at, p.x, { eps: cx.scalar(c, at, 'epsilon') }));
    }
    if (p.t === 'pending' && p.form === 'gn.scaled' && numel(c.dims) === cx.shapeOf(p.x)[0]) {
      const x = p.x;
      const args = { groups: p.data['groups'], eps: p.data['eps'], affine: true };
      return cx.set(at, cx.emit('groupnorm', args, [x], p.at, [p.data['weight'] as Const, c]));
    }
    if (p.t === 'pending' && p.form === 'ln.scaled' && numel(c.dims) === cx.shapeOf(p.x)[0]) {
      const x = p.x;
      const made = cx.emit('layernorm', { eps: p.data['eps'], affine: true }, [x], p.at, [p.data['weight'] as Const, c], '', x.layout);
      return cx.set(at, made);
    }
    cx.unsupported(at, 'Add of a constant to an activation (cnnscope maps it as the bias after a MatMul, or inside GELU and LayerNorm)');
  }
  const x = cx.act(a, at);
  const y = cx.act(b, at);
  cx.set(at, cx.emit('add', {}, [x, y], at));
}

function sub(cx: ConvertContext, at: NodeAt): void {
  const cs = cx.allConst(at);
  if (cs) return arithmetic(cx, at, cs, (a, b) => a - b, 0);
  const [a, b] = [cx.get(at, 0), cx.get(at, 1)];
  if (b?.t === 'pending' && b.form === 'ln.mean' && a && readsAs(a, b.x)) {
    return cx.set(at, cx.incomplete('ln.centered', 'a decomposed LayerNorm', b.at, b.x));
  }
  cx.unsupported(at, 'Sub of activations (cnnscope maps it inside a decomposed LayerNorm)');
}

function mul(cx: ConvertContext, at: NodeAt): void {
  const cs = cx.allConst(at);
  if (cs) return arithmetic(cx, at, cs, (a, b) => a * b, 1);
  const [a, b] = [cx.get(at, 0), cx.get(at, 1)];
  for (const [p, q] of [
    [a, b],
    [b, a],
  ] as const) {
    if (p?.t !== 'pending' || !q) continue;
    if ((p.form === 'sigmoid' || p.form === 'hardsigmoid') && readsAs(q, p.x)) {
      return cx.set(at, cx.emit(p.form === 'sigmoid' ? 'silu' : 'hardswish', {}, [p.x], p.at));
    }
    if (p.form === 'gelu.add' && readsAs(q, p.x)) {
      return cx.set(at, cx.incomplete('gelu.mul', 'an Erf-form GELU', p.at, p.x));
    }
    if (p.form === 'gelu.mul' && q.t === 'const' && cx.isScalar(q, at, 0.5)) {
      return cx.set(at, cx.emit('gelu', {}, [p.x], p.at));
    }
    if (p.form === 'gn.normed' && q.t === 'const' && numel(q.dims) === cx.shapeOf(p.x)[0]) {
      return cx.set(at, cx.incomplete('gn.scaled', 'a GroupNorm', p.at, p.x, { ...p.data, weight: q }));
    }
    if (p.form === 'ln.norm' && q.t === 'const' && numel(q.dims) === cx.shapeOf(p.x)[0]) {
      return cx.set(at, cx.incomplete('ln.scaled', 'a decomposed LayerNorm', p.at, p.x, { eps: p.data['eps'], weight: q }));
    }
  }
  const [p, c] = a?.t === 'const' ? [b, a] : b?.t === 'const' ? [a, b] : [undefined, undefined];
  if (p && c) {
    const x = cx.act(p, at);
    const s = cx.shapeOf(x);
    // A parameter [C, 1, 1] scaling each channel: ConvNeXt's layer scale.
    if (x.layout === 'nchw' && s.length === 3 && c.source && numel(c.dims) === s[0] && c.dims.slice(-2).every((d) => d === 1)) {
      return cx.set(at, cx.emit('layer_scale', {}, [x], at, [c]));
    }
    cx.unsupported(
      at,
      'Mul of an activation by a constant (cnnscope maps a per-channel scale [C, 1, 1], and the constants of GELU and LayerNorm)',
    );
  }
  cx.set(at, cx.emit('mul', {}, [cx.act(a, at), cx.act(b, at)], at));
}

function div(cx: ConvertContext, at: NodeAt): void {
  const cs = cx.allConst(at);
  if (cs) return arithmetic(cx, at, cs, (a, b) => Math.trunc(a / b), 1);
  const [a, b] = [cx.get(at, 0), cx.get(at, 1)];
  // The input of a GELU may be a pending form made a layer here (a sigmoid before it), not a LayerNorm's.
  if (a && a.t !== 'const' && !(a.t === 'pending' && a.form.startsWith('ln.')) && b?.t === 'const' && cx.isScalar(b, at, Math.SQRT2)) {
    return cx.set(at, cx.incomplete('gelu.div', 'an Erf-form GELU', at, cx.act(a, at)));
  }
  if (a?.t === 'pending' && a.form === 'ln.centered' && b?.t === 'pending' && b.form === 'ln.std' && sameAct(a.x, b.x)) {
    const x = a.x;
    const eps = b.data['eps'];
    return cx.set(
      at,
      cx.pending('ln.norm', x, a.at, { eps }, () => cx.emit('layernorm', { eps, affine: false }, [x], a.at, [], '', x.layout)),
    );
  }
  cx.unsupported(at, 'Div of an activation (cnnscope maps it inside GELU and LayerNorm)');
}

function erf(cx: ConvertContext, at: NodeAt): void {
  const a = cx.get(at, 0);
  if (a?.t === 'pending' && a.form === 'gelu.div') return cx.set(at, cx.incomplete('gelu.erf', 'an Erf-form GELU', a.at, a.x));
  cx.unsupported(at, 'Erf outside the Erf form of GELU');
}

function pow(cx: ConvertContext, at: NodeAt): void {
  const a = cx.get(at, 0);
  const e = cx.constant(at, 1);
  if (a?.t === 'pending' && a.form === 'ln.centered' && e && cx.isScalar(e, at, 2)) {
    return cx.set(at, cx.incomplete('ln.square', 'a decomposed LayerNorm', a.at, a.x));
  }
  cx.unsupported(at, 'Pow outside a decomposed LayerNorm');
}

function sqrt(cx: ConvertContext, at: NodeAt): void {
  const a = cx.get(at, 0);
  if (a?.t === 'pending' && a.form === 'ln.vareps') return cx.set(at, cx.incomplete('ln.std', 'a decomposed LayerNorm', a.at, a.x, a.data));
  cx.unsupported(at, 'Sqrt outside a decomposed LayerNorm');
}

function reduceMean(cx: ConvertContext, at: NodeAt): void {
  const v = cx.get(at, 0);
  const axesGiven = cx.attrInts(at, 'axes') ?? (cx.constant(at, 1) ? cx.numbers(cx.constant(at, 1)!, at, 'the axes') : undefined);
  const keep = cx.attrInt(at, 'keepdims', 1) !== 0;
  if (v?.t === 'pending' && v.form === 'ln.square') {
    return cx.set(at, cx.incomplete('ln.var', 'a decomposed LayerNorm', v.at, v.x));
  }
  const x = cx.act(v, at);
  const rank = cx.fullShape(x).length;
  const axes = (axesGiven ?? [...Array(rank).keys()]).map((a) => (a < 0 ? a + rank : a)).sort();
  if (x.layout === 'nchw' && rank === 4 && axes.join() === '2,3') {
    const pooled = cx.emit('global_avgpool', {}, [x], at);
    return cx.set(at, keep ? pooled : cx.emit('flatten', {}, [pooled], at, [], '_flatten'));
  }
  const last = (x.layout === 'nhwc' && rank === 4) || (x.layout === 'nchw' && rank === 2);
  if (last && keep && axes.join() === String(rank - 1)) return cx.set(at, cx.incomplete('ln.mean', 'a decomposed LayerNorm', at, x));
  cx.unsupported(
    at,
    `ReduceMean over axes [${axes.join(', ')}] of [${cx.fullShape(x).join(', ')}] (cnnscope maps the mean over H and W, and over the channels in a LayerNorm)`,
  );
}

/** The sum of several activations of one shape: an add layer of them all. */
function sum(cx: ConvertContext, at: NodeAt): void {
  const xs = at.node.inputs.map((_, i) => cx.act(cx.get(at, i), at));
  cx.set(at, xs.length === 1 ? xs[0] : cx.emit('add', {}, xs, at));
}

export const ELEMENTWISE_OPS: OpConverters = {
  Add: add,
  Sum: sum,
  Sub: sub,
  Mul: mul,
  Div: div,
  Erf: erf,
  Pow: pow,
  Sqrt: sqrt,
  ReduceMean: reduceMean,
};
