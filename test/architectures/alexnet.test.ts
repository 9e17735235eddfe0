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

describe('alexnet (torchvision)', () => {
  const fixture = loadFixture('alexnet');
  const graph = loadBundled('alexnet');

  it('matches torchvision 0.14: params, state_dict, module shapes, output', () => {
    expectMatchesTorchvision(graph, fixture);
    expectBlockShapes(graph, fixture);
    expectSameModules(graph, fixture, ['flatten']);
  });

  it('lists its tensors in state_dict order', () => {
    expect(stateDict(graph).map((t) => t.key)).toEqual(fixture.state_dict.map(([key]) => key));
  });

  it("has torchvision's published parameter count", () => {
    expect(fixture.published_num_params).toBe(61_100_840);
    expect(totals(graph)).toEqual({ params: 61_100_840, buffers: 0 });
    const report = analyze(graph);
    expect(report.totals).toMatchObject({ params: 61_100_840, trainable_params: 61_100_840, buffers: 0 });
    expect(report.outputs).toEqual([{ name: 'classifier.6', shape: [1, 1000] }]);
  });

  it('counts the MACs torchvision publishes (0.714 G)', () => {
    expect(macs(graph)).toBe(fixture.macs);
    expect(macs(graph)).toBe(714_188_480);
  });

  it("gives every max pool torchvision's shape", () => {
    const ours = graph.nodes.filter((n) => n.kind === 'maxpool').map((n) => [n.name, n.outputShape]);
    const theirs = fixture.modules.filter(([, type]) => type === 'MaxPool2d').map(([name, , shape]) => [name, shape]);
    expect(ours).toEqual(theirs);
    expect(ours).toEqual([
      ['features.2', [64, 27, 27]],
      ['features.5', [192, 13, 13]],
      ['features.12', [256, 6, 6]],
    ]);
  });

  it('takes a 256x256 input thanks to the adaptive pool', () => {
    const big = loadBundled('alexnet', { input: [3, 256, 256] });
    const layers = layersByName(big);
    expect(layers.get('features.0')!.outputShape).toEqual([64, 63, 63]);
    expect(layers.get('features.12')!.outputShape).toEqual([256, 7, 7]);
    expect(layers.get('avgpool')!.outputShape).toEqual([256, 6, 6]);
    expect(totals(big).params).toBe(61_100_840);
    expect(analyze(big).outputs[0].shape).toEqual([1, 1000]);
  });

  it('refuses an input too small for the last max pool, naming it', () => {
    const e = thrown(() => loadBundled('alexnet', { input: [3, 32, 32] }));
    expect(e).toBeInstanceOf(ModelError);
    const message = (e as ModelError).message;
    expect(message).toMatch(/layer 'features\.12' \(maxpool\)/);
    expect(message).toMatch(/output height would be 0/);
    expect((e as ModelError).diagnostics[0].layer).toEqual({ name: 'features.12', kind: 'maxpool' });
  });
});

describe('alexnet_paper (Krizhevsky et al. 2012)', () => {
  const graph = loadBundled('alexnet_paper');
  const layers = layersByName(graph);
  const shape = (name: string) => layers.get(name)!.outputShape;
  const tensor = (name: string, t: string) => layers.get(name)!.tensors.find((x) => x.name === t)!.shape;

  it('has the paper\'s "60 million" parameters: 60,965,224 with the two-GPU groups', () => {
    expect(totals(graph)).toEqual({ params: 60_965_224, buffers: 0 });
    expect(analyze(graph).outputs).toEqual([{ name: 'fc8', shape: [1, 1000] }]);
  });

  it('has the shapes of Figure 2 from a 227x227 input', () => {
    expect(graph.inputShape).toEqual([3, 227, 227]);
    expect(shape('conv1')).toEqual([96, 55, 55]);
    expect(shape('norm1')).toEqual([96, 55, 55]);
    expect(shape('pool1')).toEqual([96, 27, 27]);
    expect(shape('conv2')).toEqual([256, 27, 27]);
    expect(shape('pool2')).toEqual([256, 13, 13]);
    expect(shape('conv3')).toEqual([384, 13, 13]);
    expect(shape('conv4')).toEqual([384, 13, 13]);
    expect(shape('conv5')).toEqual([256, 13, 13]);
    expect(shape('pool5')).toEqual([256, 6, 6]);
    expect(shape('flatten')).toEqual([9216]);
    expect(shape('fc6')).toEqual([4096]);
    expect(shape('fc7')).toEqual([4096]);
    expect(shape('fc8')).toEqual([1000]);
  });

  it('models the two GPUs as groups=2 on conv2, conv4 and conv5 only', () => {
    expect(tensor('conv1', 'weight')).toEqual([96, 3, 11, 11]);
    expect(tensor('conv2', 'weight')).toEqual([256, 48, 5, 5]);
    expect(tensor('conv3', 'weight')).toEqual([384, 256, 3, 3]);
    expect(tensor('conv4', 'weight')).toEqual([384, 192, 3, 3]);
    expect(tensor('conv5', 'weight')).toEqual([256, 192, 3, 3]);
    expect(tensor('fc6', 'weight')).toEqual([4096, 9216]);
    // One tower: the network of torchvision's layer sizes at 96/256/384/384/256.
    expect(totals(loadBundled('alexnet_paper', { set: { groups: 1 } })).params).toBe(62_378_344);
  });

  it("normalizes with the paper's LRN and drops out of fc6 and fc7", () => {
    for (const name of ['norm1', 'norm2']) {
      expect(layers.get(name)!.kind).toBe('lrn');
      expect(layers.get(name)!.args).toEqual({ size: 5, alpha: 1e-4, beta: 0.75, k: 2 });
    }
    expect(graph.nodes.filter((n) => n.kind === 'dropout').map((n) => [n.name, graph.nodes[n.inputs[0]].name])).toEqual([
      ['drop6', 'relu6'],
      ['drop7', 'relu7'],
    ]);
  });
});
