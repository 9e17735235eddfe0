/**
 * `cnnscope check`: expectations (src/graph/expect.ts) against a report. Pure functions: a
 * report and a group of expectations in, one result per expectation out, and the counts and the
 * JSON document of a run; the renderers (src/report/check.ts) format them and compute nothing.
 */
import type { Report } from '../analysis/report.js';
import type { Diagnostic } from '../graph/diagnostics.js';
import type { ExpectAt, ExpectGroup, ExpectedShape, Expectation, Relation } from '../graph/expect.js';
import { didYouMean } from '../graph/suggest.js';
import type { Dtype, Optimizer } from '../vocabulary.js';

export const CHECK_SCHEMA = 'cnnscope.check/1';

export interface CheckResult {
  /** The model's name as reports call it (a preset's name; `name (k=v)` for a build with `set`). */
  readonly model: string;
  /** The file the model came from. */
  readonly model_file: string;
  /** Where the expectation was written: the model file or a budget file. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** A total's name, `output`, `outputs.NAME` or `receptive_field`. */
  readonly metric: string;
  readonly relation: Relation;
  /** The expected value as written: `30M`, `[N, 1000]`. */
  readonly expected: string;
  /** The expected value as a number (totals, receptive field) or a shape (outputs; `N` is the batch). */
  readonly expected_value: number | ExpectedShape;
  /** A total; a shape; the receptive field's size per axis [h, w]; or `none` when there is no spatial field. */
  readonly actual: number | readonly number[] | 'none';
  readonly ok: boolean;
  /** The conditions the expectation named (input, batch, dtype, optimizer), as written. */
  readonly at: ExpectAt;
  /** The conditions it was evaluated at, defaults included. */
  readonly input: readonly number[];
  readonly batch: number;
  readonly dtype: Dtype;
  readonly optimizer: Optimizer;
}

/** One model checked: its results (none when no expectation names it). */
export interface CheckedModel {
  readonly model: string;
  readonly file: string;
  readonly results: readonly CheckResult[];
}

export interface CheckSummary {
  readonly ok: boolean;
  readonly models: number;
  readonly expectations: number;
  readonly passed: number;
  readonly failed: number;
  /** Models with at least one failed expectation (and, when strict, those without expectations). */
  readonly models_failed: number;
  readonly models_without_expectations: number;
  /** Whether a model without expectations fails (`--strict`). */
  readonly strict: boolean;
}

export interface CheckRun {
  readonly models: readonly CheckedModel[];
  readonly summary: CheckSummary;
}

/** Evaluates a group of expectations against the report of the build and conditions they name. */
export function evaluate(report: Report, group: ExpectGroup, model: { readonly name: string; readonly file: string }): CheckResult[] {
  const base = {
    model: model.name,
    model_file: model.file,
    file: group.file,
    at: group.at,
    input: report.input.shape.slice(1),
    batch: report.options.batch,
    dtype: report.options.dtype,
    optimizer: report.options.optimizer,
  };
  return group.items.map((e) => ({ ...base, line: e.pos.line, col: e.pos.col, ...judge(report, e) }));
}

function judge(report: Report, e: Expectation): Pick<CheckResult, 'metric' | 'relation' | 'expected' | 'expected_value' | 'actual' | 'ok'> {
  switch (e.kind) {
    case 'total': {
      const actual = report.totals[e.metric];
      return {
        metric: e.metric,
        relation: e.relation,
        expected: e.text,
        expected_value: e.value,
        actual,
        ok: holds(actual, e.relation, e.value),
      };
    }
    case 'receptive_field': {
      const t = report.totals;
      const field = t.receptive_field !== 'global' ? t.receptive_field : t.last_spatial_receptive_field;
      const actual = field ? [...field.size] : 'none';
      const ok = actual !== 'none' && actual.every((size) => holds(size, e.relation, e.value));
      return { metric: 'receptive_field', relation: e.relation, expected: e.text, expected_value: e.value, actual, ok };
    }
    case 'output': {
      const out = e.name === undefined ? report.outputs[0] : report.outputs.find((o) => o.name === e.name);
      const actual = out ? [...out.shape] : 'none';
      const ok = actual !== 'none' && sameShape(actual, e.shape, report.options.batch);
      return {
        metric: e.name === undefined ? 'output' : `outputs.${e.name}`,
        relation: 'equal',
        expected: e.text,
        expected_value: e.shape,
        actual,
        ok,
      };
    }
  }
}

