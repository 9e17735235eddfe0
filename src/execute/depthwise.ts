/**
 * The plan's depthwise convolution (one input channel per group: MobileNet, EfficientNet,
 * ConvNeXt), a direct kernel: an im2col GEMM would have one row (M = 1) per group. Each output
 * plane is accumulated in float64 from the bias, tap by tap, each tap a strided multiply-add over
 * the output pixels whose input pixel lies inside the input (no bounds test inside), then the
 * epilogue (residual, relu/relu6) and one rounding to float32. Memory bound: every input and
 * output element is touched about once per tap from cache, once from memory.
 */
import type { ConvGeometry } from '../kernels/im2col.js';
import { wasmGemmEnabled } from './context.js';
import { runWindow, scratchPlan, type ScratchPlan, type WindowContext } from './wasm/window-kernel.js';

export interface DepthwiseConv {
  readonly cin: number;
  readonly cout: number;
  readonly geometry: ConvGeometry;
  /** [cout, kh*kw], batchnorm folded in. */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly relu: boolean;
  readonly relu6: boolean;
}

/**
 * y = epilogue(depthwise(x) + residual) for every sample: x [n, cin, h, w], y and residual
 * [n, cout, hout, wout]. On wasm/window-kernel.ts's SIMD kernel when the engine runs wasm (float32
 * sums), else the float64 loops below.
 */
export function depthwiseConv(
  d: DepthwiseConv,
  n: number,
  x: Float32Array,
  y: Float32Array,
  residual: Float32Array | undefined,
  ctx: WindowContext = {},
): void {
  if (wasmGemmEnabled()) depthwiseConvWasm(d, n, x, y, residual, ctx);
  else depthwiseConvJs(d, n, x, y, residual);
}

const plans = new WeakMap<DepthwiseConv, ScratchPlan>();

/** The wasm kernel: in place in the context's engine memory, else on its own (the tensors copied in and out). */
export function depthwiseConvWasm(
  d: DepthwiseConv,
  n: number,
  x: Float32Array,
  y: Float32Array,
  residual: Float32Array | undefined,
  ctx: WindowContext = {},
): void {
  let plan = plans.get(d);
  if (!plan) plans.set(d, (plan = scratchPlan(d.geometry)));
  const act = d.relu6 ? 'relu6' : d.relu ? 'relu' : 'none';
  runWindow(ctx, d, plan, n, x, y, { weight: d.weight, bias: d.bias, act, ...(residual ? { residual } : {}) });
}

/** The float64 loops (the engine without wasm). */
export function depthwiseConvJs(d: DepthwiseConv, n: number, x: Float32Array, y: Float32Array, residual: Float32Array | undefined): void {
  const { cin, cout, geometry: g, weight, bias, relu, relu6 } = d;
  const { h, w, kh, kw, sh, sw, dh, dw, top, left, hout, wout } = g;
  const mult = cout / cin;
  const khw = kh * kw;
  // Per tap column j: the output columns whose input column ow*sw + j*dw - left lies in [0, w);
  // per tap row i: the output rows whose input row oh*sh + i*dh - top lies in [0, h).
  const lo = new Int32Array(kw);
  const hi = new Int32Array(kw);
  for (let j = 0; j < kw; j++) {
    const shift = j * dw - left;
    lo[j] = Math.min(wout, Math.max(0, Math.ceil(-shift / sw)));
    hi[j] = Math.max(lo[j], Math.min(wout, Math.floor((w - 1 - shift) / sw) + 1));
  }
  const rlo = new Int32Array(kh);
  const rhi = new Int32Array(kh);
  for (let i = 0; i < kh; i++) {
    const shift = i * dh - top;
    rlo[i] = Math.min(hout, Math.max(0, Math.ceil(-shift / sh)));
    rhi[i] = Math.max(rlo[i], Math.min(hout, Math.floor((h - 1 - shift) / sh) + 1));
  }
  const acc = new Float64Array(hout * wout);
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < cout; o++) {
      const plane = (s * cin + Math.floor(o / mult)) * h * w;
      acc.fill(bias[o]);
      // Tap by tap over the whole output plane: long inner loops, no bounds test inside.
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const wv = weight[o * khw + i * kw + j];
          tap(acc, x, plane + (i * dh - top) * w + j * dw - left, w, sh, sw, wout, wv, rlo[i], rhi[i], lo[j], hi[j]);
        }
      }
      store(acc, y, (s * cout + o) * hout * wout, residual, hout * wout, relu, relu6);
    }
  }
}

/** acc[oh, ow] += wv * x[base + oh*sh*w + ow*sw] over rows [r0, r1) and columns [c0, c1). */
function tap(
  acc: Float64Array,
  x: Float32Array,
  base: number,
  w: number,
  sh: number,
  sw: number,
  wout: number,
  wv: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
): void {
  for (let oh = r0; oh < r1; oh++) {
    const a = oh * wout;
    const src = base + oh * sh * w;
    if (sw === 1) for (let ow = c0; ow < c1; ow++) acc[a + ow] += wv * x[src + ow];
    else for (let ow = c0; ow < c1; ow++) acc[a + ow] += wv * x[src + ow * sw];
  }
}

/** y = act(acc (+ residual)), rounded to float32 as the reference rounds the conv's output (relu keeps NaN). */
function store(
  acc: Float64Array,
  y: Float32Array,
  dst: number,
  residual: Float32Array | undefined,
  n: number,
  relu: boolean,
  relu6: boolean,
): void {
  for (let k = 0; k < n; k++) {
    let v = Math.fround(acc[k]);
    if (residual) v = Math.fround(v + residual[dst + k]);
    if (relu) v = v < 0 ? 0 : relu6 && v > 6 ? 6 : v;
    y[dst + k] = v;
  }
}
