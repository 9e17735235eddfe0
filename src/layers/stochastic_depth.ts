/**
 * stochastic_depth: drops a residual branch at random during training (torchvision.ops.
 * StochasticDepth, as EfficientNet and ConvNeXt use it before the residual add). Any shape; no
 * tensors.
 */
import { choice, number } from './args.js';
import { elementwise } from './elementwise.js';
import { single } from './onnx.js';

export interface StochasticDepthArgs {
  readonly p: number;
  readonly mode: 'batch' | 'row';
}

export const stochastic_depth = elementwise<StochasticDepthArgs>({
  kind: 'stochastic_depth',
  summary: 'random dropping of a residual branch during training, identity at inference (torchvision.ops.StochasticDepth)',
  display: { category: 'regularization', detail: (a) => `p${a.p} ${a.mode}` },
  // Both required, as torchvision's constructor requires them; kept for the description only.
  args: {
    p: number({ min: 0, max: 1, doc: 'probability of zeroing the input (of replacing the branch by 0)' }),
    mode: choice({ values: ['batch', 'row'] as const, doc: '"batch": one draw for the whole batch; "row": one draw per sample' }),
  },
  // Counts are for inference, where it is the identity: stated as 0, not forgotten.
  flopsPerElement: 0,
  /** Identity: what it is at inference (an eval-mode torch export drops it; this keeps the layer and its name). */
  onnx(e) {
    single(e, 'Identity');
  },
  docs: { flops: '0: the identity at inference' },
  /** Inference mode: the identity (a copy; outputs never alias inputs). */
  map(src, dst) {
    dst.set(src);
  },
});
