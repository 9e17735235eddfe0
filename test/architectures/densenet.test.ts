import { describe, expect, it } from 'vitest';
import { analyze, loadBundled, ModelError, type Graph } from '../../src/index.js';
import { blockOutput, describeFamily, layersByName, macs } from './torchvision.js';

/** torchvision's published parameter counts (the `num_params` of each model's weights). */
const PUBLISHED: Readonly<Record<string, number>> = {
  densenet121: 7_978_856,
  densenet161: 28_681_000,
  densenet169: 14_149_480,
  densenet201: 20_013_928,
};

/**
 * Our layers that torchvision has no module for: each dense layer's concatenation (torchvision
 * concatenates in `_DenseBlock.forward` and `bn_function`), and the functional relu, pooling and
 * flatten of `DenseNet.forward`.
 */
const EXTRA = /^(features\.denseblock\d+\.denselayer\d+\.concat|relu|avgpool|flatten)$/;

const scopeShapes = (graph: Graph, names: string[]) =>
  Object.fromEntries(names.map((n) => [n, blockOutput(graph, `features.${n}`)?.outputShape]));

describeFamily('densenet.yaml against torchvision 0.14', { published: PUBLISHED, output: 'classifier', extra: EXTRA });

describe('densenet121', () => {
  const graph = loadBundled('densenet121');
  const layers = layersByName(graph);

  it('has the dense block and transition shapes of Table 1 (k = 32)', () => {
    const names = ['denseblock1', 'transition1', 'denseblock2', 'transition2', 'denseblock3', 'transition3', 'denseblock4'];
    expect(scopeShapes(graph, names)).toEqual({
      denseblock1: [256, 56, 56], // 64 + 6 * 32
      transition1: [128, 28, 28],
      denseblock2: [512, 28, 28], // 128 + 12 * 32
      transition2: [256, 14, 14],
      denseblock3: [1024, 14, 14], // 256 + 24 * 32
      transition3: [512, 7, 7],
      denseblock4: [1024, 7, 7], // 512 + 16 * 32
    });
    expect(blockOutput(graph, 'features.transition4')).toBeUndefined();
    expect(layers.get('features.norm5')!.outputShape).toEqual([1024, 7, 7]);
    expect(layers.get('classifier')!.tensors.map((t) => t.shape)).toEqual([[1000, 1024], [1000]]);
  });

  it('appends each dense layer’s k new channels after its input, as torch.cat does', () => {
    const cat = layers.get('features.denseblock1.denselayer1.concat')!;
    expect(cat.kind).toBe('concat');
    expect(cat.inputs.map((i) => graph.nodes[i].name)).toEqual(['features.pool0', 'features.denseblock1.denselayer1.conv2']);
    expect(cat.outputShape).toEqual([96, 56, 56]);
    expect(layers.get('features.denseblock1.denselayer6.norm1')!.outputShape).toEqual([224, 56, 56]);
    expect(layers.get('features.denseblock1.denselayer6.conv1')!.outputShape).toEqual([128, 56, 56]); // bn_size * k
  });

  it('is 2.834 GMACs (torchvision publishes 2.83 GFLOPS)', () => {
    expect(macs(graph)).toBe(2_834_161_664);
  });

  it('is the family file’s default', () => {
    expect({ ...analyze(loadBundled('densenet')), model: 'densenet121' }).toEqual(analyze(graph));
  });

  it('refuses a 16x16 input at the last transition’s pool, as torchvision does', () => {
    // conv0 8x8, pool0 4x4, transition1 2x2, transition2 1x1: transition3's 2x2 average pool has
    // no window (torchvision: "Output size is too small").
    let error: unknown;
    try {
      loadBundled('densenet121', { input: [3, 16, 16] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).diagnostics).toHaveLength(1);
    expect((error as ModelError).message).toMatch(
      /densenet\.yaml:\d+:\d+: error: layer 'features\.transition3\.pool' \(avgpool\): output height would be 0/,
    );
  });
});

describe('the densenet family file', () => {
  it('derives every channel count from the growth rate and the block sizes', () => {
    // k = 12: 64 + 6*12 = 136 -> 68; 68 + 12*12 = 212 -> 106; 106 + 24*12 = 394 -> 197 (floor); 197 + 16*12 = 389.
    const graph = loadBundled('densenet', { set: { growth_rate: 12 } });
    expect(
      scopeShapes(graph, ['denseblock1', 'transition1', 'denseblock2', 'transition2', 'denseblock3', 'transition3', 'denseblock4']),
    ).toEqual({
      denseblock1: [136, 56, 56],
      transition1: [68, 28, 28],
      denseblock2: [212, 28, 28],
      transition2: [106, 14, 14],
      denseblock3: [394, 14, 14],
      transition3: [197, 7, 7],
      denseblock4: [389, 7, 7],
    });
    expect(layersByName(graph).get('features.denseblock1.denselayer1.conv1')!.outputShape).toEqual([48, 56, 56]);
  });

  it('takes any number of dense blocks, with a transition between each two', () => {
    const graph = loadBundled('densenet', { set: { block_config: [2, 2, 2] } });
    const layers = layersByName(graph);
    expect(layers.has('features.transition2.conv')).toBe(true);
    expect(layers.has('features.transition3.conv')).toBe(false);
    expect(layers.has('features.denseblock4.denselayer1.conv1')).toBe(false);
    // 64 + 2*32 = 128 at 56x56 -> 64 at 28x28 -> 128 -> 64 at 14x14 -> 128.
    expect(layers.get('features.norm5')!.outputShape).toEqual([128, 14, 14]);
  });
});
