/**
 * Parameter counts as PyTorch reports them: `params` are the elements of `model.parameters()`
 * (weights, biases, batchnorm's affine scale and shift), all trainable here; `buffers` are the
 * elements of `model.buffers()` (batchnorm's running mean and variance and its
 * `num_batches_tracked` counter), saved in the state_dict but never trained.
 */
import type { LayerNode } from '../graph/graph.js';
import { numel } from '../layers/kind.js';

export interface ParamCount {
  readonly params: number;
  readonly trainable: number;
  readonly buffers: number;
}

export function layerParams(node: LayerNode): ParamCount {
  let params = 0;
  let buffers = 0;
  for (const t of node.tensors) {
    if (t.role === 'parameter') params += numel(t.shape);
    else buffers += numel(t.shape);
  }
  // Every parameter a layer kind declares is trainable; freezing is not part of the format yet.
  return { params, trainable: params, buffers };
}
