import { describe, expect, it } from 'vitest';
import { hardsigmoid } from '../../src/layers/hardsigmoid.js';
import { activate, expectTorchValues } from './activation-values.js';
import { apply, thrown } from './helpers.js';

describe('hardsigmoid', () => {
  it('costs 4 FLOPs per element, on any shape', () => {
    const r = apply(hardsigmoid, {}, [[72, 1, 1]]);
    expect(r.output).toEqual([72, 1, 1]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 288 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('has no arguments', () => {
    expect(thrown(() => apply(hardsigmoid, { inplace: false }, [[4]])).message).toBe("unknown argument 'inplace' for hardsigmoid");
  });

  it('matches torch.nn.functional.hardsigmoid: 0 and 1 beyond ±3, ±0 to 0.5', () => {
    expectTorchValues(activate(hardsigmoid, {}), [
      0,
      0,
      0,
      0,
      0.3333333432674408,
      0.4166666567325592,
      0.5,
      0.5,
      0.5,
      0.5,
      0.5833333134651184,
      0.6666666865348816,
      1.0,
      1.0,
      1.0,
      1.0,
      NaN,
    ]);
  });
});