function holds(actual: number, relation: Relation, value: number): boolean {
  return relation === 'max' ? actual <= value : relation === 'min' ? actual >= value : actual === value;
}

function sameShape(actual: readonly number[], expected: ExpectedShape, batch: number): boolean {
  return actual.length === expected.length && expected.every((d, i) => (d === 'N' ? batch : d) === actual[i]);
}

/**
 * Expectations that cannot be evaluated against this model: an output name it does not have.
 * These make the input invalid (exit 2), not the check failed.
 */
export function expectationProblems(report: Report, group: ExpectGroup): Diagnostic[] {
  const names = report.outputs.map((o) => o.name);
  const out: Diagnostic[] = [];
  for (const e of group.items) {
    if (e.kind === 'output' && e.name !== undefined && !names.includes(e.name)) {
      out.push({
        file: group.file,
        pos: e.pos,
        message: `model '${report.model}' has no output '${e.name}'${didYouMean(e.name, names)} (outputs: ${names.join(', ')})`,
      });
    }
  }
  return out;
}

/** Counts for the summary line. With `strict`, a model without expectations fails. */
export function summarize(models: readonly CheckedModel[], strict = false): CheckRun {
  const results = models.flatMap((m) => m.results);
  const failed = results.filter((r) => !r.ok).length;
  const without = models.filter((m) => m.results.length === 0).length;
  const modelsFailed = models.filter((m) => m.results.some((r) => !r.ok) || (strict && m.results.length === 0)).length;
  return {
    models,
    summary: {
      ok: modelsFailed === 0,
      models: models.length,
      expectations: results.length,
      passed: results.length - failed,
      failed,
      models_failed: modelsFailed,
      models_without_expectations: without,
      strict,
    },
  };
}

/** The JSON output (docs/check.md, schema/): the summary, a line per model with its counts, every result. */
export interface CheckDocument {
  readonly schema: typeof CHECK_SCHEMA;
  readonly ok: boolean;
  readonly summary: Omit<CheckSummary, 'ok'>;
  readonly models: readonly { readonly model: string; readonly file: string; readonly expectations: number; readonly failed: number }[];
  readonly results: readonly Omit<CheckResult, 'at'>[];
}

/** The run as the JSON output documents it; the keys in the order they are printed. */
export function checkDocument(run: CheckRun): CheckDocument {
  const s = run.summary;
  const result = (r: CheckResult): Omit<CheckResult, 'at'> => ({
    model: r.model,
    model_file: r.model_file,
    metric: r.metric,
    relation: r.relation,
    expected: r.expected,
    expected_value: r.expected_value,
    actual: r.actual,
    ok: r.ok,
    file: r.file,
    line: r.line,
    col: r.col,
    input: r.input,
    batch: r.batch,
    dtype: r.dtype,
    optimizer: r.optimizer,
  });
  return {
    schema: CHECK_SCHEMA,
    ok: s.ok,
    summary: {
      models: s.models,
      expectations: s.expectations,
      passed: s.passed,
      failed: s.failed,
      models_failed: s.models_failed,
      models_without_expectations: s.models_without_expectations,
      strict: s.strict,
    },
    models: run.models.map((m) => ({
      model: m.model,
      file: m.file,
      expectations: m.results.length,
      failed: m.results.filter((r) => !r.ok).length,
    })),
    results: run.models.flatMap((m) => m.results).map(result),
  };
}
