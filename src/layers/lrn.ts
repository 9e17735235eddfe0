/**
 * lrn: local response normalization across channels (PyTorch's nn.LocalResponseNorm, AlexNet's LRN).
 * Input [C, H, W], output of the same shape; no tensors.
 *
 *   b_c = a_c / (k + alpha/size * sum of a_c'^2 over the `size` channels around c)^beta
 */
import { int, number } from './args.js';
import { numel, requireFeatureMap, type LayerKind } from './kind.js';

export interface LrnArgs {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
}

export const lrn: LayerKind<LrnArgs> = {
  kind: 'lrn',
  summary: 'local response normalization across channels (nn.LocalResponseNorm)',
  arity: { min: 1, max: 1 },
  args: {
    size: int({ doc: 'number of neighbouring channels in the sum' }),
    alpha: number({ default: 1e-4, doc: 'scale of the sum of squares' }),
    beta: number({ default: 0.75, doc: 'exponent' }),
    k: number({ default: 1, doc: 'additive constant' }),
  },
  resolve(raw, inputs) {
    // PyTorch's local_response_norm needs at least [N, C, L]; the 2-D layer in a CNN sees [C, H, W].
    requireFeatureMap('lrn', inputs[0]!);
    // Each value was checked and defaulted by `args` already.
    return raw as unknown as LrnArgs;
  },
  outputShape(inputs) {
    return inputs[0]!;
  },
  tensors() {
    return [];
  },
  cost(inputs, _output, a) {
    // Per element, as PyTorch computes it: 1 square (each square is computed once and shared by
    // the `size` windows that contain it), size - 1 adds for the window sum (zero padding at the
    // channel ends included), then 1 multiply by alpha/size, 1 add of k, 1 pow and 1 divide.
    return { macs: 0, flops: numel(inputs[0]!) * (a.size + 4) };
  },
  receptiveField() {
    // It mixes channels only: in space each output sees its own position.
    return { type: 'pointwise' };
  },
};
