/** Hand-checked kernel edge cases that the PyTorch fixtures do not pin down one by one. */
import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { tensor } from '../../src/kernels/tensor.js';
import { avgpool } from '../../src/layers/avgpool.js';
import { maxpool } from '../../src/layers/maxpool.js';
import { relu } from '../../src/layers/relu.js';
import { softmax } from '../../src/layers/softmax.js';
import { concat } from '../../src/layers/concat.js';

const ctx = () => new LocalContext();

describe('kernel edge cases', () => {
  it('avgpool in ceil mode: the last window counts the padding, not the cells beyond it', () => {
    // 1x1x4x4 of ones, kernel 3, stride 2, padding 1, ceil: output 3x3 (windows start -1, 1, 3).
    // The last window [3, 6) is cut at 4 + 1 = 5: 2 cells per axis, one real and one padding.
    const x = tensor([1, 1, 4, 4], new Float32Array(16).fill(1));
    const args = { kernel: [3, 3] as const, stride: [2, 2] as const, padding: [1, 1] as const, ceil: true, count_include_pad: true };
    const y = avgpool.forward([x], args, {}, ctx());
    expect(y.shape).toEqual([1, 1, 3, 3]);
    // Corner windows: first 2 real of 3 (3x3 divisor 9: 4/9), last 1 real of 2 (2x2 divisor 4: 1/4).
    expect(y.data[0]).toBeCloseTo(4 / 9);
    expect(y.data[8]).toBeCloseTo(1 / 4);
    expect(y.data[2]).toBeCloseTo(2 / 6); // 2 real x 1 real over 3 x 2
    const exclusive = avgpool.forward([x], { ...args, count_include_pad: false }, {}, ctx());
    expect(Array.from(exclusive.data)).toEqual(new Array(9).fill(1));
  });

  it('maxpool skips the -infinity padding and propagates NaN', () => {
    const x = tensor([1, 1, 2, 2], Float32Array.from([-5, -6, -7, NaN]));
    const args = { kernel: [2, 2] as const, stride: [1, 1] as const, padding: [1, 1] as const, dilation: [1, 1] as const, ceil: false };
    const y = maxpool.forward([x], args, {}, ctx());
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(y.data.slice(0, 3))).toEqual([-5, -5, -6]);
    expect(y.data[4]).toBeNaN();
    expect(y.data[6]).toBe(-7);
  });

  it('relu keeps NaN; softmax is stable for large values and sums to 1 over channels', () => {
    expect(Array.from(relu.forward([tensor([1, 3], Float32Array.from([-1, NaN, 2]))], {}, {}, ctx()).data)).toEqual([0, NaN, 2]);
    const s = softmax.forward([tensor([1, 2, 1, 2], Float32Array.from([1000, 0, 1000, 0]))], {}, {}, ctx());
    // Over the 2 channels at each of the 2 positions: (1000, 1000) and (0, 0).
    expect(Array.from(s.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('concat joins per sample along the channels', () => {
    const a = tensor([2, 1, 1, 2], Float32Array.from([1, 2, 3, 4]));
    const b = tensor([2, 2, 1, 2], Float32Array.from([5, 6, 7, 8, 9, 10, 11, 12]));
    const y = concat.forward([a, b], {}, {}, ctx());
    expect(y.shape).toEqual([2, 3, 1, 2]);
    expect(Array.from(y.data)).toEqual([1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12]);
  });
});
