/**
 * Multiply-accumulates and floating-point operations, per layer and in total (docs/metrics.md).
 * Each kind states its own per-sample count (LayerKind.cost); here they are scaled by the batch.
 */
import type { LayerNode } from '../graph/graph.js';
import type { OpCount } from '../layers/kind.js';

export function layerOps(node: LayerNode, batch: number): OpCount {
  const c = node.layer.cost(node.inputShapes, node.outputShape, node.args);
  return { macs: c.macs * batch, flops: c.flops * batch };
}
