/**
 * The initialization conv and linear share (nn.Conv2d and nn.Linear reset_parameters), with
 * fan_in = in/groups * prod(kernel), the elements of one output's slice of the `weight`.
 */
import { numel, type TensorSpec, type WeightInit } from './kind.js';

function fanIn(tensors: readonly TensorSpec[]): number {
  const weight = tensors.find((t) => t.name === 'weight');
  if (!weight) throw new Error('fanIn: the layer has no weight');
  return numel(weight.shape.slice(1));
}

export const fanInInit: WeightInit = {
  /** weight: kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias: the same bound. */
  pytorch(_t, tensors) {
    return { uniform: 1 / Math.sqrt(fanIn(tensors)) };
  },
  /** weight U(+-sqrt(6/fan_in)) (He-uniform: activations keep their scale), bias U(+-1/sqrt(fan_in)). */
  synthetic(t, tensors) {
    const f = fanIn(tensors);
    return { uniform: t.name === 'weight' ? Math.sqrt(6 / f) : 1 / Math.sqrt(f) };
  },
};
