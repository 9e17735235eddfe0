/** Upsampling: Resize (opset 10 and 11+) and the older Upsample, as the upsample layer. */
import { numel } from '../../layers/index.js';
import type { ConvertContext, OpConverters } from '../context.js';
import type { Act, Const, NodeAt } from '../values.js';

function resize(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  cx.requireNchw(x, at);
  const opset10 = at.node.inputs.length === 2;
  const scalesConst = cx.constant(at, opset10 ? 1 : 2);
  const sizesConst = opset10 ? undefined : cx.constant(at, 3);
  emitUpsample(cx, at, x, scalesConst, sizesConst, cx.attrString(at, 'coordinate_transformation_mode', 'half_pixel'));
}

function upsample(cx: ConvertContext, at: NodeAt): void {
  const x = cx.input0(at);
  cx.requireNchw(x, at);
  const scales = cx.constant(at, 1);
  const attr = cx.attr(at, 'scales');
  const c = scales ?? (attr ? { t: 'const' as const, dims: [attr.floats.length], values: [...attr.floats] } : undefined);
  emitUpsample(cx, at, x, c, undefined, 'asymmetric');
}

function emitUpsample(
  cx: ConvertContext,
  at: NodeAt,
  x: Act,
  scalesConst: Const | undefined,
  sizesConst: Const | undefined,
  ctm: string,
): void {
  const raw = cx.attrString(at, 'mode', 'nearest');
  const mode = raw === 'nearest' ? 'nearest' : raw === 'linear' || raw === 'bilinear' ? 'bilinear' : undefined;
  if (!mode) cx.unsupported(at, `${at.node.opType} in mode ${raw} (cnnscope maps nearest and linear)`);
  const args: Record<string, unknown> = { mode, align_corners: ctm === 'align_corners' };
  const sizes = sizesConst && numel(sizesConst.dims) > 0 ? cx.valuesOf(sizesConst, at) : undefined;
  const scales = scalesConst && numel(scalesConst.dims) > 0 ? cx.numbers(scalesConst, at, 'the scales') : undefined;
  if (sizes) {
    if (sizes.length !== 4) cx.unsupported(at, `${at.node.opType} to ${sizes.length} sizes`);
    args['size'] = [sizes[2], sizes[3]];
    if (sizes.slice(2).some((d) => typeof d !== 'number')) cx.fail('the output size depends on the batch', at);
  } else if (scales) {
    if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1)
      cx.unsupported(at, `${at.node.opType} by scales [${scales.join(', ')}] (cnnscope maps scaling of H and W)`);
    args['scale_factor'] = [scales[2], scales[3]];
  } else {
    cx.fail('has neither scales nor sizes', at);
  }
  if (mode === 'nearest' && ctm !== 'asymmetric')
    cx.unsupported(at, `nearest ${at.node.opType} with coordinate_transformation_mode ${ctm} (PyTorch's is asymmetric)`);
  if (mode === 'bilinear' && !['half_pixel', 'pytorch_half_pixel', 'align_corners'].includes(ctm)) {
    cx.unsupported(at, `linear ${at.node.opType} with coordinate_transformation_mode ${ctm}`);
  }
  cx.set(at, cx.emit('upsample', args, [x], at));
}

export const RESIZE_OPS: OpConverters = { Resize: resize, Upsample: upsample };
