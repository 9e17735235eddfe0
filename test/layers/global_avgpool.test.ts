import { describe, expect, it } from 'vitest';
import { global_avgpool } from '../../src/layers/global_avgpool.js';
import { apply, thrown } from './helpers.js';

describe('global_avgpool', () => {
  it("averages ResNet-50's last feature map to [2048, 1, 1]", () => {
    const r = apply(global_avgpool, {}, [[2048, 7, 7]]);
    expect(r.output).toEqual([2048, 1, 1]);
    expect(r.tensors).toEqual([]);
    // 2048 * 49: 48 adds + 1 divide per channel is 49 per channel.
    expect(r.cost).toEqual({ macs: 0, flops: 100_352 });
    expect(r.field).toEqual({ type: 'global' });
  });

  it('takes no arguments and needs a feature map', () => {
    expect(thrown(() => apply(global_avgpool, { size: 1 }, [[8, 7, 7]])).message).toBe("unknown argument 'size' for global_avgpool");
    expect(thrown(() => apply(global_avgpool, {}, [[8]])).message).toBe('global_avgpool expects a feature map [C, H, W], got [8]');
  });
});
