/**
 * The registry of layer kinds. Adding a kind (CONTRIBUTING.md): write its file in this folder,
 * import it and list it in `all` below, write its test and its reference fixture, and run
 * `npm run docs` (test/layers/index.test.ts checks that files, registry and docs agree).
 */
import type { AnyLayerKind } from './kind.js';
import { adaptive_avgpool } from './adaptive_avgpool.js';
import { add } from './add.js';
import { avgpool } from './avgpool.js';
import { batchnorm } from './batchnorm.js';
import { concat } from './concat.js';
import { conv } from './conv.js';
import { dropout } from './dropout.js';
import { flatten } from './flatten.js';
import { global_avgpool } from './global_avgpool.js';
import { identity } from './identity.js';
import { linear } from './linear.js';
import { lrn } from './lrn.js';
import { maxpool } from './maxpool.js';
import { relu } from './relu.js';
import { relu6 } from './relu6.js';
import { softmax } from './softmax.js';
// The vocabulary of modern CNNs (MobileNet v3, EfficientNet, RegNet-Y, ShuffleNet v2): activations, gating, channel moves.
import { hardswish } from './hardswish.js';
import { hardsigmoid } from './hardsigmoid.js';
import { sigmoid } from './sigmoid.js';
import { silu } from './silu.js';
import { gelu } from './gelu.js';
import { leaky_relu } from './leaky_relu.js';
import { tanh } from './tanh.js';
import { mul } from './mul.js';
import { stochastic_depth } from './stochastic_depth.js';
import { channel_shuffle } from './channel_shuffle.js';
import { channel_slice } from './channel_slice.js';
// The vocabulary of modern CNNs (issue 11): normalizations, ConvNeXt's pieces, decoders.
import { layernorm } from './layernorm.js';
import { groupnorm } from './groupnorm.js';
import { layer_scale } from './layer_scale.js';
import { channel_linear } from './channel_linear.js';
import { conv_transpose } from './conv_transpose.js';
import { upsample } from './upsample.js';

export * from './kind.js';

// AnyLayerKind: each kind has its own argument type, which only that kind reads.
const all: readonly AnyLayerKind[] = [
  conv,
  linear,
  maxpool,
  avgpool,
  adaptive_avgpool,
  global_avgpool,
  batchnorm,
  lrn,
  relu,
  relu6,
  dropout,
  flatten,
  softmax,
  identity,
  add,
  concat,
  hardswish,
  hardsigmoid,
  sigmoid,
  silu,
  gelu,
  leaky_relu,
  tanh,
  mul,
  stochastic_depth,
  channel_shuffle,
  channel_slice,
  layernorm,
  groupnorm,
  layer_scale,
  channel_linear,
  conv_transpose,
  upsample,
];

export const layerKinds: Readonly<Record<string, AnyLayerKind>> = Object.freeze(Object.fromEntries(all.map((k) => [k.kind, k])));

/** The kind called `name`, or undefined. Own keys only, so `constructor` or `toString` is not a kind. */
export function findKind(name: string): AnyLayerKind | undefined {
  return Object.hasOwn(layerKinds, name) ? layerKinds[name] : undefined;
}
