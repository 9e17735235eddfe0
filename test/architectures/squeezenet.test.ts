import { describe, expect, it } from 'vitest';
import { analyze, loadBundled } from '../../src/index.js';
import { describePublished, published } from './published.js';
import { describeFamily, layersByName, macs } from './torchvision.js';

/** Our layers that torchvision has no module for: the Fire modules' concatenation and the final torch.flatten. */
const EXTRA = /^(features\.\d+\.concat|flatten)$/;

describeFamily('squeezenet.yaml against torchvision 0.14', {
  published: { squeezenet1_0: 1_248_424, squeezenet1_1: 1_235_496 },
  output: 'flatten',
  extra: EXTRA,
  kinds: { AdaptiveAvgPool2d: 'global_avgpool' },
});

describePublished('squeezenet: the published GFLOPS', ['squeezenet1_0', 'squeezenet1_1']);

describe('squeezenet', () => {
  it('1_0 has the shapes of Table 1: maxpool1 55x55, fire4 256 channels, conv10 13x13', () => {
    const layers = layersByName(loadBundled('squeezenet1_0'));
    expect(layers.get('features.0')!.outputShape).toEqual([96, 109, 109]);
    expect(layers.get('features.2')!.outputShape).toEqual([96, 54, 54]);
    expect(layers.get('features.5.concat')!.outputShape).toEqual([256, 54, 54]);
    expect(layers.get('features.12.concat')!.outputShape).toEqual([512, 13, 13]);
    expect(layers.get('classifier.1')!.outputShape).toEqual([1000, 13, 13]);
  });

  it('1_1 takes 2.35x fewer MACs than 1_0 with about the same parameters', () => {
    const v10 = loadBundled('squeezenet1_0');
    const v11 = loadBundled('squeezenet1_1');
    expect(macs(v10)).toBe(818_924_576);
    expect(macs(v11)).toBe(349_151_936);
    expect(layersByName(v11).get('features.0')!.tensors[0].shape).toEqual([64, 3, 3, 3]);
  });

  it("takes torchvision's smallest input, 21x21, with a 1x1 map before the classifier", () => {
    const [h, w] = published('squeezenet1_0').min_size;
    for (const model of ['squeezenet1_0', 'squeezenet1_1']) {
      const graph = loadBundled(model, { input: [3, h, w] });
      expect(layersByName(graph).get('classifier.1')!.outputShape).toEqual([1000, 1, 1]);
      expect(analyze(graph).outputs[0].shape).toEqual([1, 1000]);
    }
  });
});
