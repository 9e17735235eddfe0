/**
 * dropout: zeroes elements at random during training (PyTorch's nn.Dropout). Any shape; no tensors.
 */
import { number } from './args.js';
import type { LayerKind } from './kind.js';

export interface DropoutArgs {
  readonly p: number;
}

export const dropout: LayerKind<DropoutArgs> = {
  kind: 'dropout',
  summary: 'random zeroing during training, identity at inference (nn.Dropout)',
  arity: { min: 1, max: 1 },
  display: { category: 'regularization' },
  args: {
    // p = 1 would zero everything: no use in a description, so it is refused.
    p: number({ default: 0.5, min: 0, max: 1, exclusiveMax: true, doc: 'probability of zeroing an element' }),
  },
  resolve(raw) {
    // Each value was checked and defaulted by `args` already.
    return raw as unknown as DropoutArgs;
  },
  outputShape(inputs) {
    return inputs[0]!;
  },
  tensors() {
    return [];
  },
  cost() {
    // Counts are for inference, where dropout is the identity: stated as 0, not forgotten.
    return { macs: 0, flops: 0 };
  },
  receptiveField() {
    return { type: 'pointwise' };
  },
  /** Inference mode: the identity (a copy; outputs never alias inputs). */
  forward([x], _a, _w, ctx) {
    const y = ctx.alloc(x!.shape);
    y.data.set(x!.data);
    return y;
  },
};
