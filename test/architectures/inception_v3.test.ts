import { describe, expect, it } from 'vitest';
import { analyze, loadBundled } from '../../src/index.js';
import { itHasPublishedMacs } from './published.js';
import {
  blockOutput,
  expectBlockShapes,
  expectMatchesTorchvision,
  expectSameLayerSet,
  layersByName,
  loadFixture,
  macs,
  stateDict,
  TORCH_KINDS,
} from './torchvision.js';

/**
 * Our layers that torchvision has no module for: BasicConv2d's F.relu, the functional pools,
 * the concatenations (InceptionE's inner ones named after their branches) and the flattens.
 */
const EXTRA = /^(.+\.relu|Mixed_\w+\.(avgpool|maxpool|concat|branch3x3|branch3x3dbl)|AuxLogits\.(avgpool|global_avgpool|flatten)|flatten)$/;
const KINDS = { ...TORCH_KINDS, AdaptiveAvgPool2d: 'global_avgpool' };

describe('inception_v3 (torchvision, no aux head)', () => {
  const fixture = loadFixture('inception_v3');
  const graph = loadBundled('inception_v3');
  const layers = layersByName(graph);

  it('matches torchvision 0.14 at 299x299: params, buffers, state_dict, module and block shapes, output', () => {
    expect(fixture.input_shape).toEqual([1, 3, 299, 299]);
    expectMatchesTorchvision(graph, fixture);
    expectBlockShapes(graph, fixture);
    expectSameLayerSet(graph, fixture, EXTRA, KINDS);
  });

  it('lists its tensors in state_dict order', () => {
    expect(stateDict(graph).map((t) => t.key)).toEqual(fixture.state_dict.map(([key]) => key));
  });

  it('has 23,834,568 params and the MACs of the eval pass', () => {
    const report = analyze(graph);
    expect(report.totals.params).toBe(23_834_568);
    expect(report.outputs).toEqual([{ name: 'fc', shape: [1, 1000] }]);
    expect(macs(graph)).toBe(fixture.macs);
  });

  itHasPublishedMacs('inception_v3');

  it("has the paper's grid sizes: 35x35 x 288, 17x17 x 768, 8x8 x 2048", () => {
    expect(blockOutput(graph, 'Mixed_5d')!.outputShape).toEqual([288, 35, 35]);
    expect(blockOutput(graph, 'Mixed_6e')!.outputShape).toEqual([768, 17, 17]);
    expect(blockOutput(graph, 'Mixed_7c')!.outputShape).toEqual([2048, 8, 8]);
    expect(layers.get('Mixed_7b.branch3x3')!.outputShape).toEqual([768, 8, 8]);
    expect(layers.get('Mixed_6b.branch7x7_2.conv')!.tensors[0].shape).toEqual([128, 128, 1, 7]);
    expect(layers.get('Mixed_6b.branch7x7_2.bn')!.args).toMatchObject({ eps: 0.001 });
  });

  it('runs at its minimum input, 75x75, where Mixed_7c is 1x1', () => {
    const small = loadBundled('inception_v3', { input: [3, 75, 75] });
    expect(blockOutput(small, 'Mixed_7c')!.outputShape).toEqual([2048, 1, 1]);
    expect(analyze(small).outputs[0].shape).toEqual([1, 1000]);
  });
});

describe('inception_v3 with the aux head (aux: true)', () => {
  const fixture = loadFixture('inception_v3_aux');
  const graph = loadBundled('inception_v3', { set: { aux: true } });
  const layers = layersByName(graph);

  it('matches torchvision 0.14 inception_v3(aux_logits=True), the aux shapes from the train-mode pass', () => {
    expectMatchesTorchvision(graph, fixture);
    expectBlockShapes(graph, fixture);
    expectSameLayerSet(graph, fixture, EXTRA, KINDS);
    // The aux modules did not run in eval mode; every one is a layer or block of ours, with the train-mode shape.
    for (const [n, , shape] of fixture.train_only_modules!) {
      const ours = layers.get(n) ?? blockOutput(graph, n);
      expect(ours, n).toBeDefined();
      expect([...ours!.outputShape], n).toEqual(shape);
    }
  });

  it("has the published weights' 27,161,264 parameters, in state_dict order", () => {
    expect(fixture.published_num_params).toBe(27_161_264);
    expect(analyze(graph).totals.params).toBe(27_161_264);
    expect(stateDict(graph).map((t) => t.key)).toEqual(fixture.state_dict.map(([key]) => key));
  });

  it('outputs the logits and the aux logits, counting eval MACs on the main path and train MACs with the head', () => {
    const batch = fixture.aux_output_shapes_batch!;
    expect(analyze(graph, { batch }).outputs.map((o) => o.shape)).toEqual([
      fixture.aux_output_shapes!['logits'],
      fixture.aux_output_shapes!['aux_logits'],
    ]);
    expect(graph.nodes[layers.get('AuxLogits.avgpool')!.inputs[0]].name).toBe('Mixed_6e.concat');
    expect(macs(graph, [graph.outputs[0]])).toBe(fixture.macs);
    expect(macs(graph)).toBe(fixture.train_macs);
  });
});

// Execute mode against PyTorch at 75x75 (its smallest input): the inception_v3 entry of
// test/fixtures/reference/full_nets.json, run by test/execute/reference.test.ts. Its 24M weights
// are not also round-tripped through safetensors here (efficientnet_b0 and regnet_y_400mf are), to keep the suite fast.
