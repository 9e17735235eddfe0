import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../src/index.js';
import { describePublished } from './published.js';
import { blockOutput, describeFamily, layersByName, totals } from './torchvision.js';

/** Our layers that torchvision has no module for: the residual sums, the functional pooling and the flatten. */
const EXTRA = /^(features\.\d+\.add|avgpool|flatten)$/;

describeFamily('mobilenet_v2.yaml against torchvision 0.14', {
  published: { mobilenet_v2: 3_504_872 },
  output: 'classifier.1',
  extra: EXTRA,
  kinds: { ReLU6: 'relu6' },
});

describePublished('mobilenet_v2: the published GFLOPS', ['mobilenet_v2']);

describe('mobilenet_v2', () => {
  const graph = loadBundled('mobilenet_v2');
  const layers = layersByName(graph);

  it("has Table 2's rows: 112, 56, 28, 14, 14, 7, 7 with 16 to 320 channels, then 1280", () => {
    const rowEnds = [1, 3, 6, 10, 13, 16, 17].map((n) => blockOutput(graph, `features.${n}`)!.outputShape);
    expect(rowEnds).toEqual([
      [16, 112, 112],
      [24, 56, 56],
      [32, 28, 28],
      [64, 14, 14],
      [96, 14, 14],
      [160, 7, 7],
      [320, 7, 7],
    ]);
    expect(layers.get('features.18.0')!.outputShape).toEqual([1280, 7, 7]);
  });

  it('adds the input back only in stride-1 bottlenecks that keep the width', () => {
    const sums = graph.nodes.filter((n) => n.kind === 'add').map((n) => n.name.split('.')[1]);
    expect(sums).toEqual(['3', '5', '6', '8', '9', '10', '12', '13', '15', '16']);
  });

  it('leaves out the expansion when t = 1 and makes the 3x3 depthwise', () => {
    expect(layers.get('features.1.conv.0.0')!.tensors[0].shape).toEqual([32, 1, 3, 3]);
    expect(layers.get('features.1.conv.1')!.tensors[0].shape).toEqual([16, 32, 1, 1]);
    expect(layers.get('features.2.conv.1.0')!.args).toMatchObject({ groups: 96, stride: [2, 2] });
  });

  // torchvision.models.mobilenet_v2(width_mult=w) in torchvision 0.14: _make_divisible rounds
  // 0.35 * 16 = 5.6 up to 8 and 0.35 * 24 = 8.4 down to 8, keeps the last conv at 1280 below 1
  // and widens it to 1792 at 1.4.
  it.each([
    [0.35, 1_677_128, 1280],
    [0.5, 1_968_680, 1280],
    [0.75, 2_636_424, 1280],
    [1.3, 5_386_792, 1664],
    [1.4, 6_108_776, 1792],
  ])('with width_mult %s has the parameters of torchvision (%i)', (width, params, last) => {
    const scaled = loadBundled('mobilenet_v2', { set: { width_mult: width } });
    expect(totals(scaled).params).toBe(params);
    expect(layersByName(scaled).get('features.18.0')!.outputShape[0]).toBe(last);
  });
});
