/**
 * upsample: resizing by interpolation (PyTorch's nn.Upsample and F.interpolate, modes `nearest`
 * and `bilinear`), to a given `size` or by a `scale_factor`. Input [C, H, W], output [C, h, w]
 * with, per axis, h = size, or floor(H * scale_factor); no tensors.
 *
 * The source positions are torch 1.13's, in its float32 arithmetic (UpSample.h), per axis of input
 * size n and output size m, with the scale r = 1/scale_factor when a scale factor is given (and not
 * recomputed), n/m otherwise:
 *   nearest:  i = min(floor(o * r), n - 1); i = o when m = n, o >> 1 when m = 2n;
 *   bilinear: src = r*(o + 0.5) - 0.5 clamped at 0, or o*(n - 1)/(m - 1) with align_corners
 *             (which ignores the scale factor); i0 = trunc(src), i1 = min(i0 + 1, n - 1),
 *             weights 1 - (src - i0) and src - i0; a copy when m = n.
 */
import { bool, choice, optionalNumberPair, optionalPair } from './args.js';
import { LayerError, formatShape, requireFeatureMap, type FieldStep, type LayerKind, type Shape } from './kind.js';
import { attr, type OnnxAttrs } from './onnx.js';

export type UpsampleMode = 'nearest' | 'bilinear';

export interface UpsampleArgs {
  readonly mode: UpsampleMode;
  readonly size: readonly [number, number] | null;
  readonly scale_factor: readonly [number, number] | null;
  readonly align_corners: boolean;
  readonly recompute_scale_factor: boolean;
}

/** How one output row (or column) reads the input: indices i0, i1 with weights w0, w1 (nearest: i0 alone, w0 = 1). */
export interface AxisMap {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float64Array;
  readonly w1: Float64Array;
}

const f32 = Math.fround;

/** compute_scales_value: 1/scale in float32 when a scale is used, else in/out. */
function indexScale(n: number, m: number, scale: number | null): number {
  return scale !== null ? f32(1 / scale) : f32(n / m);
}

