/**
 * Shape computations folded to constants: exporters compute a Reshape's target from the input's
 * Shape, and the dynamic batch dimension travels through them as the symbol 'N'. A node whose
 * inputs are all constants is computed here; the elementwise operators fold through `arithmetic`.
 */
import { DTYPE, tensorValues } from '../decode.js';
import type { ConvertContext, OpConverters } from '../context.js';
import type { Const, Dim, NodeAt } from '../values.js';

function constant(cx: ConvertContext, at: NodeAt): void {
  const a = at.node.attributes;
  const t = a.get('value')?.t;
  if (t) return cx.set(at, { t: 'const', dims: t.dims, source: t });
  if (a.has('value_float')) return cx.setConst(at, [], [a.get('value_float')!.f]);
  if (a.has('value_int')) return cx.setConst(at, [], [a.get('value_int')!.i]);
  if (a.has('value_floats')) return cx.setConst(at, [a.get('value_floats')!.floats.length], [...a.get('value_floats')!.floats]);
  if (a.has('value_ints')) return cx.setConst(at, [a.get('value_ints')!.ints.length], [...a.get('value_ints')!.ints]);
  cx.unsupported(at, 'Constant form (sparse or string)');
}

function shape(cx: ConvertContext, at: NodeAt): void {
  const v = cx.get(at, 0);
  const full = v?.t === 'const' ? v.dims.map((d) => d as Dim) : cx.fullShape(cx.act(v, at));
  const rank = full.length;
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + rank : i, 0), rank);
  const start = clamp(cx.attrInt(at, 'start', 0));
  const end = clamp(cx.attrInt(at, 'end', rank));
  const out = full.slice(start, Math.max(start, end));
  cx.setConst(at, [out.length], out);
}

function gather(cx: ConvertContext, at: NodeAt): void {
  const cs = cx.allConst(at);
  if (!cs) cx.unsupported(at, 'Gather of an activation');
  const [data, indices] = cs;
  if (data.dims.length !== 1) cx.unsupported(at, 'Gather of a constant of more than one dimension');
  const values = cx.valuesOf(data, at);
  const idx = cx.numbers(indices, at, 'the indices');
  const out = idx.map((i) => values[i < 0 ? i + values.length : i]);
  if (out.some((d) => d === undefined)) cx.fail('an index is out of range', at);
  cx.setConst(at, indices.dims, out);
}

function unsqueeze(cx: ConvertContext, at: NodeAt): void {
  const c = foldInput(cx, at);
  const axes = cx.attrInts(at, 'axes') ?? cx.numbers(cx.requireConst(at, 1, 'the axes'), at, 'the axes');
  const dims = [...c.dims];
  const rank = dims.length + axes.length;
  for (const a of axes.map((x) => (x < 0 ? x + rank : x)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
  cx.setConst(at, dims, cx.valuesOf(c, at), c.source);
}

function squeeze(cx: ConvertContext, at: NodeAt): void {
  const c = foldInput(cx, at);
  const given = cx.attrInts(at, 'axes') ?? (cx.constant(at, 1) ? cx.numbers(cx.constant(at, 1)!, at, 'the axes') : undefined);
  const axes = given?.map((x) => (x < 0 ? x + c.dims.length : x));
  const dims = c.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  cx.setConst(at, dims, cx.valuesOf(c, at), c.source);
}

function cast(cx: ConvertContext, at: NodeAt): void {
  const c = foldInput(cx, at);
  const to = cx.attrInt(at, 'to', DTYPE.FLOAT);
  const integer = to !== DTYPE.FLOAT && to !== DTYPE.DOUBLE && to !== DTYPE.FLOAT16;
  const values = cx.valuesOf(c, at).map((d) => (d === 'N' || !integer ? d : Math.trunc(d)));
  cx.setConst(at, c.dims, values);
}

function constantOfShape(cx: ConvertContext, at: NodeAt): void {
  const shape = cx.numbers(foldInput(cx, at), at, 'the shape');
  const t = cx.attr(at, 'value')?.t;
  const fill = t ? (tensorValues(t, cx.file)?.[0] ?? 0) : 0;
  const n = shape.reduce((p, d) => p * d, 1);
  if (n > 1 << 20) cx.unsupported(at, 'ConstantOfShape of more than 2^20 values');
  cx.setConst(at, shape, new Array<Dim>(n).fill(fill));
}

/** The node's first input, which must be a constant (the node is part of a shape computation). */
export function foldInput(cx: ConvertContext, at: NodeAt): Const {
  const v = cx.get(at, 0);
  if (!v || v.t !== 'const') cx.unsupported(at, `${at.node.opType} of an activation`);
  return v;
}

/** Elementwise arithmetic on constants, with scalar broadcasting; the batch passes through ·1, /1, +0, -0. */
export function arithmetic(cx: ConvertContext, at: NodeAt, cs: Const[], f: (a: number, b: number) => number, unit: number): void {
  const [a, b] = cs;
  const av = cx.valuesOf(a, at);
  const bv = cx.valuesOf(b, at);
  const n = Math.max(av.length, bv.length);
  if (av.length !== n && av.length !== 1) cx.unsupported(at, `${at.node.opType} of constants of different shapes`);
  if (bv.length !== n && bv.length !== 1) cx.unsupported(at, `${at.node.opType} of constants of different shapes`);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = av[av.length === 1 ? 0 : i];
    const y = bv[bv.length === 1 ? 0 : i];
    if (x === 'N' || y === 'N') {
      if (x === 'N' && y === unit) out.push('N');
      else if (y === 'N' && x === unit && at.node.opType !== 'Div' && at.node.opType !== 'Sub') out.push('N');
      else cx.fail('a shape computation does arithmetic on the batch size, which cnnscope does not fold', at);
      continue;
    }
    out.push(f(x, y));
  }
  cx.setConst(at, a.dims.length >= b.dims.length ? a.dims : b.dims, out);
}

export const SHAPE_OPS: OpConverters = {
  Constant: constant,
  Shape: shape,
  Gather: gather,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Cast: cast,
  ConstantOfShape: constantOfShape,
};
