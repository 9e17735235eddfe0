/**
 * relu: the rectified linear unit max(0, x) (PyTorch's nn.ReLU). Any shape; no tensors.
 */
import { numel, type LayerKind } from './kind.js';

export const relu: LayerKind<Record<string, never>> = {
  kind: 'relu',
  summary: 'rectified linear unit, max(0, x) (nn.ReLU)',
  arity: { min: 1, max: 1 },
  display: { category: 'activation' },
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
  cost(inputs) {
    // One max (a comparison) per element.
    return { macs: 0, flops: numel(inputs[0]!) };
  },
  receptiveField() {
    return { type: 'pointwise' };
  },
  /** y = max(0, x) elementwise; NaN stays NaN (as torch.relu). */
  forward([x], _a, _w, ctx) {
    const y = ctx.alloc(x!.shape);
    const src = x!.data;
    const dst = y.data;
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      dst[i] = v < 0 ? 0 : v;
    }
    return y;
  },
};
