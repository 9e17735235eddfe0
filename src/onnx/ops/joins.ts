/** Joins and slices along the channels: Concat (also of shape constants), Split, Slice. */
import type { ConvertContext, OpConverters } from '../context.js';
import type { NodeAt } from '../values.js';

function concat(cx: ConvertContext, at: NodeAt): void {
  const cs = cx.allConst(at);
  const axis = cx.attrInt(at, 'axis', 0);
  if (cs) {
    if (cs.some((c) => c.dims.length !== 1)) cx.unsupported(at, 'Concat of constants of more than one dimension');
    const values = cs.flatMap((c) => cx.valuesOf(c, at));
    return cx.setConst(at, [values.length], values);
  }
  const xs = at.node.inputs.map((_, i) => cx.act(cx.get(at, i), at));
  const rank = cx.fullShape(xs[0]).length;
  if (xs.some((x) => x.layout !== 'nchw') || (axis !== 1 && axis !== 1 - rank))
    cx.unsupported(at, `Concat along axis ${axis} (cnnscope maps it along the channels)`);
  if (xs.length === 1) return cx.set(at, xs[0]);
  cx.set(at, cx.emit('concat', {}, xs, at));
}

function split(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  const rank = cx.fullShape(x).length;
  const raw = cx.attrInt(at, 'axis', 0);
  if (x.layout !== 'nchw' || (raw < 0 ? raw + rank : raw) !== 1)
    cx.unsupported(at, `Split along axis ${raw} (cnnscope maps it along the channels)`);
  const channels = cx.shapeOf(x)[0];
  const n = at.node.outputs.length;
  const given = cx.attrInts(at, 'split') ?? (cx.constant(at, 1) ? cx.numbers(cx.constant(at, 1)!, at, 'the split') : undefined);
  const sizes = given ?? new Array<number>(n).fill(Math.ceil(channels / n)).map((s, i) => (i < n - 1 ? s : channels - s * (n - 1)));
  let start = 0;
  sizes.forEach((size, i) => {
    cx.set(at, cx.emit('channel_slice', { start, end: start + size }, [x], at, [], `.${i}`), i);
    start += size;
  });
}

function slice(cx: ConvertContext, at: NodeAt): void {
  const cs = cx.allConst(at);
  const starts = cx.numbers(cx.requireConst(at, 1, 'the starts'), at, 'the starts');
  const ends = cx.numbers(cx.requireConst(at, 2, 'the ends'), at, 'the ends');
  const axesConst = cx.constant(at, 3);
  const stepsConst = cx.constant(at, 4);
  const steps = stepsConst ? cx.numbers(stepsConst, at, 'the steps') : starts.map(() => 1);
  if (cs) {
    const c = cs[0];
    if (c.dims.length !== 1 || steps.some((s) => s !== 1)) cx.unsupported(at, 'Slice of a constant of more than one dimension');
    const v = cx.valuesOf(c, at);
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + v.length : i, 0), v.length);
    const out = v.slice(clamp(starts[0]), clamp(ends[0]));
    return cx.setConst(at, [out.length], out);
  }
  const x = cx.input0(at);
  const rank = cx.fullShape(x).length;
  const axes = (axesConst ? cx.numbers(axesConst, at, 'the axes') : starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  if (x.layout !== 'nchw' || axes.length !== 1 || axes[0] !== 1 || steps[0] !== 1) {
    cx.unsupported(at, 'Slice other than of channels with step 1 (cnnscope maps x[:, start:end])');
  }
  const channels = cx.shapeOf(x)[0];
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + channels : i, 0), channels);
  cx.set(at, cx.emit('channel_slice', { start: clamp(starts[0]), end: clamp(ends[0]) }, [x], at));
}

export const JOIN_OPS: OpConverters = { Concat: concat, Split: split, Slice: slice };
