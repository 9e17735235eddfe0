/**
 * Moving data without computing: Flatten, and the Reshape and Transpose patterns cnnscope maps
 * (a flatten, the permutes to and from channels-last, the Reshape-Transpose-Reshape of a channel shuffle).
 */
import { numel } from '../../layers/index.js';
import type { ConvertContext, OpConverters } from '../context.js';
import type { Dim, NodeAt, Pending } from '../values.js';

function flatten(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  const axis = cx.attrInt(at, 'axis', 1);
  if (x.layout !== 'nchw' || axis !== 1) cx.unsupported(at, `Flatten from axis ${axis} (cnnscope maps torch.flatten(x, 1))`);
  cx.set(at, cx.emit('flatten', {}, [x], at));
}

function reshape(cx: ConvertContext, at: NodeAt): void {
  const v = cx.get(at, 0);
  const target = cx.valuesOf(cx.requireConst(at, 1, 'the shape'), at);
  if (v?.t === 'const') cx.unsupported(at, 'Reshape of a constant');
  if (v?.t === 'pending' && v.form === 'gn.norm') return groupNormRestored(cx, at, v, target);
  const source: Dim[] = v?.t === 'pending' && v.form === 'shuffle' ? (v.data['shape'] as Dim[]) : cx.fullShape(cx.act(v, at));
  const shape = reshapeTarget(cx, source, target, at);
  if (v?.t === 'pending' && v.form === 'shuffle') {
    const x = v.x;
    const groups = v.data['groups'] as number;
    const s = cx.shapeOf(x);
    if (v.data['transposed'] === true && shape.length === 4 && shape[1] === s[0] && shape[2] === s[1] && shape[3] === s[2]) {
      return cx.set(at, cx.emit('channel_shuffle', { groups }, [x], v.at));
    }
    cx.fail('is part of a channel shuffle (Reshape, Transpose, Reshape), and the rest of it does not follow', v.at);
  }
  const x = cx.act(v, at);
  const s = cx.shapeOf(x);
  const perSample = shape.slice(1) as number[];
  if (x.layout === 'nchw' && perSample.length === s.length && perSample.every((d, i) => d === s[i])) return cx.set(at, x);
  if (x.layout === 'nchw' && perSample.length === 1) return cx.set(at, cx.emit('flatten', {}, [x], at));
  if (
    x.layout === 'nchw' &&
    s.length === 3 &&
    perSample.length === 4 &&
    perSample[0] * perSample[1] === s[0] &&
    perSample[2] === s[1] &&
    perSample[3] === s[2]
  ) {
    const groups = perSample[0];
    const make = () => cx.fail('is part of a channel shuffle (Reshape, Transpose, Reshape), and the rest of it does not follow', at);
    return cx.set(at, cx.pending('shuffle', x, at, { groups, shape, transposed: false }, make));
  }
  const refused = () =>
    cx.unsupported(
      at,
      `Reshape of [${cx.fullShape(x).join(', ')}] to [${shape.join(', ')}] (cnnscope maps a flatten, a channel shuffle and a GroupNorm)`,
    );
  // [N, groups, -1]: the start of a GroupNorm, when an InstanceNormalization reads it.
  if (x.layout === 'nchw' && perSample.length === 2 && s[0] % perSample[0] === 0 && perSample[0] * perSample[1] === numel(s)) {
    return cx.set(at, cx.pending('gn.grouped', x, at, { groups: perSample[0], shape }, refused));
  }
  refused();
}

/**
 * The Reshape back to the input's shape that ends a GroupNorm's normalization (torch's form:
 * Reshape to [N, groups, -1], InstanceNormalization, Reshape back, then Mul and Add per channel,
 * matched in elementwise.ts): a groupnorm without affine, unless a scale follows.
 */
function groupNormRestored(cx: ConvertContext, at: NodeAt, v: Pending, target: Dim[]): void {
  const x = v.x;
  const shape = reshapeTarget(cx, v.data['shape'] as Dim[], target, at);
  if (shape.join() !== cx.fullShape(x).join()) {
    cx.fail('is part of a GroupNorm (Reshape, InstanceNormalization, Reshape), and the rest of it does not follow', v.at);
  }
  const data = { groups: v.data['groups'], eps: v.data['eps'] };
  cx.set(
    at,
    cx.pending('gn.normed', x, v.at, data, () => cx.emit('groupnorm', { ...data, affine: false }, [x], v.at)),
  );
}

/** The target of a Reshape, its 0s and -1 resolved; the batch must stay first. */
function reshapeTarget(cx: ConvertContext, source: Dim[], target: Dim[], at: NodeAt): Dim[] {
  const allowZero = cx.attrInt(at, 'allowzero', 0) !== 0;
  const out = target.map((d, i) => (d === 0 && !allowZero ? source[i] : d));
  if (out[0] !== 'N' && out[0] !== -1) cx.fail(`reshapes to [${out.join(', ')}], which does not keep the batch first`, at);
  const sourceCount = (source.slice(1) as number[]).reduce((p, d) => p * d, 1);
  const known = out.slice(1).filter((d) => d !== -1) as number[];
  const product = known.reduce((p, d) => p * d, 1);
  const missing = out.slice(1).filter((d) => d === -1).length;
  if (out[0] === -1 && missing === 0 && product === sourceCount) return ['N', ...out.slice(1)];
  if (out[0] === -1 || missing > 1 || (missing === 0 && product !== sourceCount) || (missing === 1 && sourceCount % product !== 0)) {
    cx.fail(`cannot reshape [${source.join(', ')}] to [${target.join(', ')}]`, at);
  }
  return out.map((d, i) => (i > 0 && d === -1 ? sourceCount / product : d));
}

function transpose(cx: ConvertContext, at: NodeAt): void {
  const v = cx.get(at, 0);
  const perm = (cx.attrInts(at, 'perm') ?? []).join();
  if (v?.t === 'pending' && v.form === 'shuffle' && perm === '0,2,1,3,4' && v.data['transposed'] === false) {
    const shape = v.data['shape'] as Dim[];
    const data = { ...v.data, transposed: true, shape: [shape[0], shape[2], shape[1], shape[3], shape[4]] };
    return cx.set(at, { ...v, data, made: undefined });
  }
  if (v?.t === 'const' && v.dims.length === 2 && perm === '1,0') {
    // A weight read transposed, as cnnscope writes channel_linear's (the initializer keeps the
    // state_dict's [out, C]): its dimensions swapped, and the constant it transposes, whose
    // values a layer reading it transposed (MatMul) takes as they are stored.
    return cx.set(at, { t: 'const', dims: [v.dims[1], v.dims[0]], transposeOf: v });
  }
  const x = cx.act(v, at);
  const s = cx.shapeOf(x);
  if (s.length === 3 && x.layout === 'nchw' && perm === '0,2,3,1') return cx.set(at, { t: 'act', id: x.id, layout: 'nhwc' });
  if (s.length === 3 && x.layout === 'nhwc' && perm === '0,3,1,2') return cx.set(at, { t: 'act', id: x.id, layout: 'nchw' });
  cx.unsupported(
    at,
    `Transpose by [${perm}] of [${cx.fullShape(x).join(', ')}] (cnnscope maps the permutes to and from channels-last, and the one of a channel shuffle)`,
  );
}

export const RESHAPE_OPS: OpConverters = { Flatten: flatten, Reshape: reshape, Transpose: transpose };
