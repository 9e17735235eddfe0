/**
 * The plan's depthwise kernels (src/execute/depthwise.ts, src/execute/wasm/window-kernel.ts)
 * against a naive loop written here: random geometries (strides 1 to 3 on each axis, dilation,
 * asymmetric padding, channel multipliers, kernels 1x1 to 7x7, widths that are not multiples of
 * the 8-output vector pair), with and without a residual, for each epilogue.
 */
import { describe, expect, it } from 'vitest';
import { rng } from './helpers.js';
import { depthwiseConvJs, depthwiseConvWasm, type DepthwiseConv } from '../../src/execute/depthwise.js';
import { scratchPlan } from '../../src/execute/wasm/window-kernel.js';
import { LocalContext } from '../../src/execute/context.js';
import type { ConvGeometry } from '../../src/kernels/im2col.js';

interface Case {
  readonly d: DepthwiseConv;
  readonly n: number;
  readonly x: Float32Array;
  readonly residual?: Float32Array;
}

function makeCase(seed: number): Case {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  for (;;) {
    const kh = int(1, 7);
    const kw = int(1, 7);
    const sh = int(1, 3);
    const sw = int(1, 3);
    const dh = int(1, 2);
    const dw = int(1, 2);
    const [top, bottom, left, right] = [int(0, kh), int(0, kh), int(0, kw), int(0, kw)];
    const h = int(1, 20);
    const w = int(1, 37);
    const hout = Math.floor((h + top + bottom - dh * (kh - 1) - 1) / sh) + 1;
    const wout = Math.floor((w + left + right - dw * (kw - 1) - 1) / sw) + 1;
    if (hout < 1 || wout < 1) continue;
    const cin = int(1, 5);
    const mult = int(1, 2);
    const cout = cin * mult;
    const n = int(1, 2);
    const geometry: ConvGeometry = { h, w, kh, kw, sh, sw, dh, dw, top, left, hout, wout };
    const rand = (k: number) => Float32Array.from({ length: k }, () => r() * 2 - 1);
    const act = int(0, 2);
    const d: DepthwiseConv = {
      cin,
      cout,
      geometry,
      weight: rand(cout * kh * kw),
      bias: rand(cout),
      relu: act > 0,
      relu6: act === 2,
    };
    const x = rand(n * cin * h * w).map((v) => v * 4);
    return { d, n, x, ...(r() < 0.5 ? { residual: rand(n * cout * hout * wout) } : {}) };
  }
}

/** The definition, one output element at a time, in float64. */
function naive({ d, n, x, residual }: Case): Float64Array {
  const { cin, cout, geometry: g, weight, bias, relu, relu6 } = d;
  const y = new Float64Array(n * cout * g.hout * g.wout);
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < cout; o++) {
      const c = Math.floor(o / (cout / cin));
      for (let oh = 0; oh < g.hout; oh++) {
        for (let ow = 0; ow < g.wout; ow++) {
          let v = bias[o];
          for (let i = 0; i < g.kh; i++) {
            for (let j = 0; j < g.kw; j++) {
              const ih = oh * g.sh - g.top + i * g.dh;
              const iw = ow * g.sw - g.left + j * g.dw;
              if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w)
                v += weight[o * g.kh * g.kw + i * g.kw + j] * x[((s * cin + c) * g.h + ih) * g.w + iw];
            }
          }
          const k = ((s * cout + o) * g.hout + oh) * g.wout + ow;
          if (residual) v += residual[k];
          if (relu) v = v < 0 ? 0 : relu6 && v > 6 ? 6 : v;
          y[k] = v;
        }
      }
    }
  }
  return y;
}

function maxError(a: Float32Array, b: Float64Array): number {
  let err = 0;
  let scale = 1e-30;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

describe('depthwise kernels against the definition', () => {
  for (let seed = 1; seed <= 120; seed++) {
    it(`random geometry ${seed}`, () => {
      const c = makeCase(seed);
      const expected = naive(c);
      const size = c.n * c.d.cout * c.d.geometry.hout * c.d.geometry.wout;
      const js = new Float32Array(size);
      depthwiseConvJs(c.d, c.n, c.x, js, c.residual);
      const wasm = new Float32Array(size).fill(NaN);
      depthwiseConvWasm(c.d, c.n, c.x, wasm, c.residual);
      expect(maxError(js, expected)).toBeLessThan(1e-6);
      expect(maxError(wasm, expected)).toBeLessThan(1e-5);
    });
  }

  it('runs in place in the engine memory with the same bits as on its own memory', () => {
    const ctx = new LocalContext();
    for (let seed = 200; seed < 230; seed++) {
      const c = makeCase(seed);
      const g = c.d.geometry;
      const inMemory = (a: Float32Array) => {
        const t = ctx.allocatePlan(a.length);
        t.set(a);
        return t;
      };
      const d = { ...c.d, weight: inMemory(c.d.weight), bias: inMemory(c.d.bias) };
      const size = c.n * d.cout * g.hout * g.wout;
      const copied = new Float32Array(size);
      depthwiseConvWasm(c.d, c.n, c.x, copied, c.residual);
      const x = inMemory(c.x);
      const y = ctx.allocUninit([size]).data;
      const residual = c.residual ? inMemory(c.residual) : undefined;
      expect(ctx.addressOf(x)).toBeGreaterThan(0);
      depthwiseConvWasm(d, c.n, x, y, residual, ctx);
      expect([...y]).toEqual([...copied]);
    }
  });

  it('keeps NaN through relu and relu6, as torch does', () => {
    const c = makeCase(7);
    const d = { ...c.d, relu: true, relu6: true };
    const x = c.x.slice();
    x.fill(NaN, 0, d.geometry.h * d.geometry.w);
    const y = new Float32Array(c.n * d.cout * d.geometry.hout * d.geometry.wout);
    depthwiseConvWasm(d, c.n, x, y, undefined);
    expect(y.some((v) => Number.isNaN(v))).toBe(true);
  });

  it('lays out phase planes so every tap of a stride-2 conv is a contiguous read', () => {
    // 3x3, stride 2, pad 1 over 8x8: output 4x4 (padded to 8 columns). Q has 2 phases of
    // 9 rows x (8 + 1) columns; tap (i, j) reads phase j % 2 at column offset floor(j / 2).
    const g: ConvGeometry = { h: 8, w: 8, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, top: 1, left: 1, hout: 4, wout: 4 };
    const plan = scratchPlan(g);
    expect(plan.qRow).toBe(9 * 4);
    expect(plan.qBytes).toBe(2 * 9 * 9 * 4 + 8); // rounded up to 16 bytes
    const plane = 9 * 9 * 4;
    expect([...plan.taps]).toEqual([0, plane, 4, 36, 36 + plane, 40, 72, 72 + plane, 76]);
    // Phase 0 holds input columns 1, 3, 5, 7 at Q columns 1..4; phase 1 columns 0, 2, 4, 6 at 0..3.
    expect([...plan.phases]).toEqual([(9 + 1) * 4, 4, 4, 8, plane + 9 * 4, 0, 4, 8]);
  });
});
