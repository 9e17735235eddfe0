import { describe, expect, it } from 'vitest';
import { adaptive_avgpool } from '../../src/layers/adaptive_avgpool.js';
import { apply, thrown } from './helpers.js';

describe('adaptive_avgpool', () => {
  it('sums the exact window areas when the size does not divide: 5 -> 3', () => {
    const r = apply(adaptive_avgpool, { size: 3 }, [[2, 5, 5]]);
    expect(r.output).toEqual([2, 3, 3]);
    expect(r.tensors).toEqual([]);
    // Windows [floor(i*5/3), ceil((i+1)*5/3)): [0,2), [1,4), [3,5), sizes 2 + 3 + 2 = 7 per axis.
    // Areas sum to 7 * 7 = 49 per channel, 2 channels: 98 (area - 1 adds + 1 divide each).
    expect(r.cost).toEqual({ macs: 0, flops: 98 });
    // Non-uniform windows: conservatively global.
    expect(r.field).toEqual({ type: 'global' });
  });

  it('handles an output larger than the input: 3 -> 5', () => {
    const r = apply(adaptive_avgpool, { size: 5 }, [[1, 3, 3]]);
    expect(r.output).toEqual([1, 5, 5]);
    // [0,1), [0,2), [1,2), [1,3), [2,3): sizes 1 + 2 + 1 + 2 + 1 = 7; 7 * 7 = 49
    expect(r.cost.flops).toBe(49);
    expect(r.field).toEqual({ type: 'global' });
  });

  it('is a pooling with kernel = stride = in/out when the size divides', () => {
    const r = apply(adaptive_avgpool, { size: [2, 3] }, [[4, 4, 9]]);
    expect(r.output).toEqual([4, 2, 3]);
    // The windows tile the input exactly: 4 * 4 * 9 = 144
    expect(r.cost.flops).toBe(144);
    expect(r.field).toEqual({ type: 'window', kernel: [2, 3], stride: [2, 3], padding: [0, 0], dilation: [1, 1] });
  });

  it('is pointwise when the size already matches (AlexNet on 224x224: 6 -> 6)', () => {
    const r = apply(adaptive_avgpool, { size: [6, 6] }, [[256, 6, 6]]);
    expect(r.output).toEqual([256, 6, 6]);
    // One-element windows: 1 flop (the divide) each, 256 * 36
    expect(r.cost.flops).toBe(9_216);
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('is global for a 1x1 output', () => {
    const r = apply(adaptive_avgpool, { size: 1 }, [[2048, 7, 7]]);
    expect(r.output).toEqual([2048, 1, 1]);
    // 2048 * 49 = 100,352
    expect(r.cost.flops).toBe(100_352);
    expect(r.field).toEqual({ type: 'global' });
  });

  it('is global when only one axis divides', () => {
    // Height 6 -> 3 is uniform (2, 2, 2 = 6), width 5 -> 3 is not (2 + 3 + 2 = 7): 6 * 7 = 42.
    const r = apply(adaptive_avgpool, { size: 3 }, [[1, 6, 5]]);
    expect(r.cost.flops).toBe(42);
    expect(r.field).toEqual({ type: 'global' });
  });

  it('needs a feature map and a size', () => {
    expect(thrown(() => apply(adaptive_avgpool, { size: 1 }, [[10]])).message).toBe(
      'adaptive_avgpool expects a feature map [C, H, W], got [10]',
    );
    expect(thrown(() => apply(adaptive_avgpool, {}, [[1, 4, 4]])).message).toBe("missing argument 'size' for adaptive_avgpool");
  });
});
