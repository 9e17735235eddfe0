import { describe, expect, it } from 'vitest';
import { add } from '../../src/layers/add.js';
import { LayerError } from '../../src/layers/kind.js';
import { apply, thrown } from './helpers.js';

describe('add', () => {
  it('sums a residual connection: n - 1 adds per element', () => {
    const r = apply(add, {}, [
      [256, 56, 56],
      [256, 56, 56],
    ]);
    expect(r.output).toEqual([256, 56, 56]);
    expect(r.tensors).toEqual([]);
    // 256 * 56 * 56 = 802,816 elements, 1 add each
    expect(r.cost).toEqual({ macs: 0, flops: 802_816 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('takes more than two inputs', () => {
    expect(add.arity).toEqual({ min: 2, max: Infinity });
    const shape = [8, 4, 4];
    // 3 inputs: 2 adds per element, 2 * 128
    expect(apply(add, {}, [shape, shape, shape]).cost.flops).toBe(256);
  });

  it('names the input whose shape differs', () => {
    const e = thrown(() =>
      apply(add, {}, [
        [256, 28, 28],
        [128, 28, 28],
      ]),
    );
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('input 2 has shape [128, 28, 28], input 1 has [256, 28, 28]: add needs equal shapes');
    expect(
      thrown(() =>
        apply(add, {}, [
          [4, 2, 2],
          [4, 2, 2],
          [4, 1, 2],
        ]),
      ).message,
    ).toBe('input 3 has shape [4, 1, 2], input 1 has [4, 2, 2]: add needs equal shapes');
    // No broadcasting: [256] and [256, 1, 1] differ.
    expect(thrown(() => apply(add, {}, [[256], [256, 1, 1]])).message).toBe(
      'input 2 has shape [256, 1, 1], input 1 has [256]: add needs equal shapes',
    );
  });
});
