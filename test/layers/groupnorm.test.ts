import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { tensor } from '../../src/kernels/tensor.js';
import { groupnorm } from '../../src/layers/groupnorm.js';
import { LayerError } from '../../src/layers/kind.js';
import { apply, param, thrown } from './helpers.js';

describe('groupnorm', () => {
  it('has weight and bias [C] and counts 7 FLOPs per element plus 4 per group', () => {
    const r = apply(groupnorm, { groups: 32 }, [[256, 14, 14]]);
    expect(r.args).toEqual({ groups: 32, eps: 1e-5, affine: true });
    expect(r.output).toEqual([256, 14, 14]);
    expect(r.tensors).toEqual([param('weight', [256]), param('bias', [256])]);
    expect(r.params).toBe(512);
    // E = 256*14*14 = 50,176.
    expect(r.cost).toEqual({ macs: 0, flops: 7 * 50_176 + 4 * 32 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('has no tensors without affine, and takes flat features', () => {
    const r = apply(groupnorm, { groups: 4, affine: false }, [[64]]);
    expect(r.tensors).toEqual([]);
    expect(r.cost.flops).toBe(5 * 64 + 4 * 4);
    expect(r.field).toEqual({ type: 'global' });
  });

  it('needs groups that divide the channels', () => {
    const e = thrown(() => apply(groupnorm, { groups: 3 }, [[64, 4, 4]]));
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('groups 3 does not divide the 64 channels');
    expect((e as LayerError).arg).toBe('groups');
    expect(thrown(() => apply(groupnorm, {}, [[64, 4, 4]])).message).toBe("missing argument 'groups' for groupnorm");
    expect(thrown(() => apply(groupnorm, { groups: 2 }, [[64, 4]])).message).toBe(
      'groupnorm expects a feature map [C, H, W] or flat features [F], got [64, 4]',
    );
  });

  it('normalizes each group of channels over all its positions; a NaN spoils its group only', () => {
    // [1, 4, 1, 2] in two groups of two channels: group 0 holds (0, 2, 4, 6), group 1 (NaN, 1, 1, 1).
    const x = tensor([1, 4, 1, 2], Float32Array.from([0, 2, 4, 6, NaN, 1, 1, 1]));
    const y = groupnorm.forward([x], { groups: 2, eps: 1e-5, affine: false }, {}, new LocalContext()).data;
    // Mean 3, var (9 + 1 + 1 + 9)/4 = 5.
    const s = 1 / Math.sqrt(5 + 1e-5);
    expect(y[0]).toBeCloseTo(-3 * s, 6);
    expect(y[3]).toBeCloseTo(3 * s, 6);
    expect(Array.from(y.slice(4))).toEqual([NaN, NaN, NaN, NaN]);
  });
});
