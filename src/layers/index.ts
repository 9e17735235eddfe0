/**
 * The registry of layer kinds. Adding a kind: write its file in this folder, list it in `all`
 * below, and write its test (test/layers/index.test.ts checks that files and registry agree).
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
import { softmax } from './softmax.js';

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
  dropout,
  flatten,
  softmax,
  identity,
  add,
  concat,
];

export const layerKinds: Readonly<Record<string, LayerKind<any>>> = Object.freeze(Object.fromEntries(all.map((k) => [k.kind, k])));

/** The kind called `name`, or undefined. Own keys only, so `constructor` or `toString` is not a kind. */
export function findKind(name: string): LayerKind<any> | undefined {
  return Object.hasOwn(layerKinds, name) ? layerKinds[name] : undefined;
}

/**
 * Kind names close to `name`, for "did you mean" messages: within Levenshtein distance 2 (1 for
 * names of 3 letters or fewer, where 2 edits would match unrelated kinds: `con` is not `lrn`), or
 * one a prefix of the other with at least 3 letters in common (`conv2d` -> `conv`, `max` -> `maxpool`).
 * Case is ignored. Sorted by distance, then by name.
 */
export function closeKinds(name: string): string[] {
  const wanted = name.toLowerCase();
  const maxDistance = wanted.length <= 3 ? 1 : 2;
  const prefix = (kind: string) => Math.min(kind.length, wanted.length) >= 3 && (kind.startsWith(wanted) || wanted.startsWith(kind));
  return Object.keys(layerKinds)
    .map((kind) => ({ kind, distance: levenshtein(wanted, kind) }))
    .filter(({ kind, distance }) => distance <= maxDistance || prefix(kind))
    .sort((a, b) => a.distance - b.distance || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0))
    .map(({ kind }) => kind);
}

/** Edit distance with unit-cost insertions, deletions and substitutions. */
function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
