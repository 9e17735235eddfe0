/**
 * The proof that execute mode does the work the static analysis counts: for every bundled model,
 * at a small input (64x64, which every classic model accepts thanks to adaptive pooling; the
 * lecture examples at their own size), batch 1, every layer's executed output shape equals its
 * static shape (checked by execute itself), the kernels' multiply-accumulate counter equals the
 * static MACs exactly, and the largest scratch a kernel asks for is what the memory estimate
 * counts. alexnet_paper has no adaptive pooling (its classifier fixes the input at 227x227): it
 * runs at 227. inception_v3 takes 75x75 at the least (torchvision's min_size): it runs at 75.
 *
 * The zoo runs with CountingContext (helpers.ts): every kernel but the matrix multiplies runs for
 * real, and each GEMM's sizes and views are checked against its buffers and counted, not computed
 * (the multiplies are 28 GMAC over the zoo; counts do not depend on values). A few models run with
 * the real context too, and must count the same.
 */
import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { execute, staticMacs } from '../../src/execute/execute.js';
import { estimateMemory } from '../../src/execute/memory.js';
import { analyze, bundledModels, loadBundled } from '../../src/index.js';
import { GEMM_SCRATCH_BYTES } from '../../src/kernels/gemm.js';
import { tensor } from '../../src/kernels/tensor.js';
import { CountingContext, zeroWeights } from './helpers.js';

/** The small input a classic model runs at: 64x64, or its smallest input when that is larger. */
const side = (name: string) => (name === 'inception_v3' ? 75 : 64);
const load = (name: string, family: string | undefined) =>
  loadBundled(name, family !== 'lecture' && name !== 'alexnet_paper' ? { input: [3, side(name), side(name)] } : {});

describe('executed MACs equal the static MACs for every bundled model', () => {
  for (const m of bundledModels()) {
    const small = m.family !== 'lecture' && m.name !== 'alexnet_paper';
    it(`${m.name}${small ? ` at ${side(m.name)}x${side(m.name)}` : ''}`, () => {
      const graph = load(m.name, m.family);
      const ctx = new CountingContext();
      const r = execute(graph, { weights: zeroWeights(graph), input: tensor([1, ...graph.inputShape]), context: ctx });
      const expected = graph.nodes.reduce(
        (sum, n) => (n.id === 0 ? sum : sum + n.layer.cost(n.inputShapes, n.outputShape, n.args).macs),
        0,
      );
      expect(r.macs).toBe(expected);
      expect(r.macs).toBe(staticMacs(graph));
      expect(r.macs).toBe(analyze(graph).totals.macs);
      expect(r.layers.reduce((sum, l) => sum + l.macs, 0)).toBe(r.macs);
      expect(r.outputs.map((o) => o.tensor.shape)).toEqual(graph.outputs.map((id) => [1, ...graph.nodes[id].outputShape]));
      expect(ctx.gemms).toBeGreaterThan(0);
      expect(ctx.maxScratch * 4).toBe(estimateMemory(graph, 1).scratch - GEMM_SCRATCH_BYTES);
    });
  }

  // Every lecture example but the 1.8 GMAC conv3x3_256, and GoogLeNet (branches, ceil-mode pooling, 1x1 convs).
  const real = bundledModels().filter((m) => (m.family === 'lecture' && m.name !== 'lecture/conv3x3_256') || m.name === 'googlenet');
  for (const m of real) {
    it(`${m.name} counts the same when its GEMMs run for real`, () => {
      const graph = load(m.name, m.family);
      const weights = zeroWeights(graph);
      const input = tensor([1, ...graph.inputShape]);
      const counted = execute(graph, { weights, input, context: new CountingContext() });
      const r = execute(graph, { weights, input, context: new LocalContext() });
      expect(r.macs).toBe(counted.macs);
      expect(r.layers.map((l) => l.macs)).toEqual(counted.layers.map((l) => l.macs));
    });
  }

  it('scales with the batch', () => {
    const graph = loadBundled('resnet18', { input: [3, 32, 32] });
    const r = execute(graph, { weights: zeroWeights(graph), input: tensor([3, 3, 32, 32]) });
    expect(r.macs).toBe(3 * staticMacs(graph));
    const counted = execute(graph, { weights: zeroWeights(graph), input: tensor([3, 3, 32, 32]), context: new CountingContext() });
    expect(counted.macs).toBe(r.macs);
  });
});

describe('CountingContext', () => {
  const ctx = new CountingContext();
  const m = (n: number, offset: number, rs: number, cs = 1) => ({ data: new Float32Array(n), offset, rs, cs });

  it('counts M*N*K for views that fit their buffers', () => {
    ctx.gemm(2, 3, 4, m(8, 0, 4), m(12, 0, 3), m(6, 0, 3), false);
    ctx.gemm(2, 3, 4, m(9, 1, 4), { data: new Float32Array(12), offset: 0, rs: 1, cs: 4 }, m(7, 1, 3), true);
    expect(ctx.macs).toBe(48);
  });

  it('refuses views beyond their buffers and C over A or B', () => {
    expect(() => ctx.gemm(2, 3, 4, m(7, 0, 4), m(12, 0, 3), m(6, 0, 3), false)).toThrow(/A 2x4 at 0 .* overruns its 7 floats/);
    expect(() => ctx.gemm(2, 3, 4, m(8, 0, 4), m(12, 0, 3), m(6, 1, 3), false)).toThrow(/C 2x3/);
    expect(() => ctx.gemm(2, 3, 1.5, m(8, 0, 4), m(12, 0, 3), m(6, 0, 3), false)).toThrow(/K = 1.5/);
    const shared = new Float32Array(20);
    expect(() =>
      ctx.gemm(2, 2, 2, { data: shared, offset: 0, rs: 2, cs: 1 }, m(4, 0, 2), { data: shared, offset: 2, rs: 2, cs: 1 }, false),
    ).toThrow(/C overlaps A/);
    ctx.gemm(2, 2, 2, { data: shared, offset: 0, rs: 2, cs: 1 }, m(4, 0, 2), { data: shared, offset: 4, rs: 2, cs: 1 }, false);
  });
});
