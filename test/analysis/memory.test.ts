import { describe, expect, it } from 'vitest';
import { analyze, buildGraph, loadBundled } from '../../src/index.js';

// input [1,4,4] -> a: conv 1x1 (2 params) -> b: relu -> c: add(b, input). Every tensor has 16 elements.
const residual = buildGraph(
  'input: [1, 4, 4]\nlayers:\n  - conv: {name: a, out: 1, kernel: 1}\n  - relu: {name: b}\n  - add: {name: c, inputs: [b, input]}\n',
  { file: 'm.yaml' },
);

describe('memory', () => {
  it('counts weights, activations and the peak under the liveness schedule', () => {
    const r = analyze(residual);
    expect(r.totals.weight_bytes).toBe(2 * 4);
    // input, a, b, c: 4 tensors of 16 floats.
    expect(r.totals.activation_bytes).toBe(4 * 64);
    // The input stays alive until c reads it. Step by step (bytes alive while the layer runs):
    // input 64; a 64+64; b 64+64+64 (a is freed after b); c 64+64+64 (input and b freed after c).
    expect(r.totals.peak_activation_bytes).toBe(192);
    expect(r.memory.peak_at).toBe('b');
    expect(r.layers.map((l) => l.activation_bytes)).toEqual([64, 64, 64]);
  });

  it('scales with batch and dtype; int64 counters stay 8 bytes', () => {
    const r = analyze(residual, { batch: 2, dtype: 'fp16' });
    expect(r.totals.activation_bytes).toBe(4 * 16 * 2 * 2);
    expect(r.totals.peak_activation_bytes).toBe(3 * 16 * 2 * 2);
    const bn = buildGraph('input: [3, 2, 2]\nlayers: [batchnorm]\n', { file: 'm.yaml' });
    // weight, bias, running_mean, running_var: 4 x 3 at 1 byte (int8); num_batches_tracked: int64.
    expect(analyze(bn, { dtype: 'int8' }).totals.weight_bytes).toBe(12 + 8);
  });

  it('estimates training memory for each optimizer', () => {
    // weights 8 + gradients 8 + optimizer state + activations 256.
    expect(analyze(residual, { optimizer: 'sgd' }).totals.training_bytes).toBe(8 + 8 + 0 + 256);
    expect(analyze(residual, { optimizer: 'momentum' }).totals.training_bytes).toBe(8 + 8 + 8 + 256);
    expect(analyze(residual, { optimizer: 'adam' }).totals.training_bytes).toBe(8 + 8 + 16 + 256);
    // Buffers have no gradients: batchnorm's 2C+1 buffer elements count once, as weights.
    const bn = analyze(buildGraph('input: [3, 2, 2]\nlayers: [batchnorm]\n', { file: 'm.yaml' }), { optimizer: 'adam' });
    expect(bn.memory.training).toEqual({ weights: 6 * 4 + 6 * 4 + 8, gradients: 6 * 4, optimizer_state: 12 * 4, activations: 2 * 12 * 4 });
  });

  it('keeps a ResNet shortcut alive across its block', () => {
    const r = analyze(loadBundled('resnet18'));
    // The peak is in layer1's first block or the stem: at 112x112x64 fp32 a tensor is 3,211,264 bytes.
    const stem = 64 * 112 * 112 * 4;
    expect(r.totals.peak_activation_bytes).toBe(2 * stem);
    expect(r.memory.peak_at).toBe('bn1');
  });

  it('frees a tensor nobody reads as soon as it is made', () => {
    const g = buildGraph('input: [1, 4, 4]\nlayers:\n  - relu: {name: dead}\n  - relu: {name: live, inputs: [input]}\n', {
      file: 'm.yaml',
    });
    // input 64 + dead 64 = 128, then dead is freed; live: input 64 + live 64 = 128.
    expect(analyze(g).totals.peak_activation_bytes).toBe(128);
  });
});
