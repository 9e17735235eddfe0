/**
 * The plan's max pooling (src/execute/pool.ts): the wasm kernel and the separable JavaScript one
 * against the definition, on random geometries: kernels 1 to 5 a side, strides 1 to 3, padding
 * up to half the kernel, outputs of ceil mode (the last window running past the input), widths
 * that are not multiples of the 8-output vector pair, and NaN inputs.
 */
import { describe, expect, it } from 'vitest';
import { rng } from './helpers.js';
import { maxPool2d, maxPool2dJs } from '../../src/execute/pool.js';
import type { ConvGeometry } from '../../src/kernels/im2col.js';

function makeCase(seed: number): { g: ConvGeometry; planes: number; x: Float32Array } {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  for (;;) {
    const kh = int(1, 5);
    const kw = int(1, 5);
    const sh = int(1, 3);
    const sw = int(1, 3);
    const ph = int(0, Math.floor(kh / 2));
    const pw = int(0, Math.floor(kw / 2));
    const h = int(1, 19);
    const w = int(1, 41);
    const ceil = r() < 0.5;
    const out = (n: number, k: number, s: number, p: number) => {
      const span = n + 2 * p - k;
      if (span < 0) return 0;
      let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
      // torch's rule: the last window starts inside the input or its left padding.
      if (ceil && (o - 1) * s >= n + p) o--;
      return o;
    };
    const hout = out(h, kh, sh, ph);
    const wout = out(w, kw, sw, pw);
    if (hout < 1 || wout < 1) continue;
    const planes = int(1, 6);
    const x = Float32Array.from({ length: planes * h * w }, () => (r() < 0.02 ? NaN : r() * 2 - 1));
    return { g: { h, w, kh, kw, sh, sw, dh: 1, dw: 1, top: ph, left: pw, hout, wout }, planes, x };
  }
}

function naive({ g, planes, x }: ReturnType<typeof makeCase>): Float32Array {
  const y = new Float32Array(planes * g.hout * g.wout);
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < g.hout; oh++) {
      for (let ow = 0; ow < g.wout; ow++) {
        let m = -Infinity;
        for (let i = 0; i < g.kh; i++) {
          for (let j = 0; j < g.kw; j++) {
            const ih = oh * g.sh - g.top + i;
            const iw = ow * g.sw - g.left + j;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            const v = x[(p * g.h + ih) * g.w + iw];
            if (v > m || Number.isNaN(v)) m = Number.isNaN(m) ? m : v;
          }
        }
        y[(p * g.hout + oh) * g.wout + ow] = m;
      }
    }
  }
  return y;
}

describe('max pooling kernels against the definition', () => {
  for (let seed = 1; seed <= 100; seed++) {
    it(`random geometry ${seed}`, () => {
      const c = makeCase(seed);
      const expected = naive(c);
      const js = new Float32Array(expected.length);
      maxPool2dJs(c.x, js, c.planes, c.g, new Float32Array(c.g.h * c.g.wout));
      const wasm = new Float32Array(expected.length);
      maxPool2d(c.x, wasm, c.planes, c.g, new Float32Array(c.g.h * c.g.wout));
      // Max is exact: equal values, NaN where the window holds one (toEqual treats NaN as equal).
      expect([...js]).toEqual([...expected]);
      expect([...wasm]).toEqual([...expected]);
    });
  }
});
