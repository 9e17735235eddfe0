/**
 * The registry of layer kinds. Adding a kind (CONTRIBUTING.md): write its file in this folder,
 * import it and list it in `all` below, write its test and its reference fixture, and run
 * `npm run docs` (test/layers/index.test.ts checks that files, registry and docs agree).
 */
import type { LayerKind } from './kind.js';
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
// The vocabulary of modern CNNs (issue 11): normalizations, ConvNeXt's pieces, decoders.
import { layernorm } from './layernorm.js';
import { groupnorm } from './groupnorm.js';
import { layer_scale } from './layer_scale.js';
import { channel_linear } from './channel_linear.js';
import { conv_transpose } from './conv_transpose.js';
import { upsample } from './upsample.js';

export * from './kind.js';

// LayerKind<any>: each kind has its own argument type, which only that kind reads.
const all: readonly LayerKind<any>[] = [
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
  layernorm,
  groupnorm,
  layer_scale,
  channel_linear,
  conv_transpose,
  upsample,
];

export const layerKinds: Readonly<Record<string, LayerKind<any>>> = Object.freeze(Object.fromEntries(all.map((k) => [k.kind, k])));

/** The kind called `name`, or undefined. Own keys only, so `constructor` or `toString` is not a kind. */
export function findKind(name: string): LayerKind<any> | undefined {
  return Object.hasOwn(layerKinds, name) ? layerKinds[name] : undefined;
}
