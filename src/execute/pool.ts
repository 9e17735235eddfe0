/**
 * The plan's max pooling (maxpool with dilation 1, its window in conv's ConvGeometry): separable, a max along each input row's
 * windows into a row buffer, then a max down the rows of each output row's window, so each
 * output costs kh + kw comparisons instead of kh*kw, with no bounds test in the inner loops.
 * Max is exact and the comparison is the reference's (`v > m || v !== v`, so NaN wins), so the
 * output is bit-identical to maxpool.ts's forward.
 *
 * With the wasm engine, wasm/window-kernel.ts's SIMD kernel runs instead (maxPool2d picks): the
 * input padded with -inf into phase planes, then a vector max over the window's taps, 8 outputs
 * at a time. f32x4.max also lets NaN win; it differs from the comparison above only in the sign
 * of a zero (the max of -0 and +0 is +0 whatever their order).
 */
import type { ConvGeometry } from '../kernels/im2col.js';
import { wasmGemmEnabled } from './context.js';
import { runWindow, scratchPlan, type ScratchPlan, type WindowContext } from './wasm/window-kernel.js';

const plans = new WeakMap<ConvGeometry, ScratchPlan>();

/** y[plane] = maxpool(x[plane]) for `planes` planes of h×w, on the wasm kernel when the engine runs wasm. rows: scratch of h*wout floats (the JS kernel's). */
export function maxPool2d(
  x: Float32Array,
  y: Float32Array,
  planes: number,
  g: ConvGeometry,
  rows: Float32Array,
  ctx: WindowContext = {},
): void {
  if (!wasmGemmEnabled()) {
    maxPool2dJs(x, y, planes, g, rows);
    return;
  }
  let plan = plans.get(g);
  if (!plan) plans.set(g, (plan = scratchPlan(g)));
  // The planes of every sample are consecutive: one "sample" of `planes` channels.
  runWindow(ctx, { cin: planes, cout: planes, geometry: g }, plan, 1, x, y);
}

/** The separable JavaScript kernel. */
export function maxPool2dJs(x: Float32Array, y: Float32Array, planes: number, g: ConvGeometry, rows: Float32Array): void {
  // Dilation 1 (the plan takes this kernel only then): dh and dw are not read.
  const { h, w, kh, kw, sh, sw, top: ph, left: pw, hout, wout } = g;
  for (let plane = 0; plane < planes; plane++) {
    const xb = plane * h * w;
    // rows[r][ow] = max_j x[r][ow*sw - pw + j] over the columns inside [0, w).
    for (let r = 0; r < h; r++) rowMax(x, xb + r * w, w, kw, sw, pw, wout, rows, r * wout);
    const yb = plane * hout * wout;
    for (let oh = 0; oh < hout; oh++) {
      const r0 = Math.max(0, oh * sh - ph);
      const r1 = Math.min(h, oh * sh - ph + kh);
      colMax(rows, r0, r1, wout, y, yb + oh * wout);
    }
  }
}

function rowMax(
  x: Float32Array,
  src: number,
  w: number,
  kw: number,
  sw: number,
  pw: number,
  wout: number,
  out: Float32Array,
  dst: number,
): void {
  for (let ow = 0; ow < wout; ow++) {
    const c0 = Math.max(0, ow * sw - pw);
    const c1 = Math.min(w, ow * sw - pw + kw);
    let m = -Infinity;
    for (let q = c0; q < c1; q++) {
      const v = x[src + q];
      if (v > m || v !== v) m = v;
    }
    out[dst + ow] = m;
  }
}

function colMax(rows: Float32Array, r0: number, r1: number, wout: number, y: Float32Array, dst: number): void {
  for (let ow = 0; ow < wout; ow++) y[dst + ow] = -Infinity;
  for (let r = r0; r < r1; r++) {
    const src = r * wout;
    for (let ow = 0; ow < wout; ow++) {
      const v = rows[src + ow];
      const m = y[dst + ow];
      // NaN wins, as in the reference (a NaN in y stays: v > NaN is false, v !== v false).
      if (v > m || v !== v) y[dst + ow] = v;
    }
  }
}
