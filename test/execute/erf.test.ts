/**
 * erf (src/kernels/erf.ts), gelu's exact form, against torch.erf in float64 (torch 1.13; the
 * values below were printed by `torch.erf(torch.tensor(xs, dtype=torch.float64))`).
 */
import { describe, expect, it } from 'vitest';
import { erf } from '../../src/kernels/erf.js';

const TORCH_ERF: readonly (readonly [number, number])[] = [
  [1e-300, 1.1283791670955126e-300],
  [1e-30, 1.1283791670955127e-30],
  [1e-8, 1.1283791670955126e-8],
  [0.001, 0.0011283787909692365],
  [0.01, 0.011283415555849618],
  [0.1, 0.1124629160182849],
  [0.25, 0.27632639016823696],
  [0.5, 0.5204998778130465],
  [0.75, 0.7111556336535151],
  [1.0, 0.8427007929497149],
  [1.25, 0.9229001282564583],
  [1.5, 0.9661051464753108],
  [2.0, 0.9953222650189527],
  [2.4999, 0.9995928300996666],
  [2.5, 0.999593047982555],
  [2.75, 0.9998993780778803],
  [3.0, 0.9999779095030014],
  [3.5, 0.9999992569016276],
  [4.0, 0.9999999845827421],
  [4.5, 0.9999999998033839],
  [5.0, 0.9999999999984626],
  [5.5, 0.9999999999999927],
  [5.9, 0.9999999999999999],
  [-0.3, -0.3286267594591274],
  [-1.7, -0.9837904585907745],
  [-2.6, -0.9997639655834707],
  [-4.2, -0.9999999971445058],
];

describe('erf', () => {
  it("matches torch.erf in float64 to a few ulps, on both sides of the series' limit (2.5)", () => {
    for (const [x, expected] of TORCH_ERF) {
      expect(Math.abs(erf(x) - expected) / Math.abs(expected), `erf(${x})`).toBeLessThan(2e-15);
    }
  });

  it('is odd, saturates at ±1 and keeps the IEEE special values', () => {
    for (const x of [0.3, 1.9, 2.5, 4.4, 7]) expect(erf(-x)).toBe(-erf(x));
    expect(erf(6)).toBe(1);
    expect(erf(-30)).toBe(-1);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
  });

  it('grows monotonically across the switch from series to continued fraction', () => {
    let previous = erf(2.4);
    for (let x = 2.4; x <= 2.6; x += 1e-4) {
      const v = erf(x);
      expect(v).toBeGreaterThanOrEqual(previous);
      previous = v;
    }
  });
});
