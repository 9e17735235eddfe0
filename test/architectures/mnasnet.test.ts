import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../src/index.js';
import { describePublished } from './published.js';
import { blockOutput, describeFamily, layersByName, totals } from './torchvision.js';

const MODELS = ['mnasnet0_5', 'mnasnet0_75', 'mnasnet1_0', 'mnasnet1_3'];

/** Our layers that torchvision has no module for: the residual sums and x.mean([2, 3]) (pooling, flatten). */
const EXTRA = /^(layers\.\d+\.\d+\.add|mean|flatten)$/;

describeFamily('mnasnet.yaml against torchvision 0.14', {
  published: { mnasnet0_5: 2_218_512, mnasnet0_75: 3_170_208, mnasnet1_0: 4_383_312, mnasnet1_3: 6_282_256 },
  output: 'classifier.1',
  extra: EXTRA,
});

describePublished('mnasnet: the published GFLOPS', MODELS);

describe('mnasnet', () => {
  it('mnasnet1_0 has the stack outputs 56, 28, 14, 14, 7, 7 with 24 to 320 channels', () => {
    const graph = loadBundled('mnasnet1_0');
    const ends = [8, 9, 10, 11, 12, 13].map((n) => blockOutput(graph, `layers.${n}`)!.outputShape);
    expect(ends).toEqual([
      [24, 56, 56],
      [40, 28, 28],
      [80, 14, 14],
      [96, 14, 14],
      [192, 7, 7],
      [320, 7, 7],
    ]);
    expect(layersByName(graph).get('layers.14')!.outputShape).toEqual([1280, 7, 7]);
  });

  it('rounds alpha times the widths to multiples of 8, up unless within 10%, and keeps 1280', () => {
    // 0.5: 32 -> 16, 16 -> 8, 24 -> 12 -> 16, 40 -> 20 -> 24, 320 -> 160; 1.3: 40 -> 52 -> 56, 96 -> 124.8 -> 128.
    const half = layersByName(loadBundled('mnasnet0_5'));
    expect(
      ['layers.0', 'layers.6', 'layers.8.0.layers.6', 'layers.9.0.layers.6', 'layers.13.0.layers.6', 'layers.14'].map(
        (n) => half.get(n)!.outputShape[0],
      ),
    ).toEqual([16, 8, 16, 24, 160, 1280]);
    const wide = layersByName(loadBundled('mnasnet1_3'));
    expect(wide.get('layers.9.0.layers.6')!.outputShape[0]).toBe(56);
    expect(wide.get('layers.11.0.layers.6')!.outputShape[0]).toBe(128);
  });

  // torchvision.models.MNASNet(alpha) in torchvision 0.14.
  it.each([
    [0.35, 1_788_232],
    [0.6, 2_505_112],
    [1.4, 7_115_728],
    [2.0, 12_469_944],
  ])('with alpha %s has the parameters of torchvision (%i)', (alpha, params) => {
    expect(totals(loadBundled('mnasnet', { set: { alpha } })).params).toBe(params);
  });
});
