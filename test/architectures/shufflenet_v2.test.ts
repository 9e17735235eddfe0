import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../src/index.js';
import { describePublished } from './published.js';
import { blockOutput, describeFamily, layersByName, loadFixture } from './torchvision.js';

const MODELS = ['shufflenet_v2_x0_5', 'shufflenet_v2_x1_0', 'shufflenet_v2_x1_5', 'shufflenet_v2_x2_0'];

/** Our layers that torchvision has no module for: x.chunk's halves, the cat, channel_shuffle and x.mean([2, 3]). */
const EXTRA = /^(stage\d\.\d+\.(x1|x2|concat|shuffle)|mean|flatten)$/;

describeFamily('shufflenet_v2.yaml against torchvision 0.14', {
  published: { shufflenet_v2_x0_5: 1_366_792, shufflenet_v2_x1_0: 2_278_604, shufflenet_v2_x1_5: 3_503_624, shufflenet_v2_x2_0: 7_393_996 },
  output: 'fc',
  extra: EXTRA,
  // The empty nn.Sequential `branch1` of a stride-1 unit: an identity on the first half here.
  kinds: { Sequential: 'identity' },
});

describePublished('shufflenet_v2: the published GFLOPS', MODELS);

describe('shufflenet_v2', () => {
  const graph = loadBundled('shufflenet_v2_x1_0');
  const layers = layersByName(graph);

  it("has Table 5's output sizes (1x): 112, 56, 28, 14, 7 with 24, 116, 232, 464, 1024 channels", () => {
    expect(['conv1', 'maxpool', 'stage2', 'stage3', 'stage4', 'conv5'].map((b) => blockOutput(graph, b)!.outputShape)).toEqual([
      [24, 112, 112],
      [24, 56, 56],
      [116, 28, 28],
      [232, 14, 14],
      [464, 7, 7],
      [1024, 7, 7],
    ]);
  });

  it('splits a stride-1 unit in halves and shuffles the concatenation in two groups', () => {
    expect(layers.get('stage3.1.x1')!.outputShape).toEqual([116, 14, 14]);
    expect(layers.get('stage3.1.x2')!.outputShape).toEqual([116, 14, 14]);
    expect(layers.get('stage3.1.branch2.0')!.tensors[0].shape).toEqual([116, 116, 1, 1]);
    expect(layers.get('stage3.1.shuffle')!.args).toMatchObject({ groups: 2 });
    expect(layers.get('stage3.1.shuffle')!.outputShape).toEqual([232, 14, 14]);
  });

  it("has an empty branch1 exactly where torchvision's is not called in eval mode", () => {
    for (const model of MODELS) {
      const identities = [...layersByName(loadBundled(model)).values()].filter((n) => n.kind === 'identity').map((n) => n.name);
      expect(identities).toEqual(loadFixture(model).not_called_in_eval);
    }
  });

  it('reads the whole input in both branches of a stride-2 unit', () => {
    expect(layers.get('stage2.0.branch1.0')!.tensors[0].shape).toEqual([24, 1, 3, 3]);
    expect(layers.get('stage2.0.branch2.0')!.tensors[0].shape).toEqual([58, 24, 1, 1]);
    expect(layers.get('stage2.0.branch1.0')!.outputShape).toEqual([24, 28, 28]);
  });
});
