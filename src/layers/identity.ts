/**
 * identity: passes its input through unchanged (PyTorch's nn.Identity). Any shape; no tensors.
 */
import type { LayerKind } from './kind.js';

export const identity: LayerKind<Record<string, never>> = {
  kind: 'identity',
  summary: 'passes the input through (nn.Identity)',
  arity: { min: 1, max: 1 },
  display: { category: 'reshape' },
  args: {},
  resolve() {
    return {};
  },
  outputShape(inputs) {
    return inputs[0]!;
  },
  tensors() {
    return [];
  },
  cost() {
    return { macs: 0, flops: 0 };
  },
  receptiveField() {
    return { type: 'pointwise' };
  },
  /** A copy: outputs never alias inputs, so each tensor can be freed on its own. */
  forward([x], _a, _w, ctx) {
    const y = ctx.alloc(x!.shape);
    y.data.set(x!.data);
    return y;
  },
};
