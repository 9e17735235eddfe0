import { describe, expect, it } from 'vitest';
import { concat } from '../../src/layers/concat.js';
import { LayerError } from '../../src/layers/kind.js';
import { apply, thrown } from './helpers.js';

describe('concat', () => {
  it("joins GoogLeNet's inception 3a branches: 64 + 128 + 32 + 32 = 256 channels", () => {
    const r = apply(concat, {}, [
      [64, 28, 28],
      [128, 28, 28],
      [32, 28, 28],
      [32, 28, 28],
    ]);
    expect(r.output).toEqual([256, 28, 28]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 0 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('joins flat features', () => {
    expect(apply(concat, {}, [[10], [20]]).output).toEqual([30]);
  });

  it('names the input whose spatial size differs', () => {
    const e = thrown(() =>
      apply(concat, {}, [
        [64, 28, 28],
        [64, 14, 14],
      ]),
    );
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('input 2 has spatial size 14x14, input 1 has 28x28: concat needs equal height and width');
    // The width alone, on a later input.
    expect(
      thrown(() =>
        apply(concat, {}, [
          [8, 7, 7],
          [8, 7, 7],
          [8, 7, 6],
        ]),
      ).message,
    ).toBe('input 3 has spatial size 7x6, input 1 has 7x7: concat needs equal height and width');
  });

  it('refuses mixed or unsupported ranks', () => {
    expect(thrown(() => apply(concat, {}, [[64, 28, 28], [10]])).message).toBe(
      'input 2 has shape [10], input 1 has [64, 28, 28]: concat needs all feature maps [C, H, W] or all flat [F]',
    );
    expect(
      thrown(() =>
        apply(concat, {}, [
          [3, 4],
          [3, 4],
        ]),
      ).message,
    ).toBe('input 1 has shape [3, 4]: concat expects feature maps [C, H, W] or flat features [F]');
  });
});
