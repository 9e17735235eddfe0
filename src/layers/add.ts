/**
 * add: elementwise sum of two or more inputs of equal shape (a residual connection, `x + y` in PyTorch).
 * No broadcasting: the shapes must be identical. No tensors.
 */
import { LayerError, formatShape, numel, type LayerKind } from './kind.js';
import { single } from './onnx.js';

export const add: LayerKind<Record<string, never>> = {
  kind: 'add',
  summary: 'elementwise sum of inputs of equal shape (residual connections)',
  arity: { min: 2, max: Infinity },
  display: { category: 'arithmetic' },
  args: {},
  resolve(_raw, inputs) {
    const first = inputs[0];
    inputs.forEach((shape, i) => {
      if (shape.length !== first.length || shape.some((d, j) => d !== first[j])) {
        // Inputs are numbered from 1, as the user reads them in the `inputs` list.
        throw new LayerError(`input ${i + 1} has shape ${formatShape(shape)}, input 1 has ${formatShape(first)}: add needs equal shapes`);
      }
    });
    return {};
  },
  outputShape(inputs) {
    return inputs[0];
  },
  tensors() {
    return [];
  },
  cost(inputs, output) {
    // n inputs: n - 1 adds per element.
    return { macs: 0, flops: (inputs.length - 1) * numel(output) };
  },
  receptiveField() {
    // Pointwise along each input; the analysis combines the paths.
    return { type: 'pointwise' };
  },
  /** y = x_1 + x_2 + ... elementwise, summed in input order (float32 after each add, as chained torch adds). */
  forward(xs, _a, _w, ctx) {
    const y = ctx.alloc(xs[0].shape);
    const dst = y.data;
    dst.set(xs[0].data);
    for (let t = 1; t < xs.length; t++) {
      const src = xs[t].data;
      for (let i = 0; i < dst.length; i++) dst[i] += src[i];
    }
    return y;
  },
  /** Add of two inputs; Sum of more. */
  onnx(e) {
    single(e, e.inputs.length === 2 ? 'Add' : 'Sum');
  },
  docs: {
    shapes: 'two or more inputs of one shape (no broadcasting), the same shape out',
    flops: '`(n − 1)·E` for n inputs',
  },
};
