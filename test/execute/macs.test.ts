/**
 * The proof that execute mode does the work the static analysis counts: for every bundled model,
 * at a small input (64x64, which every classic model accepts thanks to adaptive pooling; the
 * lecture examples at their own size), batch 1, every layer's executed output shape equals its
 * static shape (checked by execute itself) and the kernels' multiply-accumulate counter equals
 * the static MACs exactly. Weights are zeros: counts do not depend on values.
 * alexnet_paper has no adaptive pooling (its classifier fixes the input at 227x227): it runs at 227.
 */
import { describe, expect, it } from 'vitest';
import { execute, staticMacs } from '../../src/execute/execute.js';
import { tensor } from '../../src/kernels/tensor.js';
import { analyze, bundledModels, loadBundled } from '../../src/index.js';
import { zeroWeights } from './helpers.js';

describe('executed MACs equal the static MACs for every bundled model', () => {
  for (const m of bundledModels()) {
    const small = m.family !== 'lecture' && m.name !== 'alexnet_paper';
    it(`${m.name}${small ? ' at 64x64' : ''}`, () => {
      const graph = loadBundled(m.name, small ? { input: [3, 64, 64] } : {});
      const input = tensor([1, ...graph.inputShape]);
      const r = execute(graph, { weights: zeroWeights(graph), input });
      const expected = graph.nodes.reduce((sum, n) => (n.id === 0 ? sum : sum + n.layer.cost(n.inputShapes, n.outputShape, n.args).macs), 0);
      expect(r.macs).toBe(expected);
      expect(r.macs).toBe(staticMacs(graph));
      expect(r.macs).toBe(analyze(graph).totals.macs);
      expect(r.layers.reduce((sum, l) => sum + l.macs, 0)).toBe(r.macs);
      expect(r.outputs.map((o) => o.tensor.shape)).toEqual(graph.outputs.map((id) => [1, ...graph.nodes[id]!.outputShape]));
    });
  }

  it('scales with the batch', () => {
    const graph = loadBundled('resnet18', { input: [3, 32, 32] });
    const r = execute(graph, { weights: zeroWeights(graph), input: tensor([3, 3, 32, 32]) });
    expect(r.macs).toBe(3 * staticMacs(graph));
  });
});
