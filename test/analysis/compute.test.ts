import { describe, expect, it } from 'vitest';
import { analyze, buildGraph, loadBundled } from '../../src/index.js';

describe('MACs and FLOPs', () => {
  it('counts a small graph by hand', () => {
    const g = buildGraph(
      'input: [1, 4, 4]\nlayers:\n  - conv: {name: a, out: 1, kernel: 1}\n  - relu: {name: b}\n  - add: {name: c, inputs: [b, input]}\n',
      { file: 'm.yaml' },
    );
    const r = analyze(g, { batch: 3 });
    const layer = (name: string) => r.layers.find((l) => l.name === name)!;
    // conv: 16 outputs x 1 input channel x 1x1 = 16 MACs per sample; FLOPs 2*16 + 16 bias adds.
    expect([layer('a').macs, layer('a').flops]).toEqual([48, 144]);
    // relu: one max per element; add of 2 inputs: one add per element.
    expect([layer('b').macs, layer('b').flops]).toEqual([0, 48]);
    expect([layer('c').macs, layer('c').flops]).toEqual([0, 48]);
    expect([r.totals.macs, r.totals.flops]).toEqual([48, 240]);
    expect(r.by_kind.map((k) => [k.kind, k.layers, k.macs, k.flops])).toEqual([
      ['conv', 1, 48, 144],
      ['add', 1, 0, 48],
      ['relu', 1, 0, 48],
    ]);
  });

  it('counts a grouped, strided conv and a linear layer', () => {
    const g = buildGraph(
      'input: [8, 9, 9]\nlayers:\n  - conv: {name: g, out: 4, kernel: 3, stride: 2, groups: 2, bias: false}\n  - flatten\n  - linear: {name: fc, out: 10}\n',
      { file: 'm.yaml' },
    );
    const r = analyze(g);
    // conv: 4 x 4 x 4 outputs, each (8/2) x 3 x 3 = 36 MACs -> 2,304. No bias: FLOPs = 2 x MACs.
    expect(r.layers[0]).toMatchObject({ macs: 2304, flops: 4608 });
    // linear: 64 in x 10 out = 640 MACs; FLOPs 1,280 + 10 bias adds.
    expect(r.layers[2]).toMatchObject({ macs: 640, flops: 1290 });
  });

  // torchvision's model docs publish "GFLOPS" that are conv + linear multiply-accumulates.
  const published: [string, string][] = [
    ['alexnet', '0.714'],
    ['vgg16', '15.47'],
    ['googlenet', '1.498'],
    ['resnet50', '4.089'],
    ['resnext50_32x4d', '4.23'],
    ['wide_resnet50_2', '11.398'],
    ['densenet121', '2.834'],
  ];
  for (const [model, gmacs] of published) {
    it(`${model} has torchvision's published ${gmacs} GMACs`, () => {
      const decimals = gmacs.split('.')[1].length;
      expect((analyze(loadBundled(model)).totals.macs / 1e9).toFixed(decimals)).toBe(gmacs);
    });
  }

  it('gives exact MAC totals for the fixtures made with PyTorch hooks', () => {
    expect(analyze(loadBundled('resnet50')).totals.macs).toBe(4_089_184_256);
    expect(analyze(loadBundled('vgg16')).totals.macs).toBe(15_470_264_320);
  });

  it("puts the lecture note's claims about AlexNet in numbers", () => {
    const r = analyze(loadBundled('alexnet_paper'));
    const share = (kind: string, key: 'macs' | 'params') =>
      r.layers.filter((l) => l.kind === kind).reduce((a, l) => a + l[key], 0) / r.totals[key];
    // "Most floating point operations occur in the convolutional layers."
    expect(share('conv', 'macs')).toBeGreaterThan(0.9);
    // "Nearly all parameters are in the fully-connected layers."
    expect(share('linear', 'params')).toBeGreaterThan(0.9);
  });
});
