import { describe, expect, it } from 'vitest';
import { analyze, loadBundled } from '../../src/index.js';
import { itRunsLikePyTorch } from './execute.js';
import {
  expectBlockShapes,
  expectMatchesTorchvision,
  expectSameLayerSet,
  layersByName,
  loadFixture,
  macs,
  stateDict,
  TORCH_KINDS,
} from './torchvision.js';

/** Our layers the module has no module for: the decoder's torch.cat([skip, up]). */
const EXTRA = /^up\d\.concat$/;

describe('unet.yaml against scripts/unet.py (the padded U-Net, at 256x256)', () => {
  const fixture = loadFixture('unet');
  const graph = loadBundled('unet');

  it('has 31,037,698 parameters and a [1, 2, 256, 256] output', () => {
    expect(fixture.params).toBe(31_037_698);
    const report = analyze(graph);
    expect(report.model).toBe('unet');
    expect(report.totals).toMatchObject({ params: 31_037_698, trainable_params: 31_037_698, buffers: fixture.buffers });
    expect(report.outputs).toEqual([{ name: 'outc', shape: [1, 2, 256, 256] }]);
  });

  it('matches the state_dict (in order), every module and block shape, and the MACs', () => {
    expectMatchesTorchvision(graph, fixture);
    expectBlockShapes(graph, fixture);
    expect(stateDict(graph).map((t) => t.key)).toEqual(fixture.state_dict.map(([key]) => key));
    // The transposed convolutions count one MAC per weight tap per input element.
    expect(macs(graph)).toBe(fixture.macs);
    expect(macs(graph)).toBe(48_171_581_440);
  });

  it('has the same layers as the module, and only the concatenations besides', () => {
    expectSameLayerSet(graph, fixture, EXTRA, { ...TORCH_KINDS, ConvTranspose2d: 'conv_transpose' });
  });

  it('concatenates the encoder output first, then the upsampled map, at each level', () => {
    const layers = layersByName(graph);
    const inputs = (name: string) => layers.get(name)!.inputs.map((id) => graph.nodes[id].name);
    expect(inputs('up1.concat')).toEqual(['down3.conv.block.5', 'up1.up']);
    expect(inputs('up2.concat')).toEqual(['down2.conv.block.5', 'up2.up']);
    expect(inputs('up3.concat')).toEqual(['down1.conv.block.5', 'up3.up']);
    expect(inputs('up4.concat')).toEqual(['inc.block.5', 'up4.up']);
    expect(layers.get('up1.concat')!.outputShape).toEqual([1024, 32, 32]);
  });

  it('keeps the input size at any multiple of 16', () => {
    expect(analyze(loadBundled('unet', { input: [3, 96, 160] })).outputs).toEqual([{ name: 'outc', shape: [1, 2, 96, 160] }]);
  });
});

describe('unet.yaml in execute mode against PyTorch (scripts/torch_reference_nets.py)', () => {
  itRunsLikePyTorch('unet');
});
