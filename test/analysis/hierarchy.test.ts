import { describe, expect, it } from 'vitest';
import { analyze, loadBundled } from '../../src/index.js';
import { loadFixture } from '../architectures/torchvision.js';

describe('folding by depth', () => {
  const graph = loadBundled('resnet50');

  it('folds ResNet-50 to its stages at depth 1, with their totals and outputs', () => {
    const r = analyze(graph, { depth: 1 });
    expect(r.blocks!.map((b) => b.name)).toEqual([
      'conv1',
      'bn1',
      'relu',
      'maxpool',
      'layer1',
      'layer2',
      'layer3',
      'layer4',
      'avgpool',
      'flatten',
      'fc',
    ]);
    const layer2 = r.blocks!.find((b) => b.name === 'layer2')!;
    expect(layer2.output_shape).toEqual([1, 512, 28, 28]);
    expect(layer2.kind).toBe('stage');
    // Its parameters as torchvision's state_dict has them (weights, biases, batchnorm scale and shift).
    const fixture = loadFixture('resnet50');
    const expected = fixture.state_dict
      .filter(([key]) => key.startsWith('layer2.') && !/running_|num_batches/.test(key))
      .reduce((a, [, shape]) => a + shape.reduce((x, y) => x * y, 1), 0);
    expect(layer2.params).toBe(expected);
    expect(layer2.layers).toBe(r.layers.filter((l) => l.name.startsWith('layer2.')).length);
    expect(layer2.macs).toBe(r.layers.filter((l) => l.name.startsWith('layer2.')).reduce((a, l) => a + l.macs, 0));
    expect(layer2.receptive_field).toMatchObject({ size: [91, 91], stride: [8, 8] });
    // The rows add up to the totals.
    expect(r.blocks!.reduce((a, b) => a + b.params, 0)).toBe(r.totals.params);
  });

  it('folds to blocks at depth 2', () => {
    const r = analyze(graph, { depth: 2 });
    const names = r.blocks!.map((b) => b.name);
    expect(names.filter((n) => n.startsWith('layer3.'))).toEqual(['layer3.0', 'layer3.1', 'layer3.2', 'layer3.3', 'layer3.4', 'layer3.5']);
    expect(r.blocks!.find((b) => b.name === 'layer3.0')).toMatchObject({ kind: 'bottleneck', output_shape: [1, 1024, 14, 14] });
  });

  it('leaves the report without blocks when no depth is asked', () => {
    expect(analyze(graph).blocks).toBeUndefined();
  });
});
