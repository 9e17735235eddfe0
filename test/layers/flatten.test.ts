import { describe, expect, it } from 'vitest';
import { flatten } from '../../src/layers/flatten.js';
import { apply } from './helpers.js';

describe('flatten', () => {
  it("flattens AlexNet's [256, 6, 6] to [9216] for free", () => {
    const r = apply(flatten, {}, [[256, 6, 6]]);
    expect(r.output).toEqual([9216]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 0 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('leaves flat features as they are', () => {
    expect(apply(flatten, {}, [[10]]).output).toEqual([10]);
  });
});
