/**
 * The fast engine's plan (src/execute/plan.ts) against the reference path (every layer's own
 * forward), on the same wasm GEMM: every tiny net (together every layer kind), odd shapes for
 * the fused convolution (padding, stride, dilation, groups, residual, relu), and the fusion
 * itself. Folding batchnorm changes the rounding only: the bound is 1e-5 (relativeError).
 */
import { describe, expect, it } from 'vitest';
import { execute } from '../../src/execute/execute.js';
import { LocalContext } from '../../src/execute/context.js';
import { buildPlan } from '../../src/execute/plan.js';
import { syntheticWeights } from '../../src/execute/weights.js';
import { buildGraph, loadBundled } from '../../src/index.js';
import { relativeError, tensor, type Tensor } from '../../src/kernels/tensor.js';
import type { Graph } from '../../src/graph/graph.js';
import { randomArray, rng, tinyGraph, tinyNets, tinyWeights } from './helpers.js';

const TOLERANCE = 1e-5;

function both(graph: Graph, weights: ReturnType<typeof syntheticWeights>, input: Tensor) {
  const ctx = new LocalContext();
  const ref = execute(graph, { weights, input, context: ctx, engine: 'reference' });
  const fast = execute(graph, { weights, input, context: new LocalContext(), engine: 'plan' });
  return { ref, fast };
}

