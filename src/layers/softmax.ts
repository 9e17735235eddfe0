/**
 * softmax: exp(x_i) / sum_j exp(x_j) over the features of [F], or over the channels of [C, H, W]
 * at each position (PyTorch's nn.Softmax(dim=1) with the batch). Output has the input's shape; no tensors.
 */
import { numel, type LayerKind } from './kind.js';

export const softmax: LayerKind<Record<string, never>> = {
  kind: 'softmax',
  summary: 'softmax over features, or over channels at each position (nn.Softmax(dim=1))',
  arity: { min: 1, max: 1 },
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
    // 3 per element: 1 exp, 1 add into the sum (n - 1 adds per sum, rounded up to n), 1 divide.
    // The max subtracted for numerical stability is not counted.
    return { macs: 0, flops: 3 * numel(inputs[0]!) };
  },
  receptiveField(inputs) {
    // Over flat features every output depends on all of them; over channels, space is untouched.
    return inputs[0]!.length === 1 ? { type: 'global' } : { type: 'pointwise' };
  },
};
