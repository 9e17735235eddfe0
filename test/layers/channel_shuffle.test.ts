import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { buildGraph } from '../../src/graph/build.js';
import { tensor } from '../../src/kernels/tensor.js';
import { channel_shuffle } from '../../src/layers/channel_shuffle.js';
import { LayerError } from '../../src/layers/kind.js';
import { apply, thrown } from './helpers.js';

describe('channel_shuffle', () => {
  it('permutes channels for free, keeping the shape and every spatial position', () => {
    const r = apply(channel_shuffle, { groups: 2 }, [[116, 28, 28]]);
    expect(r.args).toEqual({ groups: 2 });
    expect(r.output).toEqual([116, 28, 28]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 0 });
    expect(r.field).toEqual({ type: 'pointwise' });
    expect(channel_shuffle.display.detail!({ groups: 3 })).toBe('g3');
  });

  it('needs a feature map whose channels divide into the groups', () => {
    const e = thrown(() => apply(channel_shuffle, { groups: 3 }, [[116, 28, 28]]));
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('input channels 116 are not divisible by groups 3');
    expect((e as LayerError).arg).toBe('groups');
    expect(thrown(() => apply(channel_shuffle, { groups: 2 }, [[116]])).message).toBe(
      'channel_shuffle expects a feature map [C, H, W], got [116]',
    );
    expect(thrown(() => apply(channel_shuffle, {}, [[4, 2, 2]])).message).toBe("missing argument 'groups' for channel_shuffle");
    expect(thrown(() => apply(channel_shuffle, { groups: 0 }, [[4, 2, 2]])).message).toBe(
      "argument 'groups' must be a positive integer, got 0",
    );
    // groups 1 and groups = C are the identity.
    expect(apply(channel_shuffle, { groups: 4 }, [[4, 2, 2]]).output).toEqual([4, 2, 2]);
  });

  it("interleaves the groups as torch's view-transpose-view: out[j·g + i] = in[i·C/g + j]", () => {
    // Batch 2, 6 channels of 2 positions: channel c of sample s holds 100s + 10c and 100s + 10c + 1.
    const x = Float32Array.from({ length: 24 }, (_, k) => 100 * Math.floor(k / 12) + 10 * Math.floor((k % 12) / 2) + (k % 2));
    const channels = (y: Float32Array, s: number) => Array.from({ length: 6 }, (_, c) => y[s * 12 + c * 2] / 10 - 10 * s);
    const g2 = channel_shuffle.forward([tensor([2, 6, 1, 2], x)], { groups: 2 }, {}, new LocalContext());
    expect(g2.shape).toEqual([2, 6, 1, 2]);
    // torch.nn.ChannelShuffle(2) on channels 0..5 gives 0, 3, 1, 4, 2, 5.
    expect(channels(g2.data, 0)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(channels(g2.data, 1)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(g2.data.subarray(2, 4))).toEqual([30, 31]);
    // groups 3: 0, 2, 4, 1, 3, 5.
    const g3 = channel_shuffle.forward([tensor([2, 6, 1, 2], x)], { groups: 3 }, {}, new LocalContext());
    expect(channels(g3.data, 0)).toEqual([0, 2, 4, 1, 3, 5]);
    const special = channel_shuffle.forward([tensor([1, 2, 1, 1], Float32Array.from([-0, NaN]))], { groups: 2 }, {}, new LocalContext());
    expect(Object.is(special.data[0], -0)).toBe(true);
    expect(special.data[1]).toBeNaN();
  });

  it('reports indivisible channels at the groups argument', () => {
    const yaml = 'input: [6, 4, 4]\nlayers:\n  - channel_shuffle: {groups: 4}\n';
    expect(thrown(() => buildGraph(yaml, { file: 'm.yaml' })).message).toBe(
      "m.yaml:3:31: error: layer '0' (channel_shuffle): input channels 6 are not divisible by groups 4",
    );
  });
});