/** The source indices and weights of one axis, as torch 1.13 computes them on the CPU. */
export function axisMap(mode: UpsampleMode, n: number, m: number, scale: number | null, alignCorners: boolean): AxisMap {
  const map = { i0: new Int32Array(m), i1: new Int32Array(m), w0: new Float64Array(m), w1: new Float64Array(m) };
  for (let o = 0; o < m; o++) {
    let i0: number;
    let w1 = 0;
    if (m === n) {
      i0 = o;
    } else if (mode === 'nearest') {
      i0 = m === 2 * n ? o >> 1 : Math.min(Math.floor(f32(f32(o) * indexScale(n, m, scale))), n - 1);
    } else {
      let src: number;
      if (alignCorners) {
        src = f32((m > 1 ? f32((n - 1) / (m - 1)) : 0) * o);
      } else {
        // One rounding after the multiply-add, as the fused multiply-add torch's kernel compiles to.
        src = Math.max(0, f32(indexScale(n, m, scale) * (o + 0.5) - 0.5));
      }
      i0 = Math.min(Math.trunc(src), n - 1);
      w1 = Math.min(Math.max(f32(src - i0), 0), 1);
    }
    map.i0[o] = i0;
    map.i1[o] = i0 < n - 1 && m !== n ? i0 + 1 : i0;
    map.w1[o] = w1;
    map.w0[o] = f32(1 - w1);
  }
  return map;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The tightest window, on the input grid refined u times, that holds every input position output
 * o reads with a non-zero weight, for the geometric ratio in : out = v : u in lowest terms (with
 * align_corners, (in - 1) : (out - 1)): output o's window starts at refined position v*o - padding.
 * Null when there is no such ratio (a size of 1 with align_corners).
 */
function axisWindow(
  map: AxisMap,
  n: number,
  m: number,
  alignCorners: boolean,
): { u: number; v: number; padding: number; kernel: number } | null {
  const [a, b] = alignCorners && m !== n ? [n - 1, m - 1] : [n, m];
  if (a === 0 || b === 0) return null;
  const g = gcd(a, b);
  const [v, u] = [a / g, b / g];
  let padding = -Infinity;
  let reach = -Infinity;
  for (let o = 0; o < m; o++) {
    const lo = map.w0[o] !== 0 ? map.i0[o] : map.i1[o];
    const hi = map.w1[o] !== 0 ? map.i1[o] : map.i0[o];
    padding = Math.max(padding, v * o - u * lo);
    reach = Math.max(reach, u * hi - v * o);
  }
  return { u, v, padding, kernel: padding + reach + 1 };
}

/** [h, w] of the output on an input [C, H, W]: `size`, or floor(in * scale_factor) (in float64, as F.interpolate). */
function outputSize(input: Shape, a: UpsampleArgs): [number, number] {
  if (a.size) return [a.size[0], a.size[1]];
  const s = a.scale_factor!;
  return [Math.floor(input[1] * s[0]), Math.floor(input[2] * s[1])];
}

/** The scale each axis's indices use: the scale factor, unless it is recomputed from the sizes (or a size is given). */
function usedScale(a: UpsampleArgs, axis: 0 | 1): number | null {
  return a.scale_factor && !a.recompute_scale_factor ? a.scale_factor[axis] : null;
}

export const upsample: LayerKind<UpsampleArgs> = {
  kind: 'upsample',
  summary: 'resizing by nearest or bilinear interpolation (nn.Upsample, F.interpolate)',
  arity: { min: 1, max: 1 },
  display: {
    category: 'resample',
    detail: (a) => {
      const pair = (p: readonly number[]) => (p[0] === p[1] ? String(p[0]) : `${p[0]}×${p[1]}`);
      return a.size ? `${a.mode} → ${a.size[0]}×${a.size[1]}` : `${a.mode} ×${pair(a.scale_factor!)}`;
    },
  },
  args: {
    mode: choice<UpsampleMode>({ values: ['nearest', 'bilinear'], default: 'nearest', doc: 'the interpolation' }),
    size: optionalPair({ doc: 'output size; give it or scale_factor' }),
    scale_factor: optionalNumberPair({ doc: 'output size = floor(input size · scale_factor); give it or size' }),
    align_corners: bool({
      default: false,
      doc: 'bilinear only: align the corner pixels of input and output (the scale factor is then not used for positions)',
    }),
    recompute_scale_factor: bool({ default: false, doc: 'compute positions from the sizes rather than from scale_factor' }),
  },
  resolve(raw, inputs) {
    const input = inputs[0];
    requireFeatureMap('upsample', input);
    const a = raw as unknown as UpsampleArgs;
    if (a.size && a.scale_factor) throw new LayerError('give size or scale_factor, not both', 'scale_factor');
    if (!a.size && !a.scale_factor) throw new LayerError('give size or scale_factor');
    if (a.align_corners && a.mode === 'nearest') {
      throw new LayerError('align_corners applies to bilinear interpolation only (as in PyTorch)', 'align_corners');
    }
    if (a.recompute_scale_factor && a.size) {
      throw new LayerError('recompute_scale_factor has no meaning with an explicit size (as in PyTorch)', 'recompute_scale_factor');
    }
    const [h, w] = outputSize(input, a);
    if (h < 1 || w < 1) {
      throw new LayerError(
        `output size would be ${h}×${w}: ${formatShape(input)} scaled by ${a.scale_factor!.join(' × ')} is less than 1 pixel`,
        'scale_factor',
      );
    }
    return a;
  },
  outputShape(inputs, a) {
    return [inputs[0][0], ...outputSize(inputs[0], a)];
  },
  tensors() {
    return [];
  },
  cost(_inputs, output, a) {
    // Bilinear: per output element a linear interpolation along the width in two rows and one
    // between them, 2 multiplies and 1 add each. The indices and weights, one set per output row
    // and column, are not counted. Nearest copies.
    const elements = output[0] * output[1] * output[2];
    return { macs: 0, flops: a.mode === 'bilinear' ? 9 * elements : 0 };
  },
  receptiveField(inputs, output, a): FieldStep {
    const [, h, w] = inputs[0];
    const maps = [
      axisMap(a.mode, h, output[1], usedScale(a, 0), a.align_corners),
      axisMap(a.mode, w, output[2], usedScale(a, 1), a.align_corners),
    ];
    const [wh, ww] = [axisWindow(maps[0], h, output[1], a.align_corners), axisWindow(maps[1], w, output[2], a.align_corners)];
    if (!wh || !ww) return { type: 'global' };
    if ([wh, ww].every((x) => x.u === 1 && x.v === 1 && x.kernel === 1 && x.padding === 0)) return { type: 'pointwise' };
    return {
      type: 'window',
      kernel: [wh.kernel, ww.kernel],
      stride: [wh.v, ww.v],
      padding: [wh.padding, ww.padding],
      dilation: [1, 1],
      upsample: [wh.u, ww.u],
    };
  },
  /**
   * Per plane (n, c) and output (i, j), from the two axis maps: nearest copies x[i0h, i0w];
   * bilinear computes w0h*(w0w*x[i0h, i0w] + w1w*x[i0h, i1w]) + w1h*(w0w*x[i1h, i0w] + w1w*x[i1h, i1w])
   * in float64 (torch: float32).
   */
  forward([x], a, _w, ctx) {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [oh, ow] = outputSize([c, h, w], a);
    const y = ctx.alloc([n, c, oh, ow]);
    const rows = axisMap(a.mode, h, oh, usedScale(a, 0), a.align_corners);
    const cols = axisMap(a.mode, w, ow, usedScale(a, 1), a.align_corners);
    const src = x.data;
    const dst = y.data;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let i = 0; i < oh; i++) {
        const out = (plane * oh + i) * ow;
        const r0 = base + rows.i0[i] * w;
        if (a.mode === 'nearest') {
          for (let j = 0; j < ow; j++) dst[out + j] = src[r0 + cols.i0[j]]!;
          continue;
        }
        const r1 = base + rows.i1[i] * w;
        const [h0, h1] = [rows.w0[i], rows.w1[i]];
        for (let j = 0; j < ow; j++) {
          const [c0, c1] = [cols.i0[j], cols.i1[j]];
          const [v0, v1] = [cols.w0[j], cols.w1[j]];
          dst[out + j] = h0 * (v0 * src[r0 + c0] + v1 * src[r0 + c1]) + h1 * (v0 * src[r1 + c0] + v1 * src[r1 + c1]);
        }
      }
    }
    return y;
  },
  /**
   * Resize: by `scales` [1, 1, sh, sw] for a scale factor; to `sizes` [N, C, h, w] (the batch from
   * Shape) for a size or a recomputed scale factor. nearest is PyTorch's asymmetric floor,
   * bilinear is linear with pytorch_half_pixel, or align_corners.
   */
  onnx(e, a, _inputs, output) {
    const [x] = e.inputs;
    const bilinear = a.mode === 'bilinear';
    const attrs: OnnxAttrs = bilinear
      ? {
          mode: attr.string('linear'),
          coordinate_transformation_mode: attr.string(a.align_corners ? 'align_corners' : 'pytorch_half_pixel'),
        }
      : { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') };
    if (a.scale_factor && !a.recompute_scale_factor) {
      e.node('Resize', [x, '', e.constant([1, 1, ...a.scale_factor], 'float')], attrs, e.output);
      return;
    }
    const batch = e.helper('Slice', [e.helper('Shape', [x]), e.constant([0]), e.constant([1])]);
    const sizes = e.helper('Concat', [batch, e.constant(output)], { axis: attr.int(0) });
    e.node('Resize', [x, '', '', sizes], attrs, e.output);
  },
  docs: {
    shapes: '`[C, H, W]` to `[C, h, w]`: `size`, or `floor(H·scale_factor)` per axis',
    flops:
      '`9·E` bilinear (per output, a linear interpolation in each of two rows and one between them, 2 multiplies and 1 add each; the per-row and per-column indices and weights are not counted), 0 nearest (a copy)',
  },
};
