import { describe, expect, it } from 'vitest';
import { hardswish } from '../../src/layers/hardswish.js';
import { activate, expectTorchValues } from './activation-values.js';
import { apply, thrown } from './helpers.js';

describe('hardswish', () => {
  it('costs 5 FLOPs per element, on any shape', () => {
    const r = apply(hardswish, {}, [[16, 112, 112]]);
    expect(r.output).toEqual([16, 112, 112]);
    expect(r.tensors).toEqual([]);
    // 5 * 16 * 112 * 112
    expect(r.cost).toEqual({ macs: 0, flops: 1_003_520 });
    expect(r.field).toEqual({ type: 'pointwise' });
    expect(apply(hardswish, {}, [[1024]]).cost.flops).toBe(5120);
  });

  it('has no arguments', () => {
    expect(thrown(() => apply(hardswish, { inplace: true }, [[4]])).message).toBe("unknown argument 'inplace' for hardswish");
  });

  it('matches torch.nn.functional.hardswish: -0 below -3, NaN at -∞', () => {
    expectTorchValues(activate(hardswish, {}), [
      NaN,
      -0,
      -0,
      -0,
      -0.3333333432674408,
      -0.2083333283662796,
      -5.000000015855384e-31,
      -0,
      0,
      5.000000015855384e-31,
      0.2916666567325592,
      0.6666666865348816,
      3.0,
      5.0,
      100.0,
      Infinity,
      NaN,
    ]);
  });
});
