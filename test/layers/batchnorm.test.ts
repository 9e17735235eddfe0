import { describe, expect, it } from 'vitest';
import { batchnorm } from '../../src/layers/batchnorm.js';
import { apply, param, thrown } from './helpers.js';

describe('batchnorm', () => {
  it("has torchvision's state_dict for 64 channels: 128 parameters, 64 + 64 + 1 buffer elements", () => {
    const r = apply(batchnorm, {}, [[64, 112, 112]]);
    expect(r.args).toEqual({ eps: 1e-5, momentum: 0.1, affine: true });
    expect(r.output).toEqual([64, 112, 112]);
    expect(r.tensors).toEqual([
      param('weight', [64]),
      param('bias', [64]),
      { name: 'running_mean', shape: [64], role: 'buffer', dtype: 'float' },
      { name: 'running_var', shape: [64], role: 'buffer', dtype: 'float' },
      { name: 'num_batches_tracked', shape: [], role: 'buffer', dtype: 'int64' },
    ]);
    expect(r.params).toBe(128);
    // A 0-d tensor holds one element.
    expect(r.buffers).toBe(129);
    // Folded scale and shift: 2 * 64 * 112 * 112 = 2 * 802,816
    expect(r.cost).toEqual({ macs: 0, flops: 1_605_632 });
    expect(r.field).toEqual({ type: 'pointwise' });
  });

  it('keeps only the buffers without affine, and the same inference cost', () => {
    const r = apply(batchnorm, { affine: false }, [[16, 4, 4]]);
    expect(r.tensors.map((t) => t.name)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    expect(r.params).toBe(0);
    expect(r.buffers).toBe(33);
    expect(r.cost.flops).toBe(512);
  });

  it('acts as BatchNorm1d on flat features', () => {
    const r = apply(batchnorm, {}, [[4096]]);
    expect(r.output).toEqual([4096]);
    expect(r.params).toBe(8_192);
    expect(r.buffers).toBe(8_193);
    expect(r.cost.flops).toBe(8_192);
  });

  it('checks its arguments and input rank', () => {
    expect(thrown(() => apply(batchnorm, { eps: 0 }, [[8, 2, 2]])).message).toBe("argument 'eps' must be a number > 0, got 0");
    expect(thrown(() => apply(batchnorm, { momentum: 1.5 }, [[8, 2, 2]])).message).toBe(
      "argument 'momentum' must be a number in [0, 1], got 1.5",
    );
    expect(thrown(() => apply(batchnorm, {}, [[8, 2]])).message).toBe(
      'batchnorm expects a feature map [C, H, W] or flat features [F], got [8, 2]',
    );
  });
});
