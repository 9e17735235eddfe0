/**
 * The difference between two reports (`cnnscope diff`): totals side by side with their absolute and
 * relative change, and the layers (or folded rows) added, removed or changed, matched by name.
 * A pure function over two Reports; renderers (src/report/diff.ts) only format its result.
 *
 * `--fail-on` conditions (`params>+5%`, `macs>+1G`) are parsed and evaluated here too, so the
 * JSON output carries their outcome and the library can use them without the CLI.
 */
import type { Report } from './report.js';
import { parseQuantity, type CountUnit } from '../quantity.js';

export const DIFF_SCHEMA = 'cnnscope.diff/1';

/** The totals a diff compares, in the order it shows them; `layers` is the number of layers. */
export const DIFF_METRICS = [
  'layers',
  'params',
  'trainable_params',
  'buffers',
  'macs',
  'flops',
  'weight_bytes',
  'activation_bytes',
  'peak_activation_bytes',
  'training_bytes',
] as const;
export type DiffMetric = (typeof DIFF_METRICS)[number];

/** One figure on both sides. */
export interface Change {
  readonly a: number;
  readonly b: number;
  /** b − a, exact. */
  readonly change: number;
  /** (b − a) / a; 0 when both are 0; null when only a is 0 (no finite ratio). */
  readonly relative: number | null;
}

export interface DiffSide {
  /** How the side was asked for: the model argument and the options that make it differ (`resnet --set depth=101`). */
  readonly label: string;
  readonly model: string;
  readonly input: { readonly shape: readonly number[] };
  readonly options: Report['options'];
}

/** What a diff compares of a row (a layer, or a block with `--depth`). */
export interface RowFigures {
  readonly kind: string;
  readonly output_shape: readonly number[];
  readonly params: number;
  readonly macs: number;
  readonly flops: number;
}

