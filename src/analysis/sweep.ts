/**
 * `cnnscope sweep`: the totals of a model over a grid of builds (input resolution, batch, any
 * parameter), and "what fits": the largest batch or resolution whose totals stay within bounds,
 * by bisection over exact integers. Pure: the caller builds the graph of a point (the front end),
 * these functions analyze it.
 */
import type { Value } from '../graph/expr-syntax.js';
import type { Graph } from '../graph/graph.js';
import { TOTALS, type Dtype, type Optimizer, type TotalName } from '../vocabulary.js';
import { analyze, AnalysisError, type Totals } from './report.js';

export const SWEEP_SCHEMA = 'cnnscope.sweep/1';

/** The totals a sweep reports per point: the numeric totals of `analyze`, in its order. */
export type SweepTotals = Readonly<Record<TotalName, number>>;

/** An axis: `resolution` (the input's height and width), `batch`, or a parameter of the file. */
export interface SweepAxis {
  readonly name: string;
  /** The values as written (`0.5`, `[1, 2]`), for display and the JSON. */
  readonly labels: readonly string[];
  /** The values as given to the build: numbers for resolution and batch, the parameter's value for a parameter. */
  readonly values: readonly Value[];
  readonly kind: 'resolution' | 'batch' | 'parameter';
}

/** Where a point sits: each axis's value index. */
export type PointIndex = readonly number[];

/** What the caller builds a point's graph from (the batch is an analysis option, not a build). */
export interface BuildPoint {
  readonly resolution?: number;
  readonly set: Readonly<Record<string, Value>>;
}

export interface SweepOptions {
  readonly dtype: Dtype;
  readonly optimizer: Optimizer;
}

export interface SweepRow {
  /** Each axis's value, by axis name, as labelled. */
  readonly point: Readonly<Record<string, string>>;
  readonly totals: SweepTotals;
}

/** The most points of a sweep: a grid beyond it is refused before anything is built. */
export const MAX_SWEEP_POINTS = 10_000;

/** A failure at one point, with the point named: `at resolution 64: file:3:5: error: ...`. */
export class SweepPointError extends Error {
  constructor(
    readonly where: string,
    override readonly cause: Error,
  ) {
    super(`at ${where}: ${cause.message}`);
  }
}

/** Every point of the grid, the last axis varying fastest. */
export function gridPoints(axes: readonly SweepAxis[]): PointIndex[] {
  let points: number[][] = [[]];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((_, i) => [...p, i]));
  return points;
}

/** `resolution 224, width 0.5` */
export function pointText(axes: readonly SweepAxis[], index: PointIndex): string {
  return axes.map((a, i) => `${a.name} ${a.labels[index[i]]}`).join(', ');
}

/**
 * Builds and analyzes a point; a graph is built once per point of the axes other than the batch.
 * Failures are rethrown as SweepPointError naming the point.
 */
export class PointAnalyzer {
  private readonly graphs = new Map<string, Graph>();
  constructor(
    private readonly build: (point: BuildPoint) => Graph,
    private readonly options: SweepOptions,
  ) {}

  totals(axes: readonly SweepAxis[], index: PointIndex): SweepTotals {
    const set: Record<string, Value> = {};
    let resolution: number | undefined;
    let batch = 1;
    const key: string[] = [];
    axes.forEach((axis, i) => {
      const value = axis.values[index[i]];
      if (axis.kind === 'batch') batch = value as number;
      else {
        key.push(`${axis.name}=${axis.labels[index[i]]}`);
        if (axis.kind === 'resolution') resolution = value as number;
        else set[axis.name] = value;
      }
    });
    try {
      const k = key.join('\n');
      let graph = this.graphs.get(k);
      if (!graph) {
        graph = this.build({ ...(resolution !== undefined ? { resolution } : {}), set });
        this.graphs.set(k, graph);
      }
      return pickTotals(analyze(graph, { batch, dtype: this.options.dtype, optimizer: this.options.optimizer }).totals);
    } catch (e) {
      if (e instanceof SweepPointError) throw e;
      throw new SweepPointError(pointText(axes, index), e instanceof Error ? e : new Error(String(e)));
    }
  }
}

function pickTotals(t: Totals): SweepTotals {
  return Object.fromEntries(TOTALS.map((k) => [k, t[k]])) as SweepTotals;
}

/** The totals at every point of the grid. */
export function sweep(axes: readonly SweepAxis[], analyzer: PointAnalyzer): SweepRow[] {
  return gridPoints(axes).map((index) => ({ point: labelsOf(axes, index), totals: analyzer.totals(axes, index) }));
}

function labelsOf(axes: readonly SweepAxis[], index: PointIndex): Record<string, string> {
  return Object.fromEntries(axes.map((a, i) => [a.name, a.labels[index[i]]]));
}

// ---- what fits ----------------------------------------------------------------------------------

