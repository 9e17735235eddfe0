import { describe, expect, it } from 'vitest';
import { LayerError } from '../../src/layers/kind.js';
import { linear } from '../../src/layers/linear.js';
import { apply, param, thrown } from './helpers.js';

describe('linear', () => {
  it("counts AlexNet's first classifier layer, 9216 -> 4096: 37,752,832 parameters", () => {
    const r = apply(linear, { out: 4096 }, [[9216]]);
    expect(r.output).toEqual([4096]);
    expect(r.tensors).toEqual([param('weight', [4096, 9216]), param('bias', [4096])]);
    // 9216 * 4096 = 37,748,736 weights + 4,096 biases
    expect(r.params).toBe(37_752_832);
    expect(r.buffers).toBe(0);
    // flops = 2 * 37,748,736 + 4,096 bias adds
    expect(r.cost).toEqual({ macs: 37_748_736, flops: 75_501_568 });
    expect(r.field).toEqual({ type: 'global' });
  });

  it('drops the bias tensor and its adds with bias: false', () => {
    const r = apply(linear, { out: 10, bias: false }, [[512]]);
    expect(r.tensors).toEqual([param('weight', [10, 512])]);
    expect(r.params).toBe(5_120);
    expect(r.cost).toEqual({ macs: 5_120, flops: 10_240 });
  });

  it('tells the user to flatten a feature map first', () => {
    const e = thrown(() => apply(linear, { out: 4096 }, [[256, 6, 6]]));
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('linear expects flat features [F], got the feature map [256, 6, 6]: add a `flatten` layer before it');
    expect(thrown(() => apply(linear, { out: 4 }, [[3, 4]])).message).toBe('linear expects flat features [F], got [3, 4]');
  });

  it('requires out', () => {
    expect(thrown(() => apply(linear, {}, [[10]])).message).toBe("missing argument 'out' for linear");
  });
});
