import { describe, expect, it } from 'vitest';
import { relu } from '../../src/layers/relu.js';
import { apply, thrown } from './helpers.js';

describe('relu', () => {
  it('costs one max per element on a feature map', () => {
    const r = apply(relu, {}, [[64, 112, 112]]);
    expect(r.output).toEqual([64, 112, 112]);
    expect(r.tensors).toEqual([]);
    // 64 * 112 * 112
    expect(r.cost).toEqual({ macs: 0, flops: 802_816 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('takes flat features too', () => {
    const r = apply(relu, {}, [[4096]]);
    expect(r.output).toEqual([4096]);
    expect(r.cost.flops).toBe(4096);
  });

  it('has no arguments', () => {
    expect(thrown(() => apply(relu, { inplace: true }, [[4]])).message).toBe("unknown argument 'inplace' for relu");
  });
});
