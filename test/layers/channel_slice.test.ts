import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/report.js';
import { LocalContext } from '../../src/execute/context.js';
import { buildGraph } from '../../src/graph/build.js';
import { tensor } from '../../src/kernels/tensor.js';
import { channel_slice } from '../../src/layers/channel_slice.js';
import { LayerError } from '../../src/layers/kind.js';
import { apply, thrown } from './helpers.js';

/**
 * torchvision's ShuffleNet v2 unit (models/shufflenetv2.py, InvertedResidual) as a block: with
 * stride 1, `x1, x2 = x.chunk(2, dim=1); out = cat(x1, branch2(x2))`, the chunk being two slices;
 * with stride 2, `out = cat(branch1(x), branch2(x))`; then channel_shuffle(out, 2) either way.
 */
const SHUFFLENET_STAGE2 = `name: shufflenet_v2_x1_0_stage2
input: [24, 56, 56]
blocks:
  inverted_residual:
    params: {oup: null, stride: 1}
    layers:
      - concat:
          branches:
            - - channel_slice: {name: x1, if: "\${stride == 1}", end: "\${in.c // 2}"}
              - sequential:
                  name: branch1
                  if: "\${stride > 1}"
                  layers:
                    - conv: {out: "\${in.c}", kernel: 3, stride: "\${stride}", padding: 1, groups: "\${in.c}", bias: false}
                    - batchnorm
                    - conv: {out: "\${oup // 2}", kernel: 1, bias: false}
                    - batchnorm
                    - relu
            - - channel_slice: {name: x2, if: "\${stride == 1}", start: "\${in.c // 2}"}
              - sequential:
                  name: branch2
                  layers:
                    - conv: {out: "\${oup // 2}", kernel: 1, bias: false}
                    - batchnorm
                    - relu
                    - conv: {out: "\${oup // 2}", kernel: 3, stride: "\${stride}", padding: 1, groups: "\${oup // 2}", bias: false}
                    - batchnorm
                    - conv: {out: "\${oup // 2}", kernel: 1, bias: false}
                    - batchnorm
                    - relu
      - channel_shuffle: {name: shuffle, groups: 2}
layers:
  - sequential:
      name: stage2
      layers:
        - inverted_residual: {oup: 116, stride: 2}
        - inverted_residual: {oup: 116, repeat: 3}
`;

