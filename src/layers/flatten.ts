/**
 * flatten: [C, H, W] to [C*H*W] (PyTorch's nn.Flatten, or torch.flatten(x, 1)). Any shape; no tensors.
 */
import { numel, type LayerKind } from './kind.js';
import { attr, single } from './onnx.js';

export const flatten: LayerKind<Record<string, never>> = {
  kind: 'flatten',
  summary: 'flatten to one axis of features (nn.Flatten)',
  arity: { min: 1, max: 1 },
  display: { category: 'reshape' },
  args: {},
  resolve() {
    return {};
  },
  outputShape(inputs) {
    return [numel(inputs[0])];
  },
  tensors() {
    return [];
  },
  cost() {
    // A view of the same memory: no arithmetic.
    return { macs: 0, flops: 0 };
  },
  receptiveField() {
    // Each output element is one input element, moved.
    return { type: 'pointwise' };
  },
  /** [N, ...] to [N, prod(...)]: NCHW is already C-major per sample, so the data is copied as it is. */
  forward([x], _a, _w, ctx) {
    const n = x.shape[0];
    const y = ctx.alloc([n, x.data.length / n]);
    y.data.set(x.data);
    return y;
  },
  /** Flatten from axis 1, torch.flatten(x, 1). */
  onnx(e) {
    single(e, 'Flatten', { axis: attr.int(1) });
  },
  docs: {
    shapes: '`[C, H, W]` to `[C*H*W]`',
    flops: '0: a view',
  },
};
