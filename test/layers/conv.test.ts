import { describe, expect, it } from 'vitest';
import { conv } from '../../src/layers/conv.js';
import { LayerError } from '../../src/layers/kind.js';
import { apply, param, thrown } from './helpers.js';

describe('conv', () => {
  it('keeps a 5x5 input at 5x5 with a 3x3 kernel, padding 1, stride 1', () => {
    // (5 + 2 - 3) / 1 + 1 = 5
    expect(apply(conv, { out: 1, kernel: 3, padding: 1 }, [[1, 5, 5]]).output).toEqual([1, 5, 5]);
  });

  it('gives 3x3, not 2x2, on a 5x5 input with stride 2', () => {
    // floor((5 + 2 - 3) / 2) + 1 = 2 + 1 = 3: windows start at -1, 1, 3.
    expect(apply(conv, { out: 1, kernel: 3, padding: 1, stride: 2 }, [[1, 5, 5]]).output).toEqual([1, 3, 3]);
  });

  it('counts 589,824 weights + 256 biases for a 256->256 3x3 conv', () => {
    const r = apply(conv, { out: 256, kernel: 3, padding: 1 }, [[256, 14, 14]]);
    // 256 * 256 * 3 * 3 = 589,824
    expect(r.tensors).toEqual([param('weight', [256, 256, 3, 3]), param('bias', [256])]);
    expect(r.params).toBe(590_080);
    expect(r.buffers).toBe(0);
    expect(r.output).toEqual([256, 14, 14]);
    // 14*14*256 outputs = 50,176, each 256*9 = 2,304 MACs: 115,605,504.
    // flops = 2 * 115,605,504 + 50,176 bias adds = 231,261,184.
    expect(r.cost).toEqual({ macs: 115_605_504, flops: 231_261_184 });
  });

  it('applies asymmetric padding [top, bottom, left, right] = [1, 2, 0, 3]', () => {
    const r = apply(conv, { out: 8, kernel: 3, padding: [1, 2, 0, 3] }, [[3, 10, 12]]);
    // height: 10 + 1 + 2 - 3 + 1 = 11; width: 12 + 0 + 3 - 3 + 1 = 13
    expect(r.args.padding).toEqual({ top: 1, bottom: 2, left: 0, right: 3 });
    expect(r.output).toEqual([8, 11, 13]);
    // The field sees only the leading padding: [top, left].
    expect(r.field).toEqual({ type: 'window', kernel: [3, 3], stride: [1, 1], padding: [1, 0], dilation: [1, 1] });
  });

  it('widens the window with dilation 2', () => {
    // extent = 2 * (3 - 1) + 1 = 5; 32 + 4 - 5 + 1 = 32 with padding 2, 32 - 5 + 1 = 28 without.
    const padded = apply(conv, { out: 16, kernel: 3, dilation: 2, padding: 2 }, [[16, 32, 32]]);
    expect(padded.output).toEqual([16, 32, 32]);
    expect(padded.field).toEqual({ type: 'window', kernel: [3, 3], stride: [1, 1], padding: [2, 2], dilation: [2, 2] });
    expect(apply(conv, { out: 16, kernel: 3, dilation: 2 }, [[16, 32, 32]]).output).toEqual([16, 28, 28]);
    // Dilation spreads the taps without adding weights: still 16*16*9 + 16.
    expect(padded.params).toBe(16 * 16 * 9 + 16);
  });

  it("computes ResNet's 7x7 stride-2 stem", () => {
    const r = apply(conv, { out: 64, kernel: 7, stride: 2, padding: 3, bias: false }, [[3, 224, 224]]);
    // floor((224 + 6 - 7) / 2) + 1 = 111 + 1 = 112
    expect(r.output).toEqual([64, 112, 112]);
    expect(r.tensors).toEqual([param('weight', [64, 3, 7, 7])]);
    expect(r.params).toBe(9_408);
    // 64*112*112 = 802,816 outputs * 3*49 = 147 MACs each = 118,013,952; no bias adds.
    expect(r.cost).toEqual({ macs: 118_013_952, flops: 236_027_904 });
    expect(r.field).toEqual({ type: 'window', kernel: [7, 7], stride: [2, 2], padding: [3, 3], dilation: [1, 1] });
  });

  it('shrinks the weight for a grouped conv: 64->128, groups 4 gives [128, 16, 3, 3]', () => {
    const r = apply(conv, { out: 128, kernel: 3, padding: 1, groups: 4 }, [[64, 56, 56]]);
    expect(r.tensors).toEqual([param('weight', [128, 16, 3, 3]), param('bias', [128])]);
    // 128*16*9 + 128 = 18,432 + 128
    expect(r.params).toBe(18_560);
    // 128*56*56 = 401,408 outputs * 16*9 = 144 MACs = 57,802,752; flops 2x + 401,408 bias adds.
    expect(r.cost).toEqual({ macs: 57_802_752, flops: 116_006_912 });
  });

  it('gives a depthwise conv (groups = channels) one 3x3 filter per channel', () => {
    const r = apply(conv, { out: 32, kernel: 3, padding: 1, groups: 32, bias: false }, [[32, 112, 112]]);
    expect(r.tensors).toEqual([param('weight', [32, 1, 3, 3])]);
    expect(r.params).toBe(288);
    expect(r.output).toEqual([32, 112, 112]);
    // 32*112*112 outputs * 9 MACs = 3,612,672
    expect(r.cost).toEqual({ macs: 3_612_672, flops: 7_225_344 });
  });

  it('pads the extra pixel after for "same" with an even kernel, as PyTorch', () => {
    // kernel 4: total padding 3 = 1 before + 2 after.
    const r = apply(conv, { out: 1, kernel: 4, padding: 'same' }, [[1, 10, 10]]);
    expect(r.args.padding).toEqual({ top: 1, bottom: 2, left: 1, right: 2 });
    expect(r.output).toEqual([1, 10, 10]);
    expect(r.field).toMatchObject({ padding: [1, 1] });
    // kernel [4, 2]: height total 3 = 1 + 2, width total 1 = 0 + 1.
    const r2 = apply(conv, { out: 1, kernel: [4, 2], padding: 'same' }, [[1, 9, 7]]);
    expect(r2.args.padding).toEqual({ top: 1, bottom: 2, left: 0, right: 1 });
    expect(r2.output).toEqual([1, 9, 7]);
    // dilation 3, kernel 2: total 3 * (2 - 1) = 3 = 1 + 2.
    const r3 = apply(conv, { out: 1, kernel: 2, dilation: 3, padding: 'same' }, [[1, 9, 9]]);
    expect(r3.args.padding).toEqual({ top: 1, bottom: 2, left: 1, right: 2 });
    expect(r3.output).toEqual([1, 9, 9]);
  });

  it('treats "valid" as no padding', () => {
    const r = apply(conv, { out: 4, kernel: 3, padding: 'valid' }, [[1, 10, 10]]);
    expect(r.args.padding).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    expect(r.output).toEqual([4, 8, 8]);
  });

  it('refuses "same" with a stride other than 1', () => {
    const e = thrown(() => apply(conv, { out: 1, kernel: 3, stride: 2, padding: 'same' }, [[1, 10, 10]]));
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('padding "same" needs stride 1 (as in PyTorch); give the padding explicitly');
    expect((e as LayerError).arg).toBe('padding');
  });

  it('refuses groups that do not divide the input or output channels', () => {
    const e = thrown(() => apply(conv, { out: 64, kernel: 3, groups: 4 }, [[30, 8, 8]]));
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('groups 4 does not divide the 30 input channels');
    expect((e as LayerError).arg).toBe('groups');
    const e2 = thrown(() => apply(conv, { out: 30, kernel: 3, groups: 4 }, [[32, 8, 8]]));
    expect(e2.message).toBe('groups 4 does not divide the 30 output channels');
    expect((e2 as LayerError).arg).toBe('groups');
  });

  it('says why the output would be empty', () => {
    const e = thrown(() => apply(conv, { out: 1, kernel: 5 }, [[3, 2, 2]]));
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('output height would be 0: input height 2 + padding 0 is smaller than the window extent 5 (kernel 5)');
    // extent 4 * (3 - 1) + 1 = 9 > 8 on the width only.
    const e2 = thrown(() => apply(conv, { out: 1, kernel: 3, dilation: [1, 4] }, [[3, 8, 8]]));
    expect(e2.message).toBe(
      'output width would be 0: input width 8 + padding 0 is smaller than the window extent 9 (kernel 3, dilation 4)',
    );
  });

  it('needs a feature map', () => {
    expect(thrown(() => apply(conv, { out: 1, kernel: 3 }, [[100]])).message).toBe('conv expects a feature map [C, H, W], got [100]');
  });

  it('rejects a bad argument value and a missing one', () => {
    expect(thrown(() => apply(conv, { out: 1, kernel: 0 }, [[1, 5, 5]])).message).toBe(
      "argument 'kernel' must be a positive integer or [h, w], got 0",
    );
    expect(thrown(() => apply(conv, { kernel: 3 }, [[1, 5, 5]])).message).toBe("missing argument 'out' for conv");
  });
});
