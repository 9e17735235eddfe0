import { describe, expect, it } from 'vitest';
import { leaky_relu } from '../../src/layers/leaky_relu.js';
import { activate, ACTIVATION_INPUTS, expectTorchValues } from './activation-values.js';
import { apply, thrown } from './helpers.js';

describe('leaky_relu', () => {
  it('costs a comparison and a multiply per element; negative_slope defaults to 0.01 as nn.LeakyReLU', () => {
    const r = apply(leaky_relu, {}, [[64, 56, 56]]);
    expect(r.args).toEqual({ negative_slope: 0.01 });
    expect(r.output).toEqual([64, 56, 56]);
    expect(r.tensors).toEqual([]);
    // 2 * 64 * 56 * 56
    expect(r.cost).toEqual({ macs: 0, flops: 401_408 });
    expect(r.field).toEqual({ type: 'pointwise' });
    expect(apply(leaky_relu, { negative_slope: 0.2 }, [[4]]).args.negative_slope).toBe(0.2);
  });

  it('takes any finite slope', () => {
    expect(apply(leaky_relu, { negative_slope: -1 }, [[4]]).args.negative_slope).toBe(-1);
    expect(thrown(() => apply(leaky_relu, { negative_slope: 'x' }, [[4]])).message).toBe(
      'argument \'negative_slope\' must be a number, got "x"',
    );
    expect(thrown(() => apply(leaky_relu, { slope: 0.1 }, [[4]])).message).toBe("unknown argument 'slope' for leaky_relu");
  });

  it('matches torch.nn.functional.leaky_relu: -0 stays -0, NaN stays NaN', () => {
    expectTorchValues(activate(leaky_relu, { negative_slope: 0.01 }), [
      -Infinity,
      -1.0,
      -0.05000000074505806,
      -0.029999999329447746,
      -0.009999999776482582,
      -0.004999999888241291,
      -1.000000023742228e-32,
      -0,
      0,
      1.0000000031710769e-30,
      0.5,
      1.0,
      3.0,
      5.0,
      100.0,
      Infinity,
      NaN,
    ]);
    expectTorchValues(activate(leaky_relu, { negative_slope: 0.2 }), [
      -Infinity,
      -20.0,
      -1.0,
      -0.6000000238418579,
      -0.20000000298023224,
      -0.10000000149011612,
      -1.9999999593223797e-31,
      -0,
      0,
      1.0000000031710769e-30,
      0.5,
      1.0,
      3.0,
      5.0,
      100.0,
      Infinity,
      NaN,
    ]);
  });

  it("multiplies in float32, as torch's float32 kernel (the slope rounded to float32)", () => {
    const y = activate(leaky_relu, { negative_slope: 0.01 });
    const i = ACTIVATION_INPUTS.indexOf(-3);
    expect(y[i]).toBe(Math.fround(Math.fround(-3) * Math.fround(0.01)));
    // A slope of 0 makes -∞ · 0 = NaN, as torch.
    expect(activate(leaky_relu, { negative_slope: 0 })[0]).toBeNaN();
  });
});
