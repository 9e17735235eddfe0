/** The memory estimate of a run, checked by hand on small models. */
import { describe, expect, it } from 'vitest';
import { GEMM_SCRATCH_BYTES } from '../../src/kernels/gemm.js';
import { estimateMemory } from '../../src/execute/memory.js';
import { buildGraph } from '../../src/index.js';

describe('estimateMemory', () => {
  it('is the peak of live activations under the schedule, plus weights and scratch', () => {
    // input [2,8,8] (128) -> conv a [4,8,8] (256) -> relu b (256) -> add(a, b) (256).
    // Live: input 128; +a 384, input freed -> 256; +b 512; +add 768, a and b freed.
    const graph = buildGraph(
      'name: t\ninput: [2, 8, 8]\nlayers:\n  - conv: {name: a, out: 4, kernel: 3, padding: 1}\n  - relu: {name: b}\n  - add: {inputs: [a, b]}\n',
      { file: 't.yaml' },
    );
    const e = estimateMemory(graph, 1);
    expect(e.activations).toBe(768 * 4);
    expect(e.weights).toBe((4 * 2 * 9 + 4) * 4);
    // im2col of the 3x3 conv: K = 2*9 rows, P = 64 columns.
    expect(e.scratch).toBe(18 * 64 * 4 + GEMM_SCRATCH_BYTES);
    // The plan's packed weights: Cout rounded up to the kernel's 4 rows, times K, plus the bias.
    expect(e.plan).toBe((4 * 18 + 4) * 4);
    expect(e.total).toBe(e.activations + e.weights + e.scratch + e.plan);
    expect(e.largestBuffer).toBe(18 * 64);
    // The batch scales activations only; each thread adds its GEMM packs.
    const b4 = estimateMemory(graph, 4, 3);
    expect(b4.activations).toBe(4 * 768 * 4);
    expect(b4.weights).toBe(e.weights);
    expect(b4.scratch).toBe(18 * 64 * 4 + 3 * GEMM_SCRATCH_BYTES);
  });

  it('needs no im2col for a 1x1 stride-1 convolution', () => {
    const graph = buildGraph('name: t\ninput: [16, 4, 4]\nlayers:\n  - conv: {out: 8, kernel: 1, bias: false}\n', { file: 't.yaml' });
    expect(estimateMemory(graph, 1).scratch).toBe(GEMM_SCRATCH_BYTES);
  });
});
