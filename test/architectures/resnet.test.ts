import { describe, expect, it } from 'vitest';
import { analyze, loadBundled, type Graph } from '../../src/index.js';
import { blockOutput, describeFamily, layersByName, macs, totals } from './torchvision.js';

/** torchvision's published parameter counts (the `num_params` of each model's weights). */
const PUBLISHED: Readonly<Record<string, number>> = {
  resnet18: 11_689_512,
  resnet34: 21_797_672,
  resnet50: 25_557_032,
  resnet101: 44_549_160,
  resnet152: 60_192_808,
  resnext50_32x4d: 25_028_904,
  resnext101_32x8d: 88_791_336,
  resnext101_64x4d: 83_455_272,
  wide_resnet50_2: 68_883_240,
  wide_resnet101_2: 126_886_696,
};

/** Our layers that torchvision has no module for: the residual sums, and the later uses of a block's one `relu`. */
const EXTRA = /^(layer\d+\.\d+\.(add|relu2|relu_out)|flatten)$/;

const stageShapes = (graph: Graph) => [1, 2, 3, 4].map((s) => blockOutput(graph, `layer${s}`)!.outputShape);

describeFamily('resnet.yaml against torchvision 0.14', {
  published: PUBLISHED,
  output: 'fc',
  extra: EXTRA,
  kinds: { AdaptiveAvgPool2d: 'global_avgpool' },
});

describe('resnet50', () => {
  const graph = loadBundled('resnet50');
  const layers = layersByName(graph);

  it('has the stage shapes of Table 1: 56, 28, 14, 7 with 256 to 2048 channels', () => {
    expect(layers.get('maxpool')!.outputShape).toEqual([64, 56, 56]);
    expect(stageShapes(graph)).toEqual([
      [256, 56, 56],
      [512, 28, 28],
      [1024, 14, 14],
      [2048, 7, 7],
    ]);
    expect(layers.get('avgpool')!.outputShape).toEqual([2048, 1, 1]);
    expect(layers.get('flatten')!.outputShape).toEqual([2048]);
  });

  it('strides on the 3x3 conv (v1.5) and projects only on the first block of a stage', () => {
    expect(layers.get('layer2.0.conv1')!.outputShape).toEqual([128, 56, 56]);
    expect(layers.get('layer2.0.conv2')!.outputShape).toEqual([128, 28, 28]);
    const downsamples = graph.nodes.filter((n) => n.name.endsWith('.downsample.0')).map((n) => n.name);
    expect(downsamples).toEqual(['layer1.0.downsample.0', 'layer2.0.downsample.0', 'layer3.0.downsample.0', 'layer4.0.downsample.0']);
  });

  it('is 4.089 GMACs (torchvision publishes 4.09 GFLOPS)', () => {
    expect(macs(graph)).toBe(4_089_184_256);
  });

  it('takes a 320x320 input thanks to the global pooling: layer4 is 10x10', () => {
    const big = loadBundled('resnet50', { input: [3, 320, 320] });
    expect(stageShapes(big)).toEqual([
      [256, 80, 80],
      [512, 40, 40],
      [1024, 20, 20],
      [2048, 10, 10],
    ]);
    expect(totals(big).params).toBe(25_557_032);
    expect(analyze(big).outputs[0].shape).toEqual([1, 1000]);
  });

  it('takes a 16x16 input as torchvision does: layer3 and layer4 are 1x1', () => {
    // torchvision: conv1 8x8, maxpool 4x4, layer2 2x2, layer3 1x1; the 3x3 stride-2 pad-1 conv
    // of layer4 maps 1x1 to floor((1 + 2 - 3) / 2) + 1 = 1, so resnet50 runs and outputs [1, 1000].
    const tiny = loadBundled('resnet50', { input: [3, 16, 16] });
    expect(layersByName(tiny).get('conv1')!.outputShape).toEqual([64, 8, 8]);
    expect(stageShapes(tiny)).toEqual([
      [256, 4, 4],
      [512, 2, 2],
      [1024, 1, 1],
      [2048, 1, 1],
    ]);
    expect(analyze(tiny).outputs[0].shape).toEqual([1, 1000]);
  });
});

describe('the resnet family file', () => {
  it('with --set depth=101 is resnet101', () => {
    const set = analyze(loadBundled('resnet', { set: { depth: 101 } }));
    const preset = analyze(loadBundled('resnet101'));
    expect(set.totals).toMatchObject({ params: 44_549_160, trainable_params: 44_549_160, buffers: 105_448 });
    expect({ ...set, model: 'resnet101' }).toEqual(preset);
  });

  it('defaults to ResNet-50', () => {
    expect(analyze(loadBundled('resnet')).totals.params).toBe(25_557_032);
  });

  it('builds ResNet-18/34 from basic blocks and ResNeXt with grouped 3x3 convs', () => {
    const r18 = layersByName(loadBundled('resnet18'));
    expect(r18.has('layer1.0.conv3')).toBe(false);
    expect(r18.has('layer1.0.downsample.0')).toBe(false);
    expect(r18.get('layer2.0.downsample.0')!.tensors[0].shape).toEqual([128, 64, 1, 1]);
    const rx = layersByName(loadBundled('resnext50_32x4d'));
    expect(rx.get('layer1.0.conv2')!.args).toMatchObject({ groups: 32 });
    expect(rx.get('layer1.0.conv2')!.tensors[0].shape).toEqual([128, 4, 3, 3]);
    expect(layersByName(loadBundled('wide_resnet50_2')).get('layer1.0.conv1')!.outputShape).toEqual([128, 56, 56]);
  });
});