/** The fields of RowFigures whose difference makes a row `changed`. */
export const COMPARED_FIELDS = ['kind', 'output_shape', 'params', 'macs', 'flops'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export type RowStatus = 'added' | 'removed' | 'changed';

export interface RowDiff {
  readonly status: RowStatus;
  readonly name: string;
  /** The row in A; absent when added. */
  readonly a?: RowFigures;
  /** The row in B; absent when removed. */
  readonly b?: RowFigures;
  /** The fields that differ (all of them for an added or removed row), in COMPARED_FIELDS order. */
  readonly changed: readonly ComparedField[];
  /** B − A, with a missing side counting as 0. */
  readonly delta: { readonly params: number; readonly macs: number; readonly flops: number };
}

export interface ConditionResult {
  /** The condition as written, normalized (`params>+5%`). */
  readonly condition: string;
  readonly metric: DiffMetric;
  readonly failed: boolean;
}

export interface Diff {
  readonly schema: typeof DIFF_SCHEMA;
  readonly a: DiffSide;
  readonly b: DiffSide;
  /** What `layers` holds: every layer, or the rows folded with `--depth`. */
  readonly rows: 'layers' | 'blocks';
  readonly totals: { readonly [M in DiffMetric]: Change };
  readonly summary: { readonly added: number; readonly removed: number; readonly changed: number; readonly unchanged: number };
  /** Rows that differ, in B's order, each removed row placed after its predecessor in A. */
  readonly layers: readonly RowDiff[];
  readonly fail_on: readonly ConditionResult[];
}

export interface DiffOptions {
  /** Side labels; default each report's model name. */
  readonly labels?: readonly [string, string];
  /** Compare the folded rows (`blocks`, present when both reports were made with a depth) instead of layers. */
  readonly blocks?: boolean;
  /** `--fail-on` conditions to evaluate; see parseConditions. */
  readonly failOn?: readonly Condition[];
}

export class DiffError extends Error {}

export function diffReports(a: Report, b: Report, options: DiffOptions = {}): Diff {
  const blocks = options.blocks ?? false;
  if (blocks && (!a.blocks || !b.blocks)) throw new DiffError('comparing blocks needs both reports analyzed with a depth');
  const rowsA = blocks ? a.blocks!.map(figures) : a.layers.map(figures);
  const rowsB = blocks ? b.blocks!.map(figures) : b.layers.map(figures);
  const namesA = blocks ? a.blocks!.map((r) => r.name) : a.layers.map((r) => r.name);
  const namesB = blocks ? b.blocks!.map((r) => r.name) : b.layers.map((r) => r.name);
  const { rows, unchanged } = matchRows(namesA, rowsA, namesB, rowsB);

  const totals = Object.fromEntries(
    DIFF_METRICS.map((m) => [m, change(m === 'layers' ? a.layers.length : a.totals[m], m === 'layers' ? b.layers.length : b.totals[m])]),
  ) as Record<DiffMetric, Change>;
  const count = (s: RowStatus) => rows.filter((r) => r.status === s).length;
  const [labelA, labelB] = options.labels ?? [a.model, b.model];
  return {
    schema: DIFF_SCHEMA,
    a: side(a, labelA),
    b: side(b, labelB),
    rows: blocks ? 'blocks' : 'layers',
    totals,
    summary: { added: count('added'), removed: count('removed'), changed: count('changed'), unchanged },
    layers: rows,
    fail_on: (options.failOn ?? []).map((c) => ({ condition: c.text, metric: c.metric, failed: conditionFails(c, totals[c.metric]) })),
  };
}

function side(r: Report, label: string): DiffSide {
  return { label, model: r.model, input: { shape: [...r.input.shape] }, options: { ...r.options } };
}

function figures(r: { kind: string; output_shape: readonly number[]; params: number; macs: number; flops: number }): RowFigures {
  return { kind: r.kind, output_shape: [...r.output_shape], params: r.params, macs: r.macs, flops: r.flops };
}

export function change(a: number, b: number): Change {
  return { a, b, change: b - a, relative: a === 0 ? (b === 0 ? 0 : null) : (b - a) / a };
}

function differences(x: RowFigures, y: RowFigures): ComparedField[] {
  return COMPARED_FIELDS.filter((f) =>
    f === 'output_shape'
      ? x.output_shape.length !== y.output_shape.length || x.output_shape.some((d, i) => d !== y.output_shape[i])
      : x[f] !== y[f],
  );
}

function delta(x: RowFigures | undefined, y: RowFigures | undefined) {
  return {
    params: (y?.params ?? 0) - (x?.params ?? 0),
    macs: (y?.macs ?? 0) - (x?.macs ?? 0),
    flops: (y?.flops ?? 0) - (x?.flops ?? 0),
  };
}

/**
 * Rows matched by name. The result follows B's order; a row only in A is placed after the nearest
 * row before it in A that B also has (or first), so removed rows appear where they were.
 */
function matchRows(namesA: readonly string[], rowsA: readonly RowFigures[], namesB: readonly string[], rowsB: readonly RowFigures[]) {
  const indexA = new Map(namesA.map((n, i) => [n, i]));
  const inB = new Set(namesB);
  // Removed rows of A, keyed by the name of the last row before them that B has ('' for the start).
  const removedAfter = new Map<string, number[]>();
  let anchor = '';
  namesA.forEach((name, i) => {
    if (inB.has(name)) {
      anchor = name;
      return;
    }
    // Appended in place: copying the list per removed row would be quadratic.
    const list = removedAfter.get(anchor);
    if (list) list.push(i);
    else removedAfter.set(anchor, [i]);
  });
  const rows: RowDiff[] = [];
  let unchanged = 0;
  const removed = (key: string) => {
    for (const i of removedAfter.get(key) ?? []) {
      const x = rowsA[i];
      rows.push({ status: 'removed', name: namesA[i], a: x, changed: [...COMPARED_FIELDS], delta: delta(x, undefined) });
    }
  };
  removed('');
  namesB.forEach((name, j) => {
    const y = rowsB[j];
    const i = indexA.get(name);
    if (i === undefined) {
      rows.push({ status: 'added', name, b: y, changed: [...COMPARED_FIELDS], delta: delta(undefined, y) });
      return;
    }
    const x = rowsA[i];
    const changed = differences(x, y);
    if (changed.length > 0) rows.push({ status: 'changed', name, a: x, b: y, changed, delta: delta(x, y) });
    else unchanged++;
    removed(name);
  });
  return { rows, unchanged };
}

// --- --fail-on conditions -------------------------------------------------------------------

/** `params>+5%`: fail when the metric's change compares so with the amount. */
export interface Condition {
  /** Normalized text: no spaces, explicit sign (`params>+5%`). */
  readonly text: string;
  readonly metric: DiffMetric;
  readonly op: '>' | '>=' | '<' | '<=';
  /** Signed; a percentage when `relative`, otherwise an absolute change (units applied). */
  readonly amount: number;
  readonly relative: boolean;
}

const CONDITION = /^([a-z_]+)(>=|<=|>|<)([+-]?)([0-9][0-9.,_]*)(%|[A-Za-z]*)$/;

/**
 * Parses `--fail-on` values: each may hold several conditions separated by commas.
 * `METRIC OP [+|-]AMOUNT`, where METRIC is one of DIFF_METRICS, OP one of `>`, `>=`, `<`, `<=`,
 * and AMOUNT a percentage of A's value (`5%`) or a quantity in the metric's unit, read as budgets
 * read it (src/quantity.ts): `1G` MACs, `10MiB` of memory. The amount is compared with the change
 * from A to B. Throws DiffError on a malformed condition.
 */
export function parseConditions(values: readonly string[]): Condition[] {
  const out: Condition[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const raw = part.trim();
      const text = raw.replace(/\s+/g, '');
      const m = CONDITION.exec(text);
      if (!m) {
        throw new DiffError(`--fail-on '${raw}': expected METRIC>+N%, METRIC<-N% or METRIC>+AMOUNT, like params>+5% or macs>+1G`);
      }
      const [, metric, op, sign, number, suffix = ''] = m;
      if (!(DIFF_METRICS as readonly string[]).includes(metric)) {
        throw new DiffError(`--fail-on '${raw}': unknown metric '${metric}'; expected one of ${DIFF_METRICS.join(', ')}`);
      }
      let magnitude: number;
      if (suffix === '%') {
        magnitude = Number(number);
        if (!Number.isFinite(magnitude)) throw new DiffError(`--fail-on '${raw}': '${number}' is not a number`);
      } else {
        const parsed = parseQuantity(`${number}${suffix}`, metric.endsWith('_bytes') ? 'bytes' : (metric as CountUnit));
        if (typeof parsed === 'string') throw new DiffError(`--fail-on '${raw}': ${parsed}`);
        magnitude = parsed;
      }
      const unit = suffix;
      const amount = sign === '-' ? -magnitude : magnitude;
      out.push({
        text: `${metric}${op}${sign === '-' ? '-' : '+'}${number}${suffix}`,
        metric: metric as DiffMetric,
        op: op as Condition['op'],
        amount,
        relative: unit === '%',
      });
    }
  }
  return out;
}

/** Whether the change breaks the condition. Relative amounts are compared exactly: 100·(b − a) against amount·a. */
export function conditionFails(c: Condition, ch: Change): boolean {
  const [left, right] = c.relative ? [ch.change * 100, c.amount * ch.a] : [ch.change, c.amount];
  switch (c.op) {
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
  }
}
