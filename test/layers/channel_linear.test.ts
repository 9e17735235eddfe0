import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { tensor } from '../../src/kernels/tensor.js';
import { channel_linear } from '../../src/layers/channel_linear.js';
import { apply, param, thrown } from './helpers.js';
import { CountingContext } from '../execute/helpers.js';

describe('channel_linear', () => {
  it("has nn.Linear's weight [out, C] and counts C*out MACs per position, as a 1x1 conv", () => {
    // ConvNeXt-T's first pwconv1: 96 -> 384 on 56x56.
    const r = apply(channel_linear, { out: 384 }, [[96, 56, 56]]);
    expect(r.output).toEqual([384, 56, 56]);
    expect(r.tensors).toEqual([param('weight', [384, 96]), param('bias', [384])]);
    expect(r.params).toBe(96 * 384 + 384);
    // 96 * 384 * 3,136 = 115,605,504 MACs; flops 2x + 384 * 3,136 bias adds.
    expect(r.cost).toEqual({ macs: 115_605_504, flops: 2 * 115_605_504 + 1_204_224 });
    expect(r.field).toEqual({ type: 'pointwise' });
    expect(apply(channel_linear, { out: 8, bias: false }, [[4, 2, 3]]).tensors).toEqual([param('weight', [8, 4])]);
  });

  it('needs a feature map and an output width', () => {
    expect(thrown(() => apply(channel_linear, { out: 4 }, [[16]])).message).toBe(
      'channel_linear expects a feature map [C, H, W], got [16]',
    );
    expect(thrown(() => apply(channel_linear, {}, [[16, 2, 2]])).message).toBe("missing argument 'out' for channel_linear");
  });

  it('maps the channels of each position, adds the bias, and counts one GEMM per sample', () => {
    // 2 samples of [2, 1, 2]; weight [[1, 2], [0, -1], [1, 1]], bias [0, 10, 0.5].
    const x = tensor([2, 2, 1, 2], Float32Array.from([1, 2, 3, 4, 0, 1, NaN, 0]));
    const w = { weight: Float32Array.from([1, 2, 0, -1, 1, 1]), bias: Float32Array.from([0, 10, 0.5]) };
    const y = channel_linear.forward([x], { out: 3, bias: true }, w, new LocalContext());
    expect(y.shape).toEqual([2, 3, 1, 2]);
    // Sample 0, position 0: x = (1, 3): 7, 7, 4.5; position 1: x = (2, 4): 10, 6, 6.5.
    expect(Array.from(y.data.slice(0, 6))).toEqual([7, 10, 7, 6, 4.5, 6.5]);
    // Sample 1: position 0 x = (0, NaN) spoils every output there.
    expect(y.data[6]).toBeNaN();
    expect(y.data[7]).toBe(1);
    const counting = new CountingContext();
    channel_linear.forward([x], { out: 3, bias: true }, w, counting);
    expect([counting.gemms, counting.macs]).toEqual([2, 2 * 3 * 2 * 2]);
  });
});
