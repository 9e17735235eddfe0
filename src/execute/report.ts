/**
 * The result of `cnnscope run` as data (`cnnscope.run/1`, schema/run.schema.json): what ran,
 * on what, the outputs (with the top K of a classifier), the MACs executed against the static
 * count, and the per-layer profile. Times vary run to run; everything else is deterministic.
 */
import type { Graph } from '../graph/graph.js';
import { staticMacs, type ExecuteResult } from './execute.js';
import type { Tensor } from '../kernels/tensor.js';

export const RUN_SCHEMA = 'cnnscope.run/1';
export interface TopEntry {
  readonly sample: number;
  readonly index: number;
  readonly value: number;
}

export interface ProfileEntry {
  readonly name: string;
  readonly kind: string;
  readonly time_ms: number;
  readonly macs: number;
  readonly gmac_per_s: number;
}

/** The JSON object of `run --json`. Times vary run to run; everything else is deterministic. */
export interface RunReport {
  readonly schema: typeof RUN_SCHEMA;
  readonly model: string;
  readonly input: { readonly shape: readonly number[]; readonly source: string };
  readonly weights: string;
  readonly threads: number;
  readonly outputs: readonly { readonly name: string; readonly shape: readonly number[]; readonly top?: readonly TopEntry[] }[];
  readonly macs: { readonly executed: number; readonly static: number };
  readonly time_ms: number;
  readonly non_finite?: { readonly layer: string; readonly kind: string };
  readonly profile?: readonly ProfileEntry[];
  /** With the profile: the sum of the layers' times (the run's time also counts the scheduling between them). */
  readonly profile_total_ms?: number;
}

export interface RunReportOptions {
  readonly batch: number;
  readonly threads: number;
  readonly top: number | undefined;
  readonly input: string;
  readonly weights: string;
  readonly profile: boolean;
}

export function runReport(graph: Graph, r: ExecuteResult, o: RunReportOptions): RunReport {
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  const profile = o.profile
    ? [...r.layers]
        .sort((a, b) => b.ms - a.ms)
        .map((l) => ({ name: l.node.name, kind: l.node.kind, time_ms: round(l.ms), macs: l.macs, gmac_per_s: l.ms > 0 ? round(l.macs / l.ms / 1e6) : 0 }))
    : undefined;
  return {
    schema: RUN_SCHEMA,
    model: graph.name,
    input: { shape: [o.batch, ...graph.inputShape], source: o.input },
    weights: o.weights,
    threads: o.threads,
    outputs: r.outputs.map(({ node, tensor }) => ({
      name: node.name,
      shape: tensor.shape,
      ...(o.top !== undefined ? { top: topK(tensor, o.top) } : {}),
    })),
    macs: { executed: r.macs, static: staticMacs(graph) * o.batch },
    time_ms: round(r.ms),
    ...(r.nonFinite ? { non_finite: { layer: r.nonFinite.node.name, kind: r.nonFinite.node.kind } } : {}),
    ...(profile ? { profile, profile_total_ms: round(r.layers.reduce((t, l) => t + l.ms, 0)) } : {}),
  };
}

/** The k largest values of each sample (over its flattened output), largest first; ties by index. NaN ranks last. */
export function topK(t: Tensor, k: number): TopEntry[] {
  const n = t.shape[0]!;
  const per = t.data.length / n;
  const out: TopEntry[] = [];
  for (let s = 0; s < n; s++) {
    const idx = Array.from({ length: per }, (_, i) => i);
    const v = (i: number) => {
      const x = t.data[s * per + i]!;
      return x !== x ? -Infinity : x;
    };
    idx.sort((a, b) => v(b) - v(a) || a - b);
    for (const index of idx.slice(0, Math.min(k, per))) out.push({ sample: s, index, value: t.data[s * per + index]! });
  }
  return out;
}
