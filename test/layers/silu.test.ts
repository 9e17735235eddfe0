import { describe, expect, it } from 'vitest';
import { silu } from '../../src/layers/silu.js';
import { activate, expectTorchValues } from './activation-values.js';
import { apply, thrown } from './helpers.js';

describe('silu', () => {
  it('costs an exponential, an add and a divide per element, as torch computes x / (1 + exp(-x))', () => {
    const r = apply(silu, {}, [[32, 112, 112]]);
    expect(r.output).toEqual([32, 112, 112]);
    expect(r.tensors).toEqual([]);
    // 3 * 32 * 112 * 112
    expect(r.cost).toEqual({ macs: 0, flops: 1_204_224 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('has no arguments', () => {
    expect(thrown(() => apply(silu, { beta: 1 }, [[4]])).message).toBe("unknown argument 'beta' for silu");
  });

  it('matches torch.nn.functional.silu in float64: -0 stays -0, NaN at -∞', () => {
    expectTorchValues(activate(silu, {}), [
      NaN,
      -3.7204474227823893e-42,
      -0.033464252948760986,
      -0.14227761328220367,
      -0.2689414322376251,
      -0.1887703388929367,
      -5.000000015855384e-31,
      -0,
      0,
      5.000000015855384e-31,
      0.3112296760082245,
      0.7310585975646973,
      2.857722282409668,
      4.966535568237305,
      100.0,
      Infinity,
      NaN,
    ]);
  });
});