describe('the plan', () => {
  for (const net of tinyNets) {
    it(`matches the reference path on ${net.name}`, () => {
      const graph = tinyGraph(net);
      const input: Tensor = { shape: net.input_shape, data: Float32Array.from(net.input) };
      const { ref, fast } = both(graph, tinyWeights(graph, net), input);
      expect(fast.macs).toBe(ref.macs);
      expect(fast.layers.map((l) => l.node.id)).toEqual([...ref.layers.map((l) => l.node.id)].sort((a, b) => a - b));
      for (let i = 0; i < ref.outputs.length; i++)
        expect(relativeError(fast.outputs[i].tensor.data, ref.outputs[i].tensor.data)).toBeLessThan(TOLERANCE);
    });
  }

  // Odd sizes: channels not multiples of the 4x8 tile, rectangular inputs, every epilogue.
  const odd = `name: odd
input: [5, 13, 11]
layers:
  - conv: {name: c1, out: 8, kernel: 3, padding: 1, bias: false}
  - batchnorm: {name: b1}
  - relu: {name: r1}
  - conv: {name: c2, out: 10, kernel: [3, 5], stride: [2, 1], padding: [2, 1], dilation: [2, 1]}
  - batchnorm: {name: b2}
  - conv: {name: c3, out: 9, kernel: 3, padding: 1, groups: 1, inputs: [r1]}
  - conv: {name: c4, out: 10, kernel: 3, stride: [2, 1], padding: [1, 1], dilation: [1, 2], inputs: [c3]}
  - add: {name: a, inputs: [b2, c4]}
  - relu: {name: r2}
  - conv: {name: g, out: 6, kernel: 3, padding: 1, groups: 2}
  - batchnorm: {name: b3}
  - relu: {name: r3}
  - conv: {name: d, out: 6, kernel: 3, padding: 1, groups: 6}
  - conv: {name: p, out: 3, kernel: 1}
  - batchnorm: {name: b4}
  - batchnorm: {name: b5}
  - relu: {name: r5}
  - conv: {name: q, out: 5, kernel: 3, padding: 1, groups: 1}
  - maxpool: {name: m, kernel: 3, stride: 2, padding: 1, ceil: true}
  - batchnorm: {name: b6}
  - conv: {name: z, out: 4, kernel: 1}
`;
  it('matches the reference path on odd shapes, at batch 1 and 3', () => {
    const graph = buildGraph(odd, { file: 'odd.yaml' });
    const weights = syntheticWeights(graph, 7);
    for (const n of [1, 3]) {
      const input = tensor([n, 5, 13, 11], randomArray(n * 5 * 13 * 11, rng(n)));
      const { ref, fast } = both(graph, weights, input);
      expect(fast.macs).toBe(ref.macs);
      expect(relativeError(fast.outputs[0].tensor.data, ref.outputs[0].tensor.data)).toBeLessThan(TOLERANCE);
    }
    // The add joins the first conv branch in graph order (c2), the other (c4) its residual; the
    // step runs where its last layer was. c3, c4 and the depthwise d stand alone; b5+r5 and b6
    // (pre-activations no epilogue took) are applied as q's and z's B is packed.
    const plan = buildPlan(graph, weights, (k) => new Float32Array(k));
    expect(plan.steps.map((s) => s.nodes.map((x) => x.name).join('+'))).toEqual([
      'c1+b1+r1',
      'c3',
      'c4',
      'c2+b2+a+r2',
      'g+b3+r3',
      'd',
      'p+b4',
      'b5+r5+q',
      'm',
      'b6+z',
    ]);
  });

  // A linear layer runs as a packed GEMM (weights packed at build): K above one slice of the
  // kernel (256), out not a multiple of the tile, with and without bias, batch 1 and 3.
  it('runs linear layers on the packed GEMM, matching the reference at batch 1 and 3', () => {
    const graph = buildGraph(
      `name: lin
input: [7, 7, 7]
layers:
  - flatten: {name: f}
  - linear: {name: l1, out: 37}
  - relu: {name: r}
  - linear: {name: l2, out: 11, bias: false}
`,
      { file: 'lin.yaml' },
    );
    const weights = syntheticWeights(graph, 9);
    const plan = buildPlan(graph, weights, (n) => new Float32Array(n));
    expect(plan.packedFloats).toBeGreaterThanOrEqual(37 * 343 + 11 * 37);
    for (const batch of [1, 3]) {
      const input = tensor([batch, 7, 7, 7], randomArray(batch * 343, rng(batch)));
      const { ref, fast } = both(graph, weights, input);
      expect(fast.macs).toBe(ref.macs);
      expect(relativeError(fast.outputs[0].tensor.data, ref.outputs[0].tensor.data)).toBeLessThan(1e-6);
    }
  });

  it('fuses ResNet-18 into conv steps, one per conv', () => {
    const graph = loadBundled('resnet18', { input: [3, 32, 32] });
    const plan = buildPlan(graph, syntheticWeights(graph, 1), (k) => new Float32Array(k));
    const convs = graph.nodes.filter((n) => n.kind === 'conv').length;
    expect(plan.steps.filter((s) => s.nodes[0].kind === 'conv')).toHaveLength(convs);
    expect(plan.steps.some((s) => s.nodes.map((x) => x.kind).join('+') === 'conv+batchnorm+add+relu')).toBe(true);
    expect(
      graph.nodes
        .filter((n) => n.kind === 'batchnorm' || n.kind === 'relu' || n.kind === 'add')
        .every((n) => plan.steps.some((s) => s.nodes.includes(n) && s.nodes[0].kind === 'conv')),
    ).toBe(true);
  });

  it('checks every layer for NaN on request, and names the first bad layer either way', () => {
    const graph = buildGraph(odd, { file: 'odd.yaml' });
    const weights = new Map(syntheticWeights(graph, 7));
    const c3 = graph.nodes.find((x) => x.name === 'c3')!;
    const w = { ...weights.get(c3.id)!, weight: weights.get(c3.id)!['weight'].slice() };
    w['weight'][0] = NaN;
    weights.set(c3.id, w);
    const input = tensor([1, 5, 13, 11], randomArray(5 * 13 * 11, rng(1)));
    for (const checkFinite of ['outputs', 'layers'] as const) {
      const r = execute(graph, { weights, input, context: new LocalContext(), checkFinite });
      expect(r.nonFinite?.node.name).toBe('c3');
    }
  });
});
