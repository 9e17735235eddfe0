import { describe, expect, it } from 'vitest';
import { softmax } from '../../src/layers/softmax.js';
import { apply } from './helpers.js';

describe('softmax', () => {
  it('mixes all features of a flat input: global, 3 flops per element', () => {
    const r = apply(softmax, {}, [[1000]]);
    expect(r.output).toEqual([1000]);
    expect(r.tensors).toEqual([]);
    // exp, add, divide per element
    expect(r.cost).toEqual({ macs: 0, flops: 3000 });
    expect(r.field).toEqual({ type: 'global' });
  });

  it('runs over the channels of a feature map: pointwise in space', () => {
    const r = apply(softmax, {}, [[21, 8, 8]]);
    expect(r.output).toEqual([21, 8, 8]);
    // 3 * 21 * 64
    expect(r.cost.flops).toBe(4032);
    expect(r.field).toEqual({ type: 'pointwise' });
  });
});
