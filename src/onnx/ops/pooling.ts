/** Pooling, and the zero Pad that a convolution or average pool takes into its own padding. */
import type { ConvertContext, OpConverters } from '../context.js';
import type { NodeAt } from '../values.js';

function maxPool(cx: ConvertContext, at: NodeAt): void {
  if (at.node.outputs.length > 1 && at.node.outputs[1] !== '') cx.unsupported(at, 'MaxPool with indices');
  pool(cx, at, 'maxpool');
}

function averagePool(cx: ConvertContext, at: NodeAt): void {
  pool(cx, at, 'avgpool');
}

function pool(cx: ConvertContext, at: NodeAt, kind: 'maxpool' | 'avgpool'): void {
  let v = cx.get(at, 0);
  let extra = [0, 0, 0, 0];
  if (kind === 'avgpool' && v?.t === 'pending' && v.form === 'pad') {
    // A zero Pad before an average pool: padding counted in the divisor.
    extra = v.data['pads'] as number[];
    v = v.x;
  }
  const x = cx.act(v, at);
  cx.requireNchw(x, at);
  const kernel = cx.attrInts(at, 'kernel_shape');
  if (!kernel || kernel.length !== 2) cx.unsupported(at, `${at.node.opType} that is not 2-D`);
  const stride = cx.attrInts(at, 'strides') ?? [1, 1];
  const dilation = cx.attrInts(at, 'dilations') ?? [1, 1];
  const [, h, w] = cx.shapeOf(x);
  const own = cx.pads(at, kernel, stride, dilation, [h, w]);
  const p = own.map((q, i) => q + extra[i]);
  if (p[0] !== p[2] || p[1] !== p[3]) cx.unsupported(at, `${at.node.opType} with unequal pads [${p.join(', ')}]`);
  const ceil = cx.attrInt(at, 'ceil_mode', 0) !== 0;
  const args: Record<string, unknown> = { kernel, stride, padding: [p[0], p[1]], ceil };
  if (kind === 'maxpool') args['dilation'] = dilation;
  else {
    if (dilation.some((d) => d !== 1)) cx.unsupported(at, 'AveragePool with dilations');
    args['count_include_pad'] = cx.attrInt(at, 'count_include_pad', 0) !== 0 || extra.some((e) => e > 0);
  }
  cx.set(at, cx.emit(kind, args, [x], at));
}

function globalAveragePool(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  cx.requireNchw(x, at);
  cx.set(at, cx.emit('global_avgpool', {}, [x], at));
}

/** Zero padding of H and W, taken into the convolution or average pool that reads it. */
function pad(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  cx.requireNchw(x, at);
  const mode = cx.attrString(at, 'mode', 'constant');
  const pads = cx.attrInts(at, 'pads') ?? cx.numbers(cx.requireConst(at, 1, 'the pads'), at, 'the pads');
  const value = cx.constant(at, 2);
  const fill = value ? cx.scalar(value, at, 'the value') : cx.attrFloat(at, 'value', 0);
  if (cx.constant(at, 3)) cx.unsupported(at, 'Pad with axes');
  if (mode !== 'constant' || fill !== 0) cx.unsupported(at, `Pad in mode ${mode} with value ${fill} (cnnscope maps zero padding)`);
  if (pads.length !== 8 || pads[0] !== 0 || pads[1] !== 0 || pads[4] !== 0 || pads[5] !== 0 || pads.some((p) => p < 0)) {
    cx.unsupported(at, `Pad by [${pads.join(', ')}] (cnnscope maps zero padding of H and W)`);
  }
  const data = { pads: [pads[2], pads[3], pads[6], pads[7]] };
  cx.set(
    at,
    cx.pending('pad', x, at, data, () => cx.fail('zero padding is mapped only into the Conv or AveragePool that reads it', at)),
  );
}

export const POOLING_OPS: OpConverters = { MaxPool: maxPool, AveragePool: averagePool, GlobalAveragePool: globalAveragePool, Pad: pad };
