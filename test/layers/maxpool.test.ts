import { describe, expect, it } from 'vitest';
import { LayerError } from '../../src/layers/kind.js';
import { maxpool } from '../../src/layers/maxpool.js';
import { apply, thrown } from './helpers.js';

/** Output height of a square maxpool on a [1, size, size] input. */
function height(size: number, args: Record<string, unknown>): number {
  return apply(maxpool, args, [[1, size, size]]).output[1];
}

describe('maxpool', () => {
  it('rounds up in ceil mode: 112, kernel 3, stride 2 gives 56 (55 without)', () => {
    // floor((112 - 3) / 2) + 1 = 54 + 1 = 55; ceil(109 / 2) + 1 = 55 + 1 = 56,
    // and the last window starts at 55 * 2 = 110 < 112: kept.
    expect(height(112, { kernel: 3, stride: 2, ceil: true })).toBe(56);
    expect(height(112, { kernel: 3, stride: 2 })).toBe(55);
  });

  it('rounds up in ceil mode: 7, kernel 2, stride 2 gives 4 (3 without)', () => {
    // ceil((7 - 2) / 2) + 1 = 3 + 1 = 4; the last window starts at 6 < 7 and holds one pixel.
    expect(height(7, { kernel: 2, stride: 2, ceil: true })).toBe(4);
    expect(height(7, { kernel: 2, stride: 2 })).toBe(3);
  });

  it('drops a ceil-mode window that would start in the trailing padding', () => {
    // Input 5, kernel 2, stride 2, padding 1: ceil((5 + 2 - 2) / 2) + 1 = 3 + 1 = 4 windows,
    // starting at -1, 1, 3, 5 in input coordinates. The one at 5 starts in the right padding:
    // (4 - 1) * 2 = 6 >= 5 + 1, so PyTorch drops it: 3, the same as floor mode.
    expect(height(5, { kernel: 2, stride: 2, padding: 1, ceil: true })).toBe(3);
    expect(height(5, { kernel: 2, stride: 2, padding: 1 })).toBe(3);
  });

  it('keeps a ceil-mode window that starts inside the input', () => {
    // Input 6, kernel 3, stride 2, padding 1: ceil((6 + 2 - 3) / 2) + 1 = 3 + 1 = 4 windows,
    // starting at -1, 1, 3, 5; the last starts on the last pixel: (4 - 1) * 2 = 6 < 6 + 1, kept.
    // Floor mode: floor(5 / 2) + 1 = 3.
    expect(height(6, { kernel: 3, stride: 2, padding: 1, ceil: true })).toBe(4);
    expect(height(6, { kernel: 3, stride: 2, padding: 1 })).toBe(3);
  });

  it("follows GoogLeNet's 3/2 ceil-mode pools: 112 -> 56 -> 28 -> 14 -> 7", () => {
    // 56: ceil(53 / 2) + 1 = 28; 28: ceil(25 / 2) + 1 = 14; 14: ceil(11 / 2) + 1 = 7 (6 in floor mode).
    const pool = { kernel: 3, stride: 2, ceil: true };
    expect([112, 56, 28, 14].map((s) => height(s, pool))).toEqual([56, 28, 14, 7]);
    expect(height(14, { kernel: 3, stride: 2 })).toBe(6);
  });

  it("counts ResNet's 3x3 stride-2 pool: 8 comparisons per output", () => {
    const r = apply(maxpool, { kernel: 3, stride: 2, padding: 1 }, [[64, 112, 112]]);
    // floor((112 + 2 - 3) / 2) + 1 = 55 + 1 = 56
    expect(r.output).toEqual([64, 56, 56]);
    expect(r.tensors).toEqual([]);
    expect(r.params).toBe(0);
    // 64 * 56 * 56 = 200,704 outputs * (9 - 1) = 1,605,632
    expect(r.cost).toEqual({ macs: 0, flops: 1_605_632 });
    expect(r.field).toEqual({ type: 'window', kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1] });
  });

  it('defaults the stride to the kernel', () => {
    const r = apply(maxpool, { kernel: [2, 3] }, [[8, 8, 9]]);
    expect(r.args.stride).toEqual([2, 3]);
    // 8 / 2 = 4, 9 / 3 = 3
    expect(r.output).toEqual([8, 4, 3]);
    expect(r.cost.flops).toBe(8 * 4 * 3 * 5);
    // An explicit stride wins.
    expect(apply(maxpool, { kernel: 2, stride: 1 }, [[8, 8, 9]]).output).toEqual([8, 7, 8]);
  });

  it('spreads the window with dilation', () => {
    // extent 2 * (3 - 1) + 1 = 5: 10 - 5 + 1 = 6
    const r = apply(maxpool, { kernel: 3, stride: 1, dilation: 2 }, [[1, 10, 10]]);
    expect(r.output).toEqual([1, 6, 6]);
    expect(r.field).toEqual({ type: 'window', kernel: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [2, 2] });
  });

  it('refuses padding over half the kernel, as PyTorch does', () => {
    const e = thrown(() => apply(maxpool, { kernel: 3, padding: 2 }, [[1, 10, 10]]));
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('padding 2 is more than half the kernel 3 along the height: PyTorch requires padding <= kernel/2');
    expect((e as LayerError).arg).toBe('padding');
    const e2 = thrown(() => apply(maxpool, { kernel: [3, 1], padding: [1, 1] }, [[1, 10, 10]]));
    expect(e2.message).toBe('padding 1 is more than half the kernel 1 along the width: PyTorch requires padding <= kernel/2');
    // kernel 2: 2/2 = 1 is allowed.
    expect(apply(maxpool, { kernel: 2, padding: 1 }, [[1, 10, 10]]).output).toEqual([1, 6, 6]);
  });

  it('needs a feature map', () => {
    expect(thrown(() => apply(maxpool, { kernel: 2 }, [[10]])).message).toBe('maxpool expects a feature map [C, H, W], got [10]');
  });

  it('says why the output would be empty', () => {
    expect(thrown(() => apply(maxpool, { kernel: 3 }, [[1, 2, 8]])).message).toBe(
      'output height would be 0: input height 2 + padding 0 is smaller than the window extent 3 (kernel 3)',
    );
  });

  it('in ceil mode, a window larger than the input still gives one output (PyTorch pooling_output_shape)', () => {
    // span = 2 - 3 = -1; ceil: floor((-1 + 2 - 1) / 2) + 1 = 1; its window starts at 0, inside the input.
    expect(apply(maxpool, { kernel: 3, stride: 2, ceil: true }, [[1, 2, 2]]).output).toEqual([1, 1, 1]);
    // Without ceil the same window gives floor(-1 / 2) + 1 = 0: an error.
    expect(thrown(() => apply(maxpool, { kernel: 3, stride: 2 }, [[1, 2, 2]])).message).toMatch(/^output height would be 0/);
    // span = 1 - 3 = -2 = -stride: floor((-2 + 1) / 2) + 1 = 0 even in ceil mode.
    expect(thrown(() => apply(maxpool, { kernel: 3, stride: 2, ceil: true }, [[1, 1, 1]])).message).toMatch(/^output height would be 0/);
  });
});
