import { describe, expect, it } from 'vitest';
import { analyze, loadBundled, ModelError } from '../../src/index.js';
import { thrown } from '../thrown.js';
import {
  expectBlockShapes,
  expectMatchesTorchvision,
  expectSameModules,
  layersByName,
  loadFixture,
  macs,
  stateDict,
  totals,
} from './torchvision.js';

/** torchvision's published `num_params`, written out (docs of torchvision.models). */
const PUBLISHED: Readonly<Record<string, number>> = {
  vgg11: 132_863_336,
  vgg11_bn: 132_868_840,
  vgg13: 133_047_848,
  vgg13_bn: 133_053_736,
  vgg16: 138_357_544,
  vgg16_bn: 138_365_992,
  vgg19: 143_667_240,
  vgg19_bn: 143_678_248,
};

/** Convolutions per stage (Table 1 of the paper): A, B, D, E. */
const CONVS: Readonly<Record<string, readonly number[]>> = {
  vgg11: [1, 1, 2, 2, 2],
  vgg13: [2, 2, 2, 2, 2],
  vgg16: [2, 2, 3, 3, 3],
  vgg19: [2, 2, 4, 4, 4],
};

describe.each(Object.keys(PUBLISHED))('%s (torchvision)', (model) => {
  const fixture = loadFixture(model);
  const graph = loadBundled(model);
  const bn = model.endsWith('_bn');

  it('matches torchvision 0.14: params, buffers, state_dict, module shapes, output', () => {
    expectMatchesTorchvision(graph, fixture);
    expectBlockShapes(graph, fixture);
    // features.N numbering, conv [bn] relu ... maxpool, exactly as torchvision's make_layers.
    expectSameModules(graph, fixture, ['flatten']);
  });

  it('lists its tensors in state_dict order', () => {
    expect(stateDict(graph).map((t) => t.key)).toEqual(fixture.state_dict.map(([key]) => key));
  });

  it("has torchvision's published parameter count", () => {
    expect(fixture.published_num_params).toBe(PUBLISHED[model]);
    const report = analyze(graph);
    expect(report.totals.params).toBe(PUBLISHED[model]);
    expect(report.totals.buffers).toBe(fixture.buffers);
    expect(report.outputs).toEqual([{ name: 'classifier.6', shape: [1, 1000] }]);
  });

  it('counts the MACs of the fixture', () => {
    expect(macs(graph)).toBe(fixture.macs);
  });

  it("has the convolutions of Table 1 and five max pools with the fixture's shapes", () => {
    const convs = CONVS[model.replace('_bn', '')];
    const layers = [...layersByName(graph).values()].filter((n) => n.name.startsWith('features.'));
    const perStage: number[] = [0];
    for (const n of layers) {
      if (n.kind === 'conv') perStage[perStage.length - 1]++;
      if (n.kind === 'maxpool') perStage.push(0);
    }
    expect(perStage).toEqual([...convs, 0]);
    expect(layers.filter((n) => n.kind === 'batchnorm').length).toBe(bn ? convs.reduce((a, b) => a + b) : 0);
    const pools = graph.nodes.filter((n) => n.kind === 'maxpool').map((n) => [n.name, n.outputShape]);
    const theirs = fixture.modules.filter(([, type]) => type === 'MaxPool2d').map(([name, , shape]) => [name, shape]);
    expect(pools).toEqual(theirs);
    expect(pools.map(([, s]) => s)).toEqual([
      [64, 112, 112],
      [128, 56, 56],
      [256, 28, 28],
      [512, 14, 14],
      [512, 7, 7],
    ]);
  });
});

describe('vgg (one definition)', () => {
  it('is vgg16 without a preset, and bn is a parameter', () => {
    expect(totals(loadBundled('vgg')).params).toBe(138_357_544);
    expect(totals(loadBundled('vgg16', { set: { bn: true } })).params).toBe(138_365_992);
  });

  it('takes a 256x256 input thanks to the adaptive pool', () => {
    const graph = loadBundled('vgg16', { input: [3, 256, 256] });
    const layers = layersByName(graph);
    expect(layers.get('features.30')!.outputShape).toEqual([512, 8, 8]);
    expect(layers.get('avgpool')!.outputShape).toEqual([512, 7, 7]);
    expect(totals(graph).params).toBe(138_357_544);
    expect(analyze(graph).outputs[0].shape).toEqual([1, 1000]);
  });

  it('takes the smallest input, 32x32, whose 1x1 map the adaptive pool spreads to 7x7', () => {
    const graph = loadBundled('vgg11_bn', { input: [3, 32, 32] });
    expect(layersByName(graph).get('features.28')!.outputShape).toEqual([512, 1, 1]);
    expect(layersByName(graph).get('avgpool')!.outputShape).toEqual([512, 7, 7]);
    expect(totals(graph).params).toBe(132_868_840);
  });

  it('refuses a 16x16 input, naming the max pool whose output would be empty', () => {
    const e = thrown(() => loadBundled('vgg16', { input: [3, 16, 16] }));
    expect(e).toBeInstanceOf(ModelError);
    const { diagnostics, message } = e as ModelError;
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].layer).toEqual({ name: 'features.30', kind: 'maxpool' });
    expect(message).toMatch(/layer 'features\.30' \(maxpool\): output height would be 0/);
  });

  it('reports a depth without a configuration', () => {
    const e = thrown(() => loadBundled('vgg16', { set: { depth: 17 } }));
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).message).toMatch(/no entry "17" \(has 11, 13, 16, 19\)/);
  });
});
