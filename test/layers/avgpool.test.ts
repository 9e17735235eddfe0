import { describe, expect, it } from 'vitest';
import { avgpool } from '../../src/layers/avgpool.js';
import { LayerError } from '../../src/layers/kind.js';
import { apply, thrown } from './helpers.js';

describe('avgpool', () => {
  it("counts GoogLeNet's auxiliary 5x5 stride-3 pool on 14x14", () => {
    const r = apply(avgpool, { kernel: 5, stride: 3 }, [[512, 14, 14]]);
    // floor((14 - 5) / 3) + 1 = 4
    expect(r.output).toEqual([512, 4, 4]);
    expect(r.tensors).toEqual([]);
    // 512 * 16 = 8,192 outputs * 25 (24 adds + 1 divide) = 204,800
    expect(r.cost).toEqual({ macs: 0, flops: 204_800 });
    expect(r.field).toEqual({ type: 'window', kernel: [5, 5], stride: [3, 3], padding: [0, 0], dilation: [1, 1] });
  });

  it('defaults the stride to the kernel and the other arguments as PyTorch', () => {
    const r = apply(avgpool, { kernel: 2 }, [[3, 7, 7]]);
    expect(r.args).toEqual({ kernel: [2, 2], stride: [2, 2], padding: [0, 0], ceil: false, count_include_pad: true });
    // floor(5 / 2) + 1 = 3; in ceil mode ceil(5 / 2) + 1 = 4 (last window starts at 6 < 7).
    expect(r.output).toEqual([3, 3, 3]);
    expect(apply(avgpool, { kernel: 2, ceil: true }, [[3, 7, 7]]).output).toEqual([3, 4, 4]);
  });

  it('pads symmetrically and reports the leading padding to the field', () => {
    const r = apply(avgpool, { kernel: 3, stride: 1, padding: [1, 0], count_include_pad: false }, [[2, 6, 6]]);
    // height 6 + 2 - 3 + 1 = 6, width 6 - 3 + 1 = 4
    expect(r.output).toEqual([2, 6, 4]);
    expect(r.args.count_include_pad).toBe(false);
    // 2 * 6 * 4 = 48 outputs * 9
    expect(r.cost.flops).toBe(432);
    expect(r.field).toEqual({ type: 'window', kernel: [3, 3], stride: [1, 1], padding: [1, 0], dilation: [1, 1] });
  });

  it('refuses padding over half the kernel', () => {
    const e = thrown(() => apply(avgpool, { kernel: 2, padding: 2 }, [[1, 8, 8]]));
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('padding 2 is more than half the kernel 2 along the height: PyTorch requires padding <= kernel/2');
    expect((e as LayerError).arg).toBe('padding');
  });

  it('has no dilation argument (nn.AvgPool2d has none)', () => {
    expect(thrown(() => apply(avgpool, { kernel: 2, dilation: 2 }, [[1, 8, 8]])).message).toBe("unknown argument 'dilation' for avgpool");
  });

  it('needs a feature map', () => {
    expect(thrown(() => apply(avgpool, { kernel: 2 }, [[10]])).message).toBe('avgpool expects a feature map [C, H, W], got [10]');
  });
});
