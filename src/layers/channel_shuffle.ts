/**
 * channel_shuffle: interleaves the channels of `groups` groups (ShuffleNet's channel shuffle,
 * PyTorch's nn.ChannelShuffle and torchvision's shufflenetv2.channel_shuffle: view as
 * [groups, C/groups], transpose, flatten). Input [C, H, W] with C divisible by groups; no tensors.
 */
import { int } from './args.js';
import { LayerError, requireFeatureMap, type LayerKind } from './kind.js';
import { attr } from './onnx.js';

export interface ChannelShuffleArgs {
  readonly groups: number;
}

export const channel_shuffle: LayerKind<ChannelShuffleArgs> = {
  kind: 'channel_shuffle',
  summary: 'interleaves the channels of groups, reshape-transpose-reshape (nn.ChannelShuffle)',
  arity: { min: 1, max: 1 },
  display: { category: 'reshape', detail: (a) => `g${a.groups}` },
  args: {
    groups: int({ doc: 'number of channel groups; the input channels must be divisible by it' }),
  },
  resolve(raw, inputs) {
    const groups = raw['groups'] as number;
    const shape = inputs[0];
    requireFeatureMap('channel_shuffle', shape);
    if (shape[0] % groups !== 0) {
      throw new LayerError(`input channels ${shape[0]} are not divisible by groups ${groups}`, 'groups');
    }
    return { groups };
  },
  outputShape(inputs) {
    return inputs[0];
  },
  tensors() {
    return [];
  },
  cost() {
    // A permutation of whole channels: no arithmetic.
    return { macs: 0, flops: 0 };
  },
  receptiveField() {
    // Channels move; every spatial position stays where it was.
    return { type: 'pointwise' };
  },
  /**
   * Output channel j·groups + i is input channel i·(C/groups) + j (i < groups, j < C/groups): each
   * channel's H·W block is copied whole.
   */
  forward([x], a, _w, ctx) {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const y = ctx.alloc(x.shape);
    const plane = h * w;
    const perGroup = c / a.groups;
    for (let s = 0; s < n; s++) {
      const base = s * c * plane;
      for (let i = 0; i < a.groups; i++) {
        for (let j = 0; j < perGroup; j++) {
          const from = base + (i * perGroup + j) * plane;
          y.data.set(x.data.subarray(from, from + plane), base + (j * a.groups + i) * plane);
        }
      }
    }
    return y;
  },
  /** torch's form: Reshape to [N, groups, C/groups, H, W], Transpose the two group axes, Reshape back (0 keeps the batch). */
  onnx(e, a, inputs) {
    const [c, h, w] = inputs[0];
    const grouped = e.node('Reshape', [e.inputs[0], e.constant([0, a.groups, c / a.groups, h, w])]);
    const swapped = e.node('Transpose', [grouped], { perm: attr.ints([0, 2, 1, 3, 4]) });
    e.node('Reshape', [swapped, e.constant([0, c, h, w])], {}, e.output);
  },
  docs: {
    shapes: '`[C, H, W]` with C divisible by `groups`, the same shape out',
    flops: '0: a permutation of channels',
  },
};
