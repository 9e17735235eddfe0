import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { encodeSafetensors } from '../../src/execute/safetensors.js';
import { initWeights, loadWeights, stateDictKey, weightSlots } from '../../src/execute/weights.js';
import { buildGraph } from '../../src/index.js';
import { tensor } from '../../src/kernels/tensor.js';
import { layer_scale } from '../../src/layers/layer_scale.js';
import { apply, param, thrown } from './helpers.js';

describe('layer_scale', () => {
  it("owns one parameter [C, 1, 1] keyed by the layer's own name, and costs one multiply per element", () => {
    const r = apply(layer_scale, {}, [[96, 56, 56]]);
    expect(r.args).toEqual({ init: 1e-6 });
    expect(r.output).toEqual([96, 56, 56]);
    expect(r.tensors).toEqual([param('', [96, 1, 1])]);
    expect(r.params).toBe(96);
    expect(r.cost).toEqual({ macs: 0, flops: 96 * 56 * 56 });
    expect(r.field).toEqual({ type: 'pointwise' });
    expect(stateDictKey('features.1.0.layer_scale', r.tensors[0].name)).toBe('features.1.0.layer_scale');
    expect(stateDictKey('features.1.0.block.0', 'weight')).toBe('features.1.0.block.0.weight');
  });

  it('needs a feature map', () => {
    expect(thrown(() => apply(layer_scale, {}, [[768]])).message).toBe('layer_scale expects a feature map [C, H, W], got [768]');
    expect(thrown(() => apply(layer_scale, { init: 'small' }, [[4, 2, 2]])).message).toBe(
      'argument \'init\' must be a number, got "small"',
    );
  });

  it('starts at its init value under PyTorch initialization, whose key is the layer name', () => {
    const g = buildGraph('input: [3, 4, 4]\nlayers:\n  - layer_scale: {name: features.1.0.layer_scale, init: 0.25}\n', { file: 'm.yaml' });
    const node = g.nodes[1];
    const w = initWeights(g, 0).get(node.id)!;
    expect(Object.keys(w)).toEqual(['']);
    expect(Array.from(w[''])).toEqual([0.25, 0.25, 0.25]);
  });

  it('loads from a safetensors file under the bare key, as torchvision saves a CNBlock', () => {
    const g = buildGraph(
      'input: [2, 3, 3]\nlayers:\n  - conv: {name: block.0, out: 2, kernel: 1}\n  - layer_scale: {name: layer_scale}\n',
      { file: 'm.yaml' },
    );
    expect(weightSlots(g).map((s) => s.key)).toEqual(['block.0.weight', 'block.0.bias', 'layer_scale']);
    const path = join(mkdtempSync(join(tmpdir(), 'cnnscope-layer-scale-')), 'w.safetensors');
    const f32 = (shape: number[], values: number[]) => ({ dtype: 'F32', shape, data: Float32Array.from(values) });
    writeFileSync(
      path,
      encodeSafetensors({
        'block.0.weight': f32([2, 2, 1, 1], [1, 2, 3, 4]),
        'block.0.bias': f32([2], [0, 0]),
        layer_scale: f32([2, 1, 1], [0.5, 2]),
      }),
    );
    expect(Array.from(loadWeights(g, path).get(g.nodes[2].id)![''])).toEqual([0.5, 2]);
  });

  it('scales each channel, NaN and infinities as float32 multiplication', () => {
    const x = tensor([1, 2, 1, 3], Float32Array.from([1, -2, NaN, Infinity, 0, -0]));
    const y = layer_scale.forward([x], { init: 1 }, { '': Float32Array.from([0.5, -2]) }, new LocalContext()).data;
    expect(Array.from(y)).toEqual([0.5, -1, NaN, -Infinity, -0, 0]);
  });
});
