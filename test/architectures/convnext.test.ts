import { describe, expect, it } from 'vitest';
import { analyze, loadBundled } from '../../src/index.js';
import { itRunsLikePyTorch } from './execute.js';
import { itHasPublishedMacs } from './published.js';
import { blockOutput, CHANNELS_LAST_LINEAR, describeFamily, layersByName } from './torchvision.js';

/** torchvision's published parameter counts (the `num_params` of each model's weights). */
const PUBLISHED: Readonly<Record<string, number>> = {
  convnext_tiny: 28_589_128,
  convnext_small: 50_223_688,
  convnext_base: 88_591_464,
  convnext_large: 197_767_336,
};

/** Our layers that torchvision has no module for: the residual sums and the layer scale products (a bare parameter). */
const EXTRA = /^features\.\d+\.\d+\.(add|layer_scale)$/;

describeFamily('convnext.yaml against torchvision 0.14', {
  published: PUBLISHED,
  output: 'classifier.2',
  extra: EXTRA,
  kinds: {
    AdaptiveAvgPool2d: 'global_avgpool',
    LayerNorm2d: 'layernorm',
    LayerNorm: 'layernorm',
    GELU: 'gelu',
    StochasticDepth: 'stochastic_depth',
    [CHANNELS_LAST_LINEAR]: 'channel_linear',
  },
  // The CNBlock's Permute, LayerNorm, Linear, GELU, Linear, Permute.
  channelsLast: /^features\.\d+\.\d+\.block\.[1-6]$/,
});

describe('convnext at the resolution torchvision publishes GFLOPS for', () => {
  for (const model of Object.keys(PUBLISHED)) itHasPublishedMacs(model);
});

describe('convnext', () => {
  it("has the paper's stages: 1/4 to 1/32 resolution, C = (96, 192, 384, 768), B = (3, 3, 9, 3) for T", () => {
    const graph = loadBundled('convnext_tiny');
    const ends = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => blockOutput(graph, `features.${n}`)!.outputShape);
    expect(ends).toEqual([
      [96, 56, 56],
      [96, 56, 56],
      [192, 28, 28],
      [192, 28, 28],
      [384, 14, 14],
      [384, 14, 14],
      [768, 7, 7],
      [768, 7, 7],
    ]);
    const layers = layersByName(graph);
    expect(layers.has('features.5.8.block.0')).toBe(true);
    expect(layers.has('features.5.9.block.0')).toBe(false);
    expect(layers.has('features.8.0')).toBe(false);
  });

  it('raises the stochastic depth rate as torchvision does, stochastic_depth_prob * block index / (blocks - 1)', () => {
    // Values printed by torchvision 0.14: convnext_tiny().features[3][1].stochastic_depth.p, ...
    const p = (model: string, name: string) => layersByName(loadBundled(model)).get(`${name}.stochastic_depth`)!.args;
    expect(p('convnext_tiny', 'features.1.0')).toMatchObject({ p: 0, mode: 'row' });
    expect(p('convnext_tiny', 'features.3.1')).toMatchObject({ p: 0.023529411764705882 });
    expect(p('convnext_tiny', 'features.5.4')).toMatchObject({ p: 0.058823529411764705 });
    expect(p('convnext_tiny', 'features.7.2')).toMatchObject({ p: 0.1 });
    expect(p('convnext_small', 'features.3.2')).toMatchObject({ p: 0.05714285714285714 });
    expect(p('convnext_small', 'features.5.13')).toMatchObject({ p: 0.21714285714285717 });
    expect(p('convnext_small', 'features.7.2')).toMatchObject({ p: 0.4 });
  });

  it('scales each block by a [C, 1, 1] parameter named as the block, initially 1e-6, and uses LayerNorm eps 1e-6', () => {
    const layers = layersByName(loadBundled('convnext_base'));
    const scale = layers.get('features.3.0.layer_scale')!;
    expect(scale.kind).toBe('layer_scale');
    expect(scale.args).toMatchObject({ init: 1e-6 });
    expect(scale.tensors).toEqual([{ name: '', shape: [256, 1, 1], role: 'parameter', dtype: 'float' }]);
    for (const name of ['features.0.1', 'features.3.0.block.2', 'features.4.0', 'classifier.0']) {
      expect(layers.get(name)!.args, name).toMatchObject({ eps: 1e-6 });
    }
  });

  it('runs its Linears on every position: 4x the width, in * out * H * W MACs', () => {
    const layers = layersByName(loadBundled('convnext_tiny'));
    const fc1 = layers.get('features.1.0.block.3')!;
    expect(fc1.kind).toBe('channel_linear');
    expect(fc1.tensors[0].shape).toEqual([384, 96]);
    expect(fc1.layer.cost(fc1.inputShapes, fc1.outputShape, fc1.args).macs).toBe(96 * 384 * 56 * 56);
  });

  it('the family file defaults to ConvNeXt-T', () => {
    expect({ ...analyze(loadBundled('convnext')), model: 'convnext_tiny' }).toEqual(analyze(loadBundled('convnext_tiny')));
  });
});

describe('convnext.yaml in execute mode against PyTorch (scripts/torch_reference_nets.py)', () => {
  itRunsLikePyTorch('convnext_tiny');
});
