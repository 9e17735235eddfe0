/** `grouped` writes what toLocaleString('en-US') writes, without loading ICU's number formatting for whole numbers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grouped } from '../../src/report/units.js';

describe('grouped', () => {
  it('groups whole numbers as toLocaleString("en-US") does', () => {
    const edges = [
      0,
      -0,
      1,
      -1,
      999,
      1000,
      -1000,
      999_999,
      1_000_000,
      25_557_032,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 53,
      1e21,
      0.5,
      1234.5678,
      -1e-7,
      NaN,
      Infinity,
      -Infinity,
    ];
    for (const n of edges) expect(grouped(n)).toBe(n.toLocaleString('en-US'));
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => grouped(n) === n.toLocaleString('en-US')),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.double(), (n) => grouped(n) === n.toLocaleString('en-US')),
      { numRuns: 2000 },
    );
  });
});