describe('channel_slice', () => {
  it('takes channels [start, end) of a feature map or of flat features', () => {
    const r = apply(channel_slice, { start: 58, end: 116 }, [[116, 28, 28]]);
    expect(r.args).toEqual({ start: 58, end: 116 });
    expect(r.output).toEqual([58, 28, 28]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 0 });
    expect(r.field).toEqual({ type: 'pointwise' });
    expect(apply(channel_slice, { end: 10 }, [[64]]).output).toEqual([10]);
    expect(channel_slice.display.detail!({ start: 0, end: 58 })).toBe('[0:58]');
  });

  it('defaults to the whole input: start 0, end the input channels', () => {
    expect(apply(channel_slice, {}, [[8, 2, 2]]).args).toEqual({ start: 0, end: 8 });
    expect(apply(channel_slice, { start: 3 }, [[8, 2, 2]]).output).toEqual([5, 2, 2]);
  });

  it('refuses empty and out-of-range slices, naming the argument at fault', () => {
    const beyond = thrown(() => apply(channel_slice, { end: 9 }, [[8, 4, 4]]));
    expect(beyond).toBeInstanceOf(LayerError);
    expect(beyond.message).toBe("end 9 is beyond the input's 8 channels");
    expect((beyond as LayerError).arg).toBe('end');
    const empty = thrown(() => apply(channel_slice, { start: 4, end: 4 }, [[8, 4, 4]]));
    expect(empty.message).toBe('start 4 is not before end 4: the slice would be empty');
    expect((empty as LayerError).arg).toBe('end');
    expect((thrown(() => apply(channel_slice, { start: 8 }, [[8, 4, 4]])) as LayerError).arg).toBe('start');
    expect(thrown(() => apply(channel_slice, { start: -1 }, [[8]])).message).toBe(
      "argument 'start' must be a non-negative integer, got -1",
    );
    expect(thrown(() => apply(channel_slice, { end: 2.5 }, [[8]])).message).toBe("argument 'end' must be a non-negative integer, got 2.5");
    expect(thrown(() => apply(channel_slice, {}, [[2, 3]])).message).toBe(
      'channel_slice expects a feature map [C, H, W] or flat features [F], got [2, 3]',
    );
  });

  it('copies the channels of each sample of a batch', () => {
    // [2, 4, 1, 2]: sample s, channel c, position p holds 100s + 10c + p.
    const x = Float32Array.from({ length: 16 }, (_, i) => 100 * Math.floor(i / 8) + 10 * Math.floor((i % 8) / 2) + (i % 2));
    const y = channel_slice.forward([tensor([2, 4, 1, 2], x)], { start: 1, end: 3 }, {}, new LocalContext());
    expect(y.shape).toEqual([2, 2, 1, 2]);
    expect(Array.from(y.data)).toEqual([10, 11, 20, 21, 110, 111, 120, 121]);
    const flat = channel_slice.forward(
      [tensor([2, 3], Float32Array.from([0, 1, -0, 3, 4, NaN]))],
      { start: 2, end: 3 },
      {},
      new LocalContext(),
    );
    expect(Array.from(flat.data)).toEqual([-0, NaN]);
    expect(Object.is(flat.data[0], -0)).toBe(true);
  });

  it("writes torchvision's ShuffleNet v2 units: the stride-1 chunk(2) is two slices", () => {
    const graph = buildGraph(SHUFFLENET_STAGE2, { file: 'stage2.yaml' });
    const report = analyze(graph);
    const layer = (name: string) => report.layers.find((l) => l.name === name)!;
    const unit = (prefix: string) => report.layers.filter((l) => l.name.startsWith(`${prefix}.`));
    const sum = (ls: typeof report.layers, key: 'params' | 'buffers' | 'macs') => ls.reduce((a, l) => a + l[key], 0);

    // The stride-1 unit stage2.1, as InvertedResidual(116, 116, 1): x1 = x[:, :58], x2 = x[:, 58:].
    expect(unit('stage2.1').map((l) => l.name)).toEqual([
      'stage2.1.x1',
      'stage2.1.x2',
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `stage2.1.branch2.${i}`),
      'stage2.1.concat',
      'stage2.1.shuffle',
    ]);
    expect(layer('stage2.1.x1').output_shape).toEqual([1, 58, 28, 28]);
    expect(layer('stage2.1.x2').output_shape).toEqual([1, 58, 28, 28]);
    expect(layer('stage2.1.branch2.0').inputs).toEqual(['stage2.1.x2']);
    expect(layer('stage2.1.concat').inputs).toEqual(['stage2.1.x1', 'stage2.1.branch2.7']);
    expect(layer('stage2.1.shuffle').output_shape).toEqual([1, 116, 28, 28]);
    // Parameters, with branch_features = 58: two 1x1 convs 58·58 = 3,364 each, the depthwise 3x3
    // 58·9 = 522, three batchnorms 2·58 = 116 each: 6,728 + 522 + 348 = 7,598 (torchvision: 7,598).
    // Buffers: three batchnorms' running mean and var, 2·58 each, and a counter each: 351.
    expect(sum(unit('stage2.1'), 'params')).toBe(7598);
    expect(sum(unit('stage2.1'), 'buffers')).toBe(351);
    // MACs at 28x28 = 784 positions: 2 · 3,364·784 + 522·784 = 5,684,000.
    expect(sum(unit('stage2.1'), 'macs')).toBe(5_684_000);

    // The stride-2 unit stage2.0, as InvertedResidual(24, 116, 2), no slices: branch1 is the
    // depthwise 3x3 24·9 = 216, bn 48, 1x1 24·58 = 1,392, bn 116 (1,772); branch2 the 1x1
    // 24·58 = 1,392, bn 116, depthwise 522, bn 116, 1x1 3,364, bn 116 (5,626): 7,398 (torchvision: 7,398).
    expect(unit('stage2.0').some((l) => l.kind === 'channel_slice')).toBe(false);
    expect(sum(unit('stage2.0'), 'params')).toBe(7398);
    expect(layer('stage2.0.concat').inputs).toEqual(['stage2.0.branch1.4', 'stage2.0.branch2.7']);
    // torchvision's shufflenet_v2_x1_0().stage2: 7,398 + 3 · 7,598 = 30,192 parameters, output [1, 116, 28, 28].
    expect(report.totals.params).toBe(30_192);
    expect(layer('stage2.3.shuffle').output_shape).toEqual([1, 116, 28, 28]);
    // Its state_dict keys, as torchvision names them.
    const keys = graph.nodes.flatMap((n) => n.tensors.map((t) => `${n.name}.${t.name}`));
    expect(keys.slice(0, 3)).toEqual(['stage2.0.branch1.0.weight', 'stage2.0.branch1.1.weight', 'stage2.0.branch1.1.bias']);
    expect(keys).toHaveLength(30 + 3 * 18);
  });

  it('reports a slice beyond the input at its argument', () => {
    const yaml = 'input: [8, 4, 4]\nlayers:\n  - channel_slice: {start: 2, end: 12}\n';
    expect(thrown(() => buildGraph(yaml, { file: 'm.yaml' })).message).toBe(
      "m.yaml:3:36: error: layer '0' (channel_slice): end 12 is beyond the input's 8 channels",
    );
  });
});
