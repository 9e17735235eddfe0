import { describe, expect, it } from 'vitest';
import { analyze, loadBundled } from '../../src/index.js';
import { describeFamily, layersByName } from './torchvision.js';
import { itRunsLikePyTorch } from './execute.js';
import { itHasPublishedMacs } from './published.js';

/** torchvision's published parameter counts (the `num_params` of each model's weights). */
const PUBLISHED: Readonly<Record<string, number>> = {
  efficientnet_b0: 5_288_548,
  efficientnet_b1: 7_794_184,
  efficientnet_b2: 9_109_994,
  efficientnet_b3: 12_233_232,
  efficientnet_b4: 19_341_616,
  efficientnet_b5: 30_389_784,
  efficientnet_b6: 43_040_704,
  efficientnet_b7: 66_347_960,
  efficientnet_v2_s: 21_458_488,
  efficientnet_v2_m: 54_139_356,
  efficientnet_v2_l: 118_515_272,
};

/** Our layers that torchvision has no module for: residual sums, SE's products, the flatten. */
const EXTRA = /^(features\.\d+\.\d+\.(add|block\.\d+\.mul)|flatten)$/;

describeFamily('efficientnet.yaml against torchvision 0.14', {
  published: PUBLISHED,
  output: 'classifier.1',
  extra: EXTRA,
  kinds: { AdaptiveAvgPool2d: 'global_avgpool', SiLU: 'silu', Sigmoid: 'sigmoid', StochasticDepth: 'stochastic_depth' },
});

describe('efficientnet at the resolutions torchvision publishes GFLOPS for (B7 at 600, V2-L at 480, ...)', () => {
  for (const model of Object.keys(PUBLISHED)) itHasPublishedMacs(model);
});

describe('efficientnet derivations', () => {
  it('scales widths by _make_divisible(c * width_mult, 8) and depths by ceil(n * depth_mult)', () => {
    // B7 (width 2.0, depth 3.1): the stem 32 -> 64, the last stage's 320 -> 640 and its 1 block -> 4,
    // the head 4 * 640 = 2560. B2 (width 1.1): 16 * 1.1 = 17.6 -> 16, 40 * 1.1 = 44 -> 48.
    const b7 = layersByName(loadBundled('efficientnet_b7'));
    expect(b7.get('features.0.0')!.outputShape).toEqual([64, 112, 112]);
    expect(b7.has('features.7.3.block.3.0')).toBe(true);
    expect(b7.has('features.7.4.block.3.0')).toBe(false);
    expect(b7.get('features.7.3.block.3.0')!.outputShape).toEqual([640, 7, 7]);
    expect(b7.get('features.8.0')!.outputShape).toEqual([2560, 7, 7]);
    const b2 = layersByName(loadBundled('efficientnet_b2'));
    expect(b2.get('features.1.0.block.2.0')!.outputShape).toEqual([16, 112, 112]);
    expect(b2.get('features.3.0.block.3.0')!.outputShape).toEqual([48, 28, 28]);
  });

  it('squeezes to a quarter of the block input, not of the expanded width', () => {
    // features.2.0 of B0: 16 in, expanded to 96, squeezed to 16 // 4 = 4.
    const b0 = layersByName(loadBundled('efficientnet_b0'));
    expect(b0.get('features.2.0.block.2.fc1')!.tensors[0].shape).toEqual([4, 96, 1, 1]);
    expect(b0.get('features.2.0.block.2.fc2')!.tensors[0].shape).toEqual([96, 4, 1, 1]);
  });

  it('raises the stochastic depth rate as torchvision does, 0.2 * block index / blocks', () => {
    // Values printed by torchvision 0.14: efficientnet_b7().features[7][3].stochastic_depth.p,
    // efficientnet_v2_m().features[7][4].stochastic_depth.p.
    expect(layersByName(loadBundled('efficientnet_b7')).get('features.7.3.stochastic_depth')!.args).toMatchObject({
      p: 0.19636363636363638,
      mode: 'row',
    });
    expect(layersByName(loadBundled('efficientnet_v2_m')).get('features.7.4.stochastic_depth')!.args).toMatchObject({
      p: 0.19649122807017547,
    });
    expect(layersByName(loadBundled('efficientnet_b0')).get('features.1.0.stochastic_depth')!.args).toMatchObject({ p: 0 });
  });

  it('uses batch norm eps 1e-5 for B0..B4, 1e-3 and momentum 0.01 for B5..B7, 1e-3 for V2', () => {
    const bn = (model: string) => layersByName(loadBundled(model)).get('features.0.1')!.args;
    expect(bn('efficientnet_b4')).toMatchObject({ eps: 1e-5, momentum: 0.1 });
    expect(bn('efficientnet_b5')).toMatchObject({ eps: 1e-3, momentum: 0.01 });
    expect(bn('efficientnet_v2_l')).toMatchObject({ eps: 1e-3, momentum: 0.1 });
  });

  it('the family file defaults to B0, and --set gives the presets', () => {
    const set = analyze(loadBundled('efficientnet', { set: { width_mult: 1.2, depth_mult: 1.4, dropout: 0.3 } }));
    expect({ ...set, model: 'efficientnet_b3' }).toEqual(analyze(loadBundled('efficientnet_b3')));
    expect(analyze(loadBundled('efficientnet')).totals.params).toBe(5_288_548);
  });
});

describe('efficientnet.yaml in execute mode against PyTorch (scripts/torch_reference_nets.py)', () => {
  itRunsLikePyTorch('efficientnet_b0');
});
