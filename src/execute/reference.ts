/**
 * Plain reference implementations of convolution and linear: the definitions, as naive loops,
 * kept for tests to check the fast kernels against (whatever those become). Float64 sums;
 * padding taps are skipped rather than multiplied by zero.
 */
import { tensor, type Tensor } from '../kernels/tensor.js';
import type { Padding4 } from '../layers/args.js';

export interface ConvParams {
  readonly stride: readonly [number, number];
  readonly padding: Padding4;
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/**
 * y[n, o, oh, ow] = bias[o] + sum over c < Cin/groups, i < kh, j < kw of
 *   weight[o, c, i, j] * x[n, g*Cin/groups + c, oh*sh - top + i*dh, ow*sw - left + j*dw]
 * with g = floor(o / (Cout/groups)) and x zero outside the input.
 */
export function conv2dReference(x: Tensor, weight: Tensor, bias: Float32Array | undefined, p: ConvParams): Tensor {
  const [n, cin, h, w] = x.shape as [number, number, number, number];
  const [cout, cg, kh, kw] = weight.shape as [number, number, number, number];
  const [sh, sw] = p.stride;
  const [dh, dw] = p.dilation;
  // The textbook output size, written out here rather than taken from src/layers/window.ts, so
  // that the reference does not share the code it checks.
  const axis = (size: number, before: number, after: number, k: number, s: number, d: number) =>
    Math.max(0, Math.floor((size + before + after - d * (k - 1) - 1) / s) + 1);
  const hout = axis(h, p.padding.top, p.padding.bottom, kh, sh, dh);
  const wout = axis(w, p.padding.left, p.padding.right, kw, sw, dw);
  if (cg * p.groups !== cin)
    throw new Error(`conv2dReference: weight has ${cg} input channels per group, input ${cin} / ${p.groups} groups`);
  const mg = cout / p.groups;
  const y = tensor([n, cout, hout, wout]);
  for (let s = 0; s < n; s++)
    for (let o = 0; o < cout; o++) {
      const g = Math.floor(o / mg);
      for (let oh = 0; oh < hout; oh++)
        for (let ow = 0; ow < wout; ow++) {
          let acc = bias ? bias[o] : 0;
          for (let c = 0; c < cg; c++)
            for (let i = 0; i < kh; i++) {
              const ih = oh * sh - p.padding.top + i * dh;
              if (ih < 0 || ih >= h) continue;
              for (let j = 0; j < kw; j++) {
                const iw = ow * sw - p.padding.left + j * dw;
                if (iw < 0 || iw >= w) continue;
                acc += weight.data[((o * cg + c) * kh + i) * kw + j] * x.data[((s * cin + g * cg + c) * h + ih) * w + iw];
              }
            }
          y.data[((s * cout + o) * hout + oh) * wout + ow] = acc;
        }
    }
  return y;
}

/** y[n, o] = bias[o] + sum_f weight[o, f] * x[n, f]. */
export function linearReference(x: Tensor, weight: Tensor, bias: Float32Array | undefined): Tensor {
  const [n, f] = x.shape as [number, number];
  const [out, fw] = weight.shape as [number, number];
  if (f !== fw) throw new Error(`linearReference: weight has ${fw} input features, input ${f}`);
  const y = tensor([n, out]);
  for (let s = 0; s < n; s++)
    for (let o = 0; o < out; o++) {
      let acc = bias ? bias[o] : 0;
      for (let k = 0; k < f; k++) acc += weight.data[o * f + k] * x.data[s * f + k];
      y.data[s * out + o] = acc;
    }
  return y;
}
