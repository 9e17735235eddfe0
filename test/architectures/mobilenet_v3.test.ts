import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../src/index.js';
import { describePublished } from './published.js';
import { blockOutput, describeFamily, layersByName, totals } from './torchvision.js';

/** Our layers that torchvision has no module for: the residual sums, SE's `scale * input` and the flatten. */
const EXTRA = /^(features\.\d+\.add|features\.\d+\.block\.\d+\.mul|flatten)$/;

describeFamily('mobilenet_v3.yaml against torchvision 0.14', {
  published: { mobilenet_v3_large: 5_483_032, mobilenet_v3_small: 2_542_856 },
  output: 'classifier.3',
  extra: EXTRA,
  kinds: { AdaptiveAvgPool2d: 'global_avgpool', Hardswish: 'hardswish', Hardsigmoid: 'hardsigmoid' },
});

describePublished('mobilenet_v3: the published GFLOPS', ['mobilenet_v3_large', 'mobilenet_v3_small']);

describe('mobilenet_v3', () => {
  it("has Table 1's output sizes (Large): 112, 56, 28, 14, 7 with 16 to 960 channels", () => {
    const graph = loadBundled('mobilenet_v3_large');
    const ends = [0, 1, 3, 6, 12, 15, 16].map((n) => blockOutput(graph, `features.${n}`)!.outputShape);
    expect(ends).toEqual([
      [16, 112, 112],
      [16, 112, 112],
      [24, 56, 56],
      [40, 28, 28],
      [112, 14, 14],
      [160, 7, 7],
      [960, 7, 7],
    ]);
  });

  it('squeezes to _make_divisible(exp // 4, 8) with a hard-sigmoid gate, and uses batch norm eps 1e-3', () => {
    const layers = layersByName(loadBundled('mobilenet_v3_small'));
    // features.1: exp 16, squeeze 16 // 4 = 4, rounded up to 8; features.4: exp 96, squeeze 24.
    expect(layers.get('features.1.block.1.fc1')!.tensors[0].shape).toEqual([8, 16, 1, 1]);
    expect(layers.get('features.4.block.2.fc1')!.tensors[0].shape).toEqual([24, 96, 1, 1]);
    expect(layers.get('features.4.block.2.mul')!.outputShape).toEqual([96, 14, 14]);
    expect(layers.get('features.4.block.2.scale_activation')!.kind).toBe('hardsigmoid');
    expect(layers.get('features.0.1')!.args).toMatchObject({ eps: 0.001, momentum: 0.01 });
  });

  it('leaves out the expansion where the expansion size is the input width', () => {
    const large = layersByName(loadBundled('mobilenet_v3_large'));
    expect(large.get('features.1.block.0.0')!.tensors[0].shape).toEqual([16, 1, 3, 3]);
    expect(large.has('features.1.block.2')).toBe(false);
    expect(large.get('features.2.block.0.0')!.tensors[0].shape).toEqual([64, 16, 1, 1]);
  });

  // torchvision.models.mobilenet_v3_large / _small(width_mult=w) in torchvision 0.14.
  it.each([
    ['large', 0.35, 997_064],
    ['large', 0.5, 1_734_576],
    ['large', 0.75, 3_377_576],
    ['large', 1.25, 8_164_744],
    ['small', 0.35, 558_744],
    ['small', 0.5, 917_264],
    ['small', 0.75, 1_653_920],
    ['small', 1.25, 3_644_912],
  ])('%s with width_mult %s has the parameters of torchvision (%i)', (arch, width, params) => {
    expect(totals(loadBundled('mobilenet_v3', { set: { arch, width_mult: width } })).params).toBe(params);
  });
});
