/**
 * The result of `cnnscope run` as data (`cnnscope.run/1`, schema/run.schema.json): what ran,
 * on what, the outputs (with the top K of a classifier), the MACs executed against the static
 * count, and the per-layer profile. Times vary run to run; everything else is deterministic.
 */
import type { Graph } from '../graph/graph.js';
import { staticMacs, type ExecuteResult } from './execute.js';
import type { Tensor } from '../kernels/tensor.js';
import type { OrtProfileRow } from './onnxruntime.js';

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
  /** Which engine ran the pass: cnnscope's own (the reference), or ONNX Runtime (`--engine onnxruntime`). */
  readonly engine: 'builtin' | 'onnxruntime';
  /** With onnxruntime: its version, and the time creating the session took (apart from time_ms, the pass). */
  readonly onnxruntime?: { readonly version: string; readonly session_ms: number };
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
  /** The pass ran in ONNX Runtime (execute/onnxruntime.ts): its version, session time and profile (the built-in engine's is `r.layers`). */
  readonly onnxruntime?: { readonly version: string; readonly sessionMs: number; readonly profile?: readonly OrtProfileRow[] };
}

export function runReport(graph: Graph, r: ExecuteResult, o: RunReportOptions): RunReport {
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  const rows = o.onnxruntime
    ? (o.onnxruntime.profile ?? [])
    : r.layers.map((l) => ({ name: l.node.name, kind: l.node.kind, ms: l.ms, macs: l.macs }));
  const profile = o.profile
    ? [...rows]
        .sort((a, b) => b.ms - a.ms)
        .map((l) => ({
          name: l.name,
          kind: l.kind,
          time_ms: round(l.ms),
          macs: l.macs,
          gmac_per_s: l.ms > 0 ? round(l.macs / l.ms / 1e6) : 0,
        }))
    : undefined;
  return {
    schema: RUN_SCHEMA,
    model: graph.name,
    input: { shape: [o.batch, ...graph.inputShape], source: o.input },
    weights: o.weights,
    threads: o.threads,
    engine: o.onnxruntime ? 'onnxruntime' : 'builtin',
    ...(o.onnxruntime ? { onnxruntime: { version: o.onnxruntime.version, session_ms: round(o.onnxruntime.sessionMs) } } : {}),
    outputs: r.outputs.map(({ node, tensor }) => ({
      name: node.name,
      shape: tensor.shape,
      ...(o.top !== undefined ? { top: topK(tensor, o.top) } : {}),
    })),
    macs: { executed: r.macs, static: staticMacs(graph) * o.batch },
    time_ms: round(r.ms),
    ...(r.nonFinite ? { non_finite: { layer: r.nonFinite.node.name, kind: r.nonFinite.node.kind } } : {}),
    ...(profile ? { profile, profile_total_ms: round(rows.reduce((t, l) => t + l.ms, 0)) } : {}),
  };
}

/**
 * What the text of `cnnscope run` shows beyond the JSON object, derived from it here so the text
 * only formats. Not part of the JSON (whose shape schema/run.schema.json fixes).
 */
export interface RunFigures {
  /** Executed MACs per second of the run's time, in units of 10^9 (GMAC/s). */
  readonly gmac_per_s: number;
  /** The top K of each output, one entry per sample, in output then sample order. */
  readonly top: readonly {
    readonly output: string;
    readonly sample: number;
    readonly samples: number;
    readonly entries: readonly TopEntry[];
  }[];
  /** With the profile: each profile entry's share of the profile's total time, in percent, in profile order. */
  readonly profile_shares?: readonly number[];
  /** With the profile: executed MACs per second of the profile's total time (GMAC/s). */
  readonly profile_gmac_per_s?: number;
}

export function runFigures(rep: RunReport): RunFigures {
  // A time of 0 (a trivial model on a fast clock) gives a large rate rather than a division by zero.
  const perMs = (ms: number) => Math.max(ms, 1e-9);
  const top: RunFigures['top'][number][] = [];
  for (const o of rep.outputs) {
    if (!o.top) continue;
    const bySample = new Map<number, TopEntry[]>();
    for (const t of o.top) {
      const list = bySample.get(t.sample);
      if (list) list.push(t);
      else bySample.set(t.sample, [t]);
    }
    for (let sample = 0; sample < bySample.size; sample++)
      top.push({ output: o.name, sample, samples: bySample.size, entries: bySample.get(sample) ?? [] });
  }
  const total = rep.profile_total_ms ?? 0;
  return {
    gmac_per_s: rep.macs.executed / perMs(rep.time_ms) / 1e6,
    top,
    ...(rep.profile
      ? {
          profile_shares: rep.profile.map((p) => (100 * p.time_ms) / perMs(total)),
          profile_gmac_per_s: rep.macs.executed / perMs(total) / 1e6,
        }
      : {}),
  };
}

/** The k largest values of each sample (over its flattened output), largest first; ties by index. NaN ranks last. */
export function topK(t: Tensor, k: number): TopEntry[] {
  const n = t.shape[0];
  const per = t.data.length / n;
  const out: TopEntry[] = [];
  for (let s = 0; s < n; s++) {
    const idx = Array.from({ length: per }, (_, i) => i);
    const v = (i: number) => {
      const x = t.data[s * per + i];
      return x !== x ? -Infinity : x;
    };
    idx.sort((a, b) => v(b) - v(a) || a - b);
    for (const index of idx.slice(0, Math.min(k, per))) out.push({ sample: s, index, value: t.data[s * per + index] });
  }
  return out;
}
