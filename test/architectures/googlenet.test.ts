import { describe, expect, it } from 'vitest';
import { analyze, loadBundled } from '../../src/index.js';
import {
  blockOutput,
  expectBlockShapes,
  expectMatchesTorchvision,
  layersByName,
  loadFixture,
  macs,
  stateDict,
  totals,
} from './torchvision.js';

const INCEPTIONS = ['3a', '3b', '4a', '4b', '4c', '4d', '4e', '5a', '5b'].map((s) => `inception${s}`);

describe('googlenet (torchvision, no aux heads)', () => {
  const fixture = loadFixture('googlenet');
  const graph = loadBundled('googlenet');
  const layers = layersByName(graph);

  it('matches torchvision 0.14: params, buffers, state_dict, module shapes, output', () => {
    expectMatchesTorchvision(graph, fixture);
    expectBlockShapes(graph, fixture);
  });

  it('lists its tensors in state_dict order', () => {
    expect(stateDict(graph).map((t) => t.key)).toEqual(fixture.state_dict.map(([key]) => key));
  });

  it("has torchvision's published parameter count", () => {
    expect(fixture.published_num_params).toBe(6_624_904);
    expect(totals(graph)).toEqual({ params: 6_624_904, buffers: fixture.buffers });
    const report = analyze(graph);
    expect(report.totals.params).toBe(6_624_904);
    expect(report.outputs).toEqual([{ name: 'fc', shape: [1, 1000] }]);
  });

  it('counts the MACs torchvision publishes (1.498 G)', () => {
    expect(macs(graph)).toBe(fixture.macs);
    expect(macs(graph)).toBe(1_498_376_192);
  });

  it("gives every max pool torchvision's shape, ceil mode included", () => {
    const ours = graph.nodes.filter((n) => n.kind === 'maxpool').map((n) => [n.name, n.outputShape]);
    const theirs = fixture.modules.filter(([, type]) => type === 'MaxPool2d').map(([name, , shape]) => [name, shape]);
    expect(ours).toEqual(theirs);
    expect(layers.get('maxpool1')!.outputShape).toEqual([64, 56, 56]);
    expect(layers.get('maxpool2')!.outputShape).toEqual([192, 28, 28]);
    expect(layers.get('maxpool3')!.outputShape).toEqual([480, 14, 14]);
    expect(layers.get('maxpool4')!.outputShape).toEqual([832, 7, 7]);
  });

  it('builds each Inception module from four branches joined along channels', () => {
    for (const name of INCEPTIONS) {
      const cat = layers.get(`${name}.concat`)!;
      expect(cat.kind).toBe('concat');
      expect(blockOutput(graph, name)).toBe(cat);
      expect(cat.inputs.map((id) => graph.nodes[id].name)).toEqual([
        `${name}.branch1.relu`,
        `${name}.branch2.1.relu`,
        `${name}.branch3.1.relu`,
        `${name}.branch4.1.relu`,
      ]);
      // torchvision's "5x5" branch is a 3x3 convolution.
      expect(layers.get(`${name}.branch3.1.conv`)!.tensors[0].shape.slice(2)).toEqual([3, 3]);
      expect(layers.get(`${name}.branch3.1.bn`)!.args).toMatchObject({ eps: 0.001 });
    }
    expect(layers.get('inception3a.concat')!.outputShape).toEqual([64 + 128 + 32 + 32, 28, 28]);
  });

  it('has no aux heads unless asked', () => {
    expect([...layers.keys()].filter((n) => n.startsWith('aux'))).toEqual([]);
    expect(graph.outputs).toHaveLength(1);
  });

  it('takes other input sizes thanks to the global pool', () => {
    const big = loadBundled('googlenet', { input: [3, 320, 320] });
    expect(layersByName(big).get('inception5b.concat')!.outputShape).toEqual([1024, 10, 10]);
    expect(totals(big).params).toBe(6_624_904);
    expect(analyze(big).outputs[0].shape).toEqual([1, 1000]);
  });
});

