/**
 * The plan's depthwise convolution (one input channel per group: MobileNet, EfficientNet,
 * ConvNeXt), a direct kernel: an im2col GEMM would have one row (M = 1) per group. Each output
 * row is accumulated in float64 from the bias, tap by tap, each tap a strided multiply-add over
 * the output columns whose input column lies inside the input (no bounds test inside), then the
 * epilogue (residual, relu/relu6) and one rounding to float32. Memory bound: every input and
 * output element is touched about once per tap from cache, once from memory.
 */
import type { ConvGeometry } from '../kernels/im2col.js';

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

/** y = epilogue(depthwise(x) + residual) for every sample: x [n, cin, h, w], y and residual [n, cout, hout, wout]. */
export function depthwiseConv(d: DepthwiseConv, n: number, x: Float32Array, y: Float32Array, residual: Float32Array | undefined): void {
  const { cin, cout, geometry: g, weight, bias, relu, relu6 } = d;
  const { h, w, kh, kw, sh, sw, dh, dw, top, left, hout, wout } = g;
  const mult = cout / cin;
  const khw = kh * kw;
  // Per tap column j: the output columns whose input column ow*sw + shift lies in [0, w).
  const lo = new Int32Array(kw);
  const hi = new Int32Array(kw);
  for (let j = 0; j < kw; j++) {
    const shift = j * dw - left;
    lo[j] = Math.min(wout, Math.max(0, Math.ceil(-shift / sw)));
    hi[j] = Math.max(lo[j], Math.min(wout, Math.floor((w - 1 - shift) / sw) + 1));
  }
  const acc = new Float64Array(wout);
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < cout; o++) {
      const plane = (s * cin + Math.floor(o / mult)) * h * w;
      const out = (s * cout + o) * hout * wout;
      for (let oh = 0; oh < hout; oh++) {
        acc.fill(bias[o]);
        for (let i = 0; i < kh; i++) {
          const ih = oh * sh - top + i * dh;
          if (ih < 0 || ih >= h) continue;
          for (let j = 0; j < kw; j++) {
            tap(acc, x, plane + ih * w + j * dw - left, sw, weight[o * khw + i * kw + j], lo[j], hi[j]);
          }
        }
        store(acc, y, out + oh * wout, residual, wout, relu, relu6);
      }
    }
  }
}

function tap(acc: Float64Array, x: Float32Array, src: number, sw: number, wv: number, lo: number, hi: number): void {
  if (sw === 1) for (let ow = lo; ow < hi; ow++) acc[ow] += wv * x[src + ow];
  else for (let ow = lo; ow < hi; ow++) acc[ow] += wv * x[src + ow * sw];
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
  for (let ow = 0; ow < n; ow++) {
    let v = Math.fround(acc[ow]);
    if (residual) v = Math.fround(v + residual[dst + ow]);
    if (relu) v = v < 0 ? 0 : relu6 && v > 6 ? 6 : v;
    y[dst + ow] = v;
  }
}
