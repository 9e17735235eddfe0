import { describe, expect, it } from 'vitest';
import { gelu } from '../../src/layers/gelu.js';
import { activate, expectTorchValues } from './activation-values.js';
import { apply, thrown } from './helpers.js';

describe('gelu', () => {
  it('is exact by default, as nn.GELU: 5 FLOPs per element; the tanh approximation 9', () => {
    const r = apply(gelu, {}, [[384, 56, 56]]);
    expect(r.args).toEqual({ approximate: 'none' });
    expect(r.output).toEqual([384, 56, 56]);
    expect(r.tensors).toEqual([]);
    // 5 * 384 * 56 * 56
    expect(r.cost).toEqual({ macs: 0, flops: 6_021_120 });
    expect(r.field).toEqual({ type: 'pointwise' });
    // 9 * 3072
    expect(apply(gelu, { approximate: 'tanh' }, [[3072]]).cost).toEqual({ macs: 0, flops: 27_648 });
    expect(gelu.display.detail!({ approximate: 'tanh' })).toBe('tanh');
    expect(gelu.display.detail!({ approximate: 'none' })).toBe('');
  });

  it('takes approximate "none" or "tanh" only', () => {
    expect(thrown(() => apply(gelu, { approximate: 'erf' }, [[4]])).message).toBe(
      'argument \'approximate\' must be "none" or "tanh", got "erf"',
    );
    expect(thrown(() => apply(gelu, { approximate: true }, [[4]])).message).toBe(
      'argument \'approximate\' must be "none" or "tanh", got true',
    );
  });

  it('matches torch.nn.functional.gelu in float64: -0 stays -0 (and where 1 + erf is 0), NaN at -∞', () => {
    expectTorchValues(activate(gelu, { approximate: 'none' }), [
      NaN,
      -0,
      -1.433257807548216e-6,
      -0.004049694165587425,
      -0.15865525603294373,
      -0.1542687714099884,
      -5.000000015855384e-31,
      -0,
      0,
      5.000000015855384e-31,
      0.3457312285900116,
      0.8413447737693787,
      2.995950222015381,
      4.999998569488525,
      100.0,
      Infinity,
      NaN,
    ]);
  });

  it("matches torch's tanh approximation (approximate='tanh')", () => {
    expectTorchValues(activate(gelu, { approximate: 'tanh' }), [
      NaN,
      -0,
      -2.2917961928214936e-7,
      -0.003637392073869705,
      -0.15880800783634186,
      -0.1542859971523285,
      -5.000000015855384e-31,
      -0,
      0,
      5.000000015855384e-31,
      0.3457140028476715,
      0.8411920070648193,
      2.9963626861572266,
      5.0,
      100.0,
      Infinity,
      NaN,
    ]);
  });
});
