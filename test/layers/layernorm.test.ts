import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { tensor } from '../../src/kernels/tensor.js';
import { layernorm } from '../../src/layers/layernorm.js';
import { apply, param, thrown } from './helpers.js';

const run = (shape: number[], x: number[], args = { eps: 1e-5, affine: false }, w = {}) =>
  Array.from(layernorm.forward([tensor(shape, Float32Array.from(x))], args, w, new LocalContext()).data);

describe('layernorm', () => {
  it("is ConvNeXt's LayerNorm2d on a feature map: weight and bias [C], pointwise in space", () => {
    const r = apply(layernorm, { eps: 1e-6 }, [[96, 56, 56]]);
    expect(r.args).toEqual({ eps: 1e-6, affine: true });
    expect(r.output).toEqual([96, 56, 56]);
    expect(r.tensors).toEqual([param('weight', [96]), param('bias', [96])]);
    expect(r.params).toBe(192);
    // E = 96*56*56 = 301,056; 7 per element with affine, 4 per position (3,136 positions).
    expect(r.cost).toEqual({ macs: 0, flops: 7 * 301_056 + 4 * 3_136 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it("defaults to nn.LayerNorm's eps and acts over flat features", () => {
    const r = apply(layernorm, { affine: false }, [[768]]);
    expect(r.args).toEqual({ eps: 1e-5, affine: false });
    expect(r.tensors).toEqual([]);
    // 5 * 768 + 4 for the one set.
    expect(r.cost.flops).toBe(3_844);
    expect(r.field).toEqual({ type: 'global' });
  });

  it('checks its arguments and input rank', () => {
    expect(thrown(() => apply(layernorm, { eps: 0 }, [[8, 2, 2]])).message).toBe("argument 'eps' must be a number > 0, got 0");
    expect(thrown(() => apply(layernorm, {}, [[8, 2]])).message).toBe(
      'layernorm expects a feature map [C, H, W] or flat features [F], got [8, 2]',
    );
  });

  it('normalizes over the channels at each position, with the biased variance', () => {
    // [1, 2, 1, 2]: position 0 holds channels (1, 3), position 1 (4, 4). Mean 2, var 1 at position 0:
    // (+-1) / sqrt(1 + eps). Position 1 has no spread: 0.
    const y = run(
      [1, 2, 1, 2],
      [1, 4, 3, 4],
      { eps: 1e-5, affine: true },
      { weight: Float32Array.from([2, 1]), bias: Float32Array.from([0, 10]) },
    );
    const s = 1 / Math.sqrt(1 + 1e-5);
    expect(y[0]).toBeCloseTo(-2 * s, 6);
    expect(y[2]).toBeCloseTo(10 + s, 6);
    expect(y[1]).toBe(0);
    expect(y[3]).toBe(10);
  });

  it('turns a NaN or an infinity into NaN for its position only, and -0 at the mean into +0, as torch', () => {
    expect(run([2, 3], [1, NaN, 3, 1, 2, 3]).slice(0, 3)).toEqual([NaN, NaN, NaN]);
    const y = run([1, 3, 1, 2], [1, 0, Infinity, 0, 3, 0]);
    expect(y[0]).toBeNaN();
    expect(y[1]).toBe(0);
    expect(Object.is(run([1, 2], [-0, 0])[0], 0)).toBe(true);
  });
});