/** `training_bytes<=24GiB`: an upper bound on a total. */
export interface FitBound {
  readonly metric: TotalName;
  readonly relation: '<=' | '<';
  readonly limit: number;
  /** As written, for messages: `training_bytes<=24GiB`. */
  readonly text: string;
}

export function holds(bound: FitBound, totals: SweepTotals): boolean {
  const v = totals[bound.metric];
  return bound.relation === '<=' ? v <= bound.limit : v < bound.limit;
}

/** The candidate values of the axis searched: an explicit list, or every integer of a range. */
export type FitCandidates = { readonly from: number; readonly to: number } | { readonly list: readonly number[] };

export interface FitAnswer {
  /** The values of the other axes. */
  readonly point: Readonly<Record<string, string>>;
  /** The largest value of the searched axis within every bound; null when even the smallest is not. */
  readonly largest: number | null;
  /** The totals at `largest`. */
  readonly totals: SweepTotals | null;
  /** The next candidate above `largest` (or the smallest, when none fits) and the bounds it breaks; null when every candidate fits. */
  readonly next: { readonly value: number; readonly totals: SweepTotals | null; readonly breaks: readonly string[] } | null;
  /** How many points were analyzed to find it. */
  readonly probes: number;
}

/**
 * For each point of `axes` (the axes other than the one searched), the largest candidate of the
 * searched axis (`batch` or `resolution`) whose totals satisfy every bound. Bisection: the totals
 * never decrease as the batch grows (each is a fixed part plus a per-sample part), nor, for the
 * networks of the zoo, as the resolution grows (every output size is a non-decreasing function of
 * the input size); a point whose figures can no longer be counted exactly (past 2^53) is over
 * every bound, since a bound is an exact integer.
 */
export function fit(
  axes: readonly SweepAxis[],
  over: 'batch' | 'resolution',
  candidates: FitCandidates,
  bounds: readonly FitBound[],
  analyzer: PointAnalyzer,
): FitAnswer[] {
  const count = 'list' in candidates ? candidates.list.length : candidates.to - candidates.from + 1;
  const valueAt = (i: number) => ('list' in candidates ? candidates.list[i] : candidates.from + i);
  return gridPoints(axes).map((index) => {
    let probes = 0;
    const probe = (i: number): SweepTotals | null => {
      probes++;
      const value = valueAt(i);
      const searched: SweepAxis = { name: over, kind: over, labels: [String(value)], values: [value] };
      try {
        return analyzer.totals([...axes, searched], [...index, 0]);
      } catch (e) {
        if (e instanceof SweepPointError && e.cause instanceof AnalysisError && /2\^53/.test(e.cause.message)) return null;
        throw e;
      }
    };
    const within = (t: SweepTotals | null) => t !== null && bounds.every((b) => holds(b, t));
    const broken = (t: SweepTotals | null) => (t === null ? ['figures past 2^53'] : bounds.filter((b) => !holds(b, t)).map((b) => b.text));
    const point = labelsOf(axes, index);
    const first = probe(0);
    if (!within(first)) {
      return { point, largest: null, totals: null, next: { value: valueAt(0), totals: first, breaks: broken(first) }, probes };
    }
    // Invariant: candidate lo fits, candidate hi (if < count) does not.
    let lo = 0;
    let loTotals = first!;
    let hi = count;
    let hiTotals: SweepTotals | null = null;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const t = probe(mid);
      if (within(t)) {
        lo = mid;
        loTotals = t!;
      } else {
        hi = mid;
        hiTotals = t;
      }
    }
    // hi < count only after a probe of hi failed: its totals (null past 2^53) are known.
    return {
      point,
      largest: valueAt(lo),
      totals: loTotals,
      next: hi < count ? { value: valueAt(hi), totals: hiTotals, breaks: broken(hiTotals) } : null,
      probes,
    };
  });
}

// ---- the report ---------------------------------------------------------------------------------

/** What `sweep` prints, in the shape of its JSON (schema/sweep.schema.json). */
export interface SweepReport {
  readonly schema: typeof SWEEP_SCHEMA;
  readonly model: string;
  readonly options: SweepOptions;
  /** The axes of the grid, outermost first (with `fit`, the axes other than the one searched). */
  readonly axes: readonly { readonly name: string; readonly values: readonly string[] }[];
  /** Without `fit`: the totals at every point of the grid. */
  readonly points?: readonly SweepRow[];
  readonly fit?: {
    readonly over: 'batch' | 'resolution';
    readonly bounds: readonly FitBound[];
    readonly answers: readonly FitAnswer[];
  };
}

export function sweepReport(
  model: string,
  axes: readonly SweepAxis[],
  options: SweepOptions,
  result: { readonly points: readonly SweepRow[] } | { readonly fit: NonNullable<SweepReport['fit']> },
): SweepReport {
  return {
    schema: SWEEP_SCHEMA,
    model,
    options: { dtype: options.dtype, optimizer: options.optimizer },
    axes: axes.map((a) => ({ name: a.name, values: [...a.labels] })),
    ...result,
  };
}
