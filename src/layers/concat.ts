/**
 * concat: joins inputs along the channel axis (torch.cat(xs, dim=1) with the batch), as Inception
 * and DenseNet do. All inputs are [C, H, W] with equal H and W, or all flat [F]. No tensors.
 */
import { LayerError, formatShape, type LayerKind } from './kind.js';
import { attr, single } from './onnx.js';

export const concat: LayerKind<Record<string, never>> = {
  kind: 'concat',
  summary: 'joins inputs along the channels (torch.cat on dim 1)',
  arity: { min: 2, max: Infinity },
  display: { category: 'concat' },
  args: {},
  resolve(_raw, inputs) {
    const first = inputs[0];
    inputs.forEach((shape, i) => {
      // Inputs are numbered from 1, as the user reads them in the `inputs` list.
      if (shape.length !== 1 && shape.length !== 3) {
        throw new LayerError(`input ${i + 1} has shape ${formatShape(shape)}: concat expects feature maps [C, H, W] or flat features [F]`);
      }
      if (shape.length !== first.length) {
        throw new LayerError(
          `input ${i + 1} has shape ${formatShape(shape)}, input 1 has ${formatShape(first)}: concat needs all feature maps [C, H, W] or all flat [F]`,
        );
      }
      if (shape.length === 3 && (shape[1] !== first[1] || shape[2] !== first[2])) {
        throw new LayerError(
          `input ${i + 1} has spatial size ${shape[1]}x${shape[2]}, input 1 has ${first[1]}x${first[2]}: concat needs equal height and width`,
        );
      }
    });
    return {};
  },
  outputShape(inputs) {
    const channels = inputs.reduce((sum, shape) => sum + shape[0], 0);
    return [channels, ...inputs[0].slice(1)];
  },
  tensors() {
    return [];
  },
  cost() {
    // A copy into one buffer: no arithmetic.
    return { macs: 0, flops: 0 };
  },
  receptiveField() {
    // Pointwise along each input; the analysis combines the paths.
    return { type: 'pointwise' };
  },
  /**
   * Along axis 1: for each sample n, the inputs' blocks x_t[n] (C_t*inner contiguous floats,
   * inner = H*W, or 1 for flat features) are copied one after the other into y[n].
   */
  forward(xs, _a, _w, ctx) {
    const first = xs[0].shape;
    const n = first[0];
    const inner = first.slice(2).reduce((p, d) => p * d, 1);
    const channels = xs.reduce((sum, x) => sum + x.shape[1], 0);
    const y = ctx.alloc([n, channels, ...first.slice(2)]);
    let dst = 0;
    for (let s = 0; s < n; s++) {
      for (const x of xs) {
        const block = x.shape[1] * inner;
        y.data.set(x.data.subarray(s * block, (s + 1) * block), dst);
        dst += block;
      }
    }
    return y;
  },
  /** Concat along axis 1, the channels. */
  onnx(e) {
    single(e, 'Concat', { axis: attr.int(1) });
  },
  docs: {
    shapes: '`[C1, H, W]`, `[C2, H, W]`, ... to `[C1 + C2 + ..., H, W]`; or flat `[F1]`, `[F2]`, ... to `[F1 + F2 + ...]`',
    flops: '0: a copy',
  },
};
