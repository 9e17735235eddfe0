import { describe, expect, it } from 'vitest';
import { dropout } from '../../src/layers/dropout.js';
import { apply, thrown } from './helpers.js';

describe('dropout', () => {
  it('is free and shape-preserving at inference', () => {
    const r = apply(dropout, {}, [[4096]]);
    expect(r.args).toEqual({ p: 0.5 });
    expect(r.output).toEqual([4096]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 0 });
    expect(r.field).toEqual({ type: 'pointwise' });
    expect(apply(dropout, { p: 0.2 }, [[512, 7, 7]]).output).toEqual([512, 7, 7]);
  });

  it('takes p in [0, 1)', () => {
    expect(apply(dropout, { p: 0 }, [[4]]).args.p).toBe(0);
    expect(thrown(() => apply(dropout, { p: 1 }, [[4]])).message).toBe("argument 'p' must be a number in [0, 1), got 1");
    expect(thrown(() => apply(dropout, { p: -0.1 }, [[4]])).message).toBe("argument 'p' must be a number in [0, 1), got -0.1");
  });
});
