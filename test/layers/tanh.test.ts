import { describe, expect, it } from 'vitest';
import { tanh } from '../../src/layers/tanh.js';
import { activate, expectTorchValues } from './activation-values.js';
import { apply, thrown } from './helpers.js';

describe('tanh', () => {
  it('costs one tanh per element', () => {
    const r = apply(tanh, {}, [[3, 64, 64]]);
    expect(r.output).toEqual([3, 64, 64]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 12_288 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('has no arguments', () => {
    expect(thrown(() => apply(tanh, { inplace: true }, [[4]])).message).toBe("unknown argument 'inplace' for tanh");
  });

  it('matches torch.tanh: ±1 at ±∞, -0 stays -0', () => {
    expectTorchValues(activate(tanh, {}), [
      -1.0,
      -1.0,
      -0.9999092221260071,
      -0.9950547814369202,
      -0.7615941762924194,
      -0.46211716532707214,
      -1.0000000031710769e-30,
      -0,
      0,
      1.0000000031710769e-30,
      0.46211716532707214,
      0.7615941762924194,
      0.9950547814369202,
      0.9999092221260071,
      1.0,
      1.0,
      NaN,
    ]);
  });
});