describe('googlenet with aux heads (aux: true)', () => {
  const fixture = loadFixture('googlenet_aux');
  const graph = loadBundled('googlenet', { set: { aux: true } });
  const layers = layersByName(graph);
  const name = (id: number) => graph.nodes[id].name;

  it('matches torchvision 0.14 googlenet(aux_logits=True), aux shapes from the train-mode pass', () => {
    expectMatchesTorchvision(graph, fixture);
    expectBlockShapes(graph, fixture);
    // The aux modules did not run in eval mode; every one of them is a layer of ours, with the train-mode shape.
    const nulls = fixture.modules.filter(([, , shape]) => shape === null).map(([n]) => n);
    expect(nulls.length).toBe(10);
    for (const [n, , shape] of fixture.train_only_modules!) {
      const ours = layers.get(n) ?? blockOutput(graph, n);
      expect(ours, n).toBeDefined();
      expect([...ours!.outputShape], n).toEqual(shape);
    }
  });

  it('has 13,004,888 parameters, as torchvision documents for aux_logits=True', () => {
    expect(fixture.params).toBe(13_004_888);
    expect(totals(graph)).toEqual({ params: 13_004_888, buffers: fixture.buffers });
  });

  it('lists the same tensors as torchvision, each head where it branches off rather than after inception5b', () => {
    // torchvision registers aux1 and aux2 after inception5b; we list a head where it reads the main path.
    const main = (keys: string[]) => keys.filter((k) => !k.startsWith('aux'));
    const ours = stateDict(graph).map((t) => t.key);
    const theirs = fixture.state_dict.map(([key]) => key);
    expect(main(ours)).toEqual(main(theirs));
    expect(ours.filter((k) => k.startsWith('aux'))).toEqual(theirs.filter((k) => k.startsWith('aux')));
  });

  it('has the main output first, then aux1 and aux2', () => {
    const report = analyze(graph);
    expect(report.outputs).toEqual([
      { name: 'fc', shape: [1, 1000] },
      { name: 'aux1.fc2', shape: [1, 1000] },
      { name: 'aux2.fc2', shape: [1, 1000] },
    ]);
    const batch = fixture.aux_output_shapes_batch!;
    const withBatch = analyze(graph, { batch });
    expect(withBatch.outputs.map((o) => o.shape)).toEqual([
      fixture.aux_output_shapes!['logits'],
      fixture.aux_output_shapes!['aux_logits1'],
      fixture.aux_output_shapes!['aux_logits2'],
    ]);
  });

  it('branches the aux heads off inception4a and inception4d; the main path goes on from them', () => {
    expect(name(layers.get('aux1.avgpool')!.inputs[0])).toBe('inception4a.concat');
    expect(name(layers.get('aux2.avgpool')!.inputs[0])).toBe('inception4d.concat');
    for (const branch of ['branch1.conv', 'branch2.0.conv', 'branch3.0.conv', 'branch4.0']) {
      expect(name(layers.get(`inception4b.${branch}`)!.inputs[0])).toBe('inception4a.concat');
      expect(name(layers.get(`inception4e.${branch}`)!.inputs[0])).toBe('inception4d.concat');
    }
  });

  it('counts eval-mode MACs on the main path and train-mode MACs with both heads', () => {
    expect(macs(graph, [graph.outputs[0]])).toBe(fixture.macs);
    expect(macs(graph)).toBe(fixture.train_macs);
  });

  it('builds the same main path as without aux heads', () => {
    const plain = loadBundled('googlenet');
    const main = (g: typeof graph) =>
      g.nodes.filter((n) => !n.name.startsWith('aux')).map((n) => [n.name, n.outputShape, n.inputs.map((i) => g.nodes[i].name)]);
    expect(main(graph)).toEqual(main(plain));
  });
});
