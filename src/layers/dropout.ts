/**
 * dropout: zeroes elements at random during training (PyTorch's nn.Dropout). Any shape; no tensors.
 */
import { number } from './args.js';
import { elementwise } from './elementwise.js';

export interface DropoutArgs {
  readonly p: number;
}

export const dropout = elementwise<DropoutArgs>({
  kind: 'dropout',
  summary: 'random zeroing during training, identity at inference (nn.Dropout)',
  display: { category: 'regularization' },
  args: {
    // p = 1 would zero everything: no use in a description, so it is refused.
    p: number({ default: 0.5, min: 0, max: 1, exclusiveMax: true, doc: 'probability of zeroing an element' }),
  },
  // Counts are for inference, where dropout is the identity: stated as 0, not forgotten.
  flopsPerElement: 0,
  /** Dropout with its ratio as an input (opset 12 on); the identity at inference, as in PyTorch's eval mode. */
  onnx(e, a) {
    e.node('Dropout', [e.inputs[0], e.constant([a.p], 'float', [])], {}, e.output);
  },
  docs: { flops: '0: the identity at inference' },
  /** Inference mode: the identity (a copy; outputs never alias inputs). */
  map(src, dst) {
    dst.set(src);
  },
});
