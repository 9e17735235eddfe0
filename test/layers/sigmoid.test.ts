import { describe, expect, it } from 'vitest';
import { sigmoid } from '../../src/layers/sigmoid.js';
import { activate, expectTorchValues } from './activation-values.js';
import { apply, thrown } from './helpers.js';

describe('sigmoid', () => {
  it('costs an exponential, an add and a divide per element', () => {
    const r = apply(sigmoid, {}, [[240, 1, 1]]);
    expect(r.output).toEqual([240, 1, 1]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 720 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('has no arguments', () => {
    expect(thrown(() => apply(sigmoid, { dim: 1 }, [[4]])).message).toBe("unknown argument 'dim' for sigmoid");
  });

  it('matches torch.sigmoid in float64: 0 and 1 at ±∞, 0.5 at ±0', () => {
    expectTorchValues(activate(sigmoid, {}), [
      0,
      3.783505853677006e-44,
      0.006692850962281227,
      0.04742587357759476,
      0.2689414322376251,
      0.3775406777858734,
      0.5,
      0.5,
      0.5,
      0.5,
      0.622459352016449,
      0.7310585975646973,
      0.9525741338729858,
      0.9933071732521057,
      1.0,
      1.0,
      NaN,
    ]);
  });
});
