import { describe, expect, it } from 'vitest';
import { analyze, buildGraph, loadBundled } from '../../src/index.js';

const rf = (yaml: string) => analyze(buildGraph(yaml, { file: 'm.yaml' }));

describe('receptive fields', () => {
  it('follows a chain with stride, padding and dilation, worked by hand', () => {
    const r = rf(`input: [1, 32, 32]
layers:
  - conv: {out: 1, kernel: 3}                           # r 3, j 1, P 0
  - conv: {out: 1, kernel: 3, stride: 2, padding: 1}    # r 3+2*1 = 5, j 2, P 0+1*1 = 1
  - maxpool: {kernel: 2}                                # r 5+1*2 = 7, j 4, P 1
  - conv: {out: 1, kernel: 3, dilation: 2, padding: 2}  # k' 5: r 7+4*4 = 23, j 4, P 1+2*4 = 9
  - relu
`);
    expect(r.layers.map((l) => l.receptive_field)).toEqual([
      { size: [3, 3], stride: [1, 1], padding: [0, 0] },
      { size: [5, 5], stride: [2, 2], padding: [1, 1] },
      { size: [7, 7], stride: [4, 4], padding: [1, 1] },
      { size: [23, 23], stride: [4, 4], padding: [9, 9] },
      { size: [23, 23], stride: [4, 4], padding: [9, 9] },
    ]);
  });

  it('handles each axis on its own', () => {
    const r = rf('input: [1, 16, 16]\nlayers:\n  - conv: {out: 1, kernel: [3, 1], stride: [1, 2], padding: [1, 2, 0, 0]}\n');
    expect(r.layers[0].receptive_field).toEqual({ size: [3, 1], stride: [1, 2], padding: [1, 0] });
  });

  it('is global after global pooling or a linear layer', () => {
    const r = rf(
      'input: [1, 8, 8]\nlayers:\n  - conv: {name: c, out: 2, kernel: 3}\n  - global_avgpool\n  - flatten\n  - linear: {out: 2}\n',
    );
    expect(r.layers.map((l) => l.receptive_field)).toEqual([
      { size: [3, 3], stride: [1, 1], padding: [0, 0] },
      'global',
      'global',
      'global',
    ]);
    expect(r.totals.receptive_field).toBe('global');
    expect(r.totals.last_spatial_receptive_field).toEqual({ layer: 'c', size: [3, 3], stride: [1, 1], padding: [0, 0] });
  });

  it('keeps the largest field where paths meet, silently when they agree', () => {
    const r = rf(
      'input: [1, 8, 8]\nlayers:\n  - conv: {name: a, out: 1, kernel: 3, padding: 1}\n  - conv: {name: b, out: 1, kernel: 5, padding: 2, inputs: input}\n  - concat: {name: m, inputs: [a, b]}\n',
    );
    expect(r.layers[2].receptive_field).toEqual({ size: [5, 5], stride: [1, 1], padding: [2, 2] });
    expect(r.warnings).toEqual([]);
  });

  it('warns when paths meet misaligned', () => {
    // a: 1x1, centred on pixel 0. b: 3x3 padded only after, so its first unit sees pixels 0..2, centred on 1.
    const r = rf(
      'input: [1, 8, 8]\nlayers:\n  - conv: {name: a, out: 1, kernel: 1}\n  - conv: {name: b, out: 1, kernel: 3, padding: [0, 2, 0, 2], inputs: input}\n  - add: {name: m, inputs: [a, b]}\n',
    );
    expect(r.warnings).toEqual([{ layer: 'm', message: expect.stringMatching(/^paths meet misaligned/) }]);
  });

  it('warns when paths meet with different strides', () => {
    // a: 1x1 stride 2 on 8 -> 4; b: 5x5 stride 1 on 8 -> 4.
    const r = rf(
      'input: [1, 8, 8]\nlayers:\n  - conv: {name: a, out: 1, kernel: 1, stride: 2}\n  - conv: {name: b, out: 1, kernel: 5, inputs: input}\n  - add: {name: m, inputs: [a, b]}\n',
    );
    expect(r.warnings).toEqual([
      { layer: 'm', message: expect.stringMatching(/^paths meet with different effective strides \(2x2, 1x1\)/) },
    ]);
    expect(r.layers[2].receptive_field).toEqual({ size: [5, 5], stride: [1, 1], padding: [0, 0] });
  });

  const layerField = (model: string, layer: string) => analyze(loadBundled(model)).layers.find((l) => l.name === layer)!.receptive_field;

  it('VGG-16: 196 after conv5_3, 212 with stride 32 after pool5', () => {
    expect(layerField('vgg16', 'features.28')).toMatchObject({ size: [196, 196], stride: [16, 16] });
    expect(layerField('vgg16', 'features.30')).toMatchObject({ size: [212, 212], stride: [32, 32] });
  });

  it("torchvision's AlexNet features: 195, stride 32", () => {
    expect(layerField('alexnet', 'features.12')).toMatchObject({ size: [195, 195], stride: [32, 32] });
  });

  it('ResNet-50 (torchvision): 427, stride 32, and aligned everywhere', () => {
    const r = analyze(loadBundled('resnet50'));
    expect(r.totals.receptive_field).toBe('global');
    expect(r.totals.last_spatial_receptive_field).toMatchObject({ layer: 'layer4.2.relu_out', size: [427, 427], stride: [32, 32] });
    expect(r.warnings).toEqual([]);
  });

  it('is computed in one linear pass: a 20,000-layer residual chain', () => {
    const lines = ['input: [4, 8, 8]', 'layers:'];
    for (let i = 0; i < 5000; i++) lines.push(`  - residual: {body: [{conv: {out: 4, kernel: 3, padding: 1}}, batchnorm, relu]}`);
    const r = rf(`${lines.join('\n')}\n`);
    // Each block adds 2 to the field through its body; the identity path keeps the smaller one.
    expect(r.layers.at(-1)!.receptive_field).toEqual({ size: [10001, 10001], stride: [1, 1], padding: [5000, 5000] });
  });
});
