import { describe, expect, it } from 'vitest';
import { lrn } from '../../src/layers/lrn.js';
import { apply, thrown } from './helpers.js';

describe('lrn', () => {
  it("counts AlexNet's first LRN (size 5) at size + 4 flops per element", () => {
    const r = apply(lrn, { size: 5, k: 2 }, [[96, 55, 55]]);
    expect(r.args).toEqual({ size: 5, alpha: 1e-4, beta: 0.75, k: 2 });
    expect(r.output).toEqual([96, 55, 55]);
    expect(r.tensors).toEqual([]);
    // 96 * 55 * 55 = 290,400 elements * (1 square + 4 adds + alpha, k, pow, divide = 9)
    expect(r.cost).toEqual({ macs: 0, flops: 2_613_600 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('requires size and a feature map', () => {
    expect(thrown(() => apply(lrn, {}, [[8, 4, 4]])).message).toBe("missing argument 'size' for lrn");
    expect(thrown(() => apply(lrn, { size: 3 }, [[8]])).message).toBe('lrn expects a feature map [C, H, W], got [8]');
  });
});
