import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { analyze, ARCHITECTURES_DIR, loadBundled } from '../../src/index.js';
import { itRunsLikePyTorch } from './execute.js';
import { itHasPublishedMacs } from './published.js';
import { describeFamily, layersByName } from './torchvision.js';

/** torchvision's published parameter counts (the `num_params` of each model's weights). */
const PUBLISHED: Readonly<Record<string, number>> = {
  regnet_x_400mf: 5_495_976,
  regnet_x_800mf: 7_259_656,
  regnet_x_1_6gf: 9_190_136,
  regnet_x_3_2gf: 15_296_552,
  regnet_x_8gf: 39_572_648,
  regnet_x_16gf: 54_278_536,
  regnet_x_32gf: 107_811_560,
  regnet_y_400mf: 4_344_144,
  regnet_y_800mf: 6_432_512,
  regnet_y_1_6gf: 11_202_430,
  regnet_y_3_2gf: 19_436_338,
  regnet_y_8gf: 39_381_472,
  regnet_y_16gf: 83_590_140,
  regnet_y_32gf: 145_046_770,
  regnet_y_128gf: 644_812_894,
};

/** Our layers that torchvision has no module for: the residual sums, the SE products, the flatten. */
const EXTRA = /^(trunk_output\.block\d\.block\d-\d+\.(add|f\.se\.mul)|flatten)$/;

describeFamily('regnet.yaml against torchvision 0.14', {
  published: PUBLISHED,
  output: 'fc',
  extra: EXTRA,
  kinds: { AdaptiveAvgPool2d: 'global_avgpool', Sigmoid: 'sigmoid' },
});

describe('regnet at the resolutions torchvision publishes GFLOPS for (RegNet-Y SWAG E2E at 384)', () => {
  for (const model of Object.keys(PUBLISHED)) itHasPublishedMacs(model);
});

interface RegNetPreset {
  readonly d: number;
  readonly w_0: number;
  readonly w_a: number;
  readonly w_m: number;
  readonly g: number;
  readonly depths: readonly number[];
  readonly widths: readonly number[];
}

/** Round half to even, as torch.round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision's BlockParams.from_init_params, in float32 as torch computes it (Math.fround after
 * every tensor operation): per-block widths quantized in log space to multiples of 8, stages of
 * equal width, then _adjust_widths_groups_compatibilty with bottleneck ratio 1.
 */
function fromInitParams(p: RegNetPreset): { depths: number[]; widths: number[]; groupWidths: number[] } {
  const f = Math.fround;
  const logWm = Math.log(p.w_m);
  const blockWidths: number[] = [];
  for (let j = 0; j < p.d; j++) {
    const cont = f(f(j * p.w_a) + p.w_0);
    const capacity = roundHalfEven(f(f(Math.log(f(cont / p.w_0))) / logWm));
    blockWidths.push(roundHalfEven(f(f(p.w_0 * f(p.w_m ** capacity)) / 8)) * 8);
  }
  const depths: number[] = [];
  const widths: number[] = [];
  for (const w of blockWidths) {
    if (widths.at(-1) === w) depths[depths.length - 1] += 1;
    else {
      widths.push(w);
      depths.push(1);
    }
  }
  const groupWidths = widths.map((w) => Math.min(p.g, w));
  // _make_divisible(w, g): to the nearest multiple of g (at least g), never more than 10% down.
  const fitted = widths.map((w, s) => {
    const g = groupWidths[s];
    const down = Math.max(g, Math.floor((w + g / 2) / g) * g);
    return down < 0.9 * w ? down + g : down;
  });
  return { depths, widths: fitted, groupWidths };
}

describe('the regnet presets', () => {
  const doc = parse(readFileSync(`${ARCHITECTURES_DIR}/regnet.yaml`, 'utf8')) as { presets: Record<string, RegNetPreset> };

  it('are the 15 torchvision models', () => {
    expect(Object.keys(doc.presets).sort()).toEqual(Object.keys(PUBLISHED).sort());
  });

  for (const [model, preset] of Object.entries(doc.presets)) {
    it(`${model}: its depths and widths are from_init_params(d ${preset.d}, w_0 ${preset.w_0}, w_a ${preset.w_a}, w_m ${preset.w_m}, g ${preset.g})`, () => {
      const derived = fromInitParams(preset);
      expect(derived.depths).toEqual(preset.depths);
      expect(derived.widths).toEqual(preset.widths);
      expect(derived.depths.reduce((a, b) => a + b)).toBe(preset.d);
      // The groups the graph uses: width // min(g, width) in every stage's 3x3 conv.
      const layers = layersByName(loadBundled(model));
      derived.widths.forEach((w, s) => {
        expect(layers.get(`trunk_output.block${s + 1}.block${s + 1}-0.f.b.0`)!.args).toMatchObject({ groups: w / derived.groupWidths[s] });
      });
    });
  }

  it('fit the group width to a narrow first stage: RegNetX-8GF has 80 channels in groups of 80, not 120', () => {
    const conv = layersByName(loadBundled('regnet_x_8gf')).get('trunk_output.block1.block1-0.f.b.0')!;
    expect(conv.args).toMatchObject({ groups: 1 });
    expect(conv.tensors[0].shape).toEqual([80, 80, 3, 3]);
  });

  it('give RegNetY an SE of a quarter of the block input width, RegNetX none', () => {
    const y = layersByName(loadBundled('regnet_y_400mf'));
    // block2-0 reads the 48 channels of block1: squeeze to 12; block2-1 reads 104: 26.
    expect(y.get('trunk_output.block2.block2-0.f.se.fc1')!.tensors[0].shape).toEqual([12, 104, 1, 1]);
    expect(y.get('trunk_output.block2.block2-1.f.se.fc1')!.tensors[0].shape).toEqual([26, 104, 1, 1]);
    expect([...layersByName(loadBundled('regnet_x_400mf')).keys()].some((n) => n.includes('.se.'))).toBe(false);
  });

  it('the family file defaults to RegNetY-400MF', () => {
    expect({ ...analyze(loadBundled('regnet')), model: 'regnet_y_400mf' }).toEqual(analyze(loadBundled('regnet_y_400mf')));
  });
});

describe('regnet.yaml in execute mode against PyTorch (scripts/torch_reference_nets.py)', () => {
  itRunsLikePyTorch('regnet_y_400mf');
});
