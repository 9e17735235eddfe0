/**
 * Renderers for `cnnscope check` results (docs/check.md): lines for people (`table`), JSON,
 * Markdown, CSV, GitHub workflow commands and JUnit XML. They format what src/check/ computed
 * and decide nothing: a result's pass or fail, its numbers and its position are given.
 *
 * Formats for people (table, markdown, github) put failures first; formats for machines
 * (json, csv, junit) keep the order models and expectations were given in.
 */
import type { ChalkInstance } from 'chalk';
import { checkDocument, type CheckedModel, type CheckResult, type CheckRun, type CheckSummary } from '../check/evaluate.js';
import { describeDiagnostic, type Diagnostic } from '../graph/diagnostics.js';
import { BYTE_TOTALS } from '../vocabulary.js';
import { renderJson } from './json.js';
import { csvLines, mdCellText, shapeCsv } from './markup.js';
import { bytesText, decimal, grouped, shapeText } from './units.js';

export const CHECK_FORMATS = ['table', 'json', 'markdown', 'csv', 'github', 'junit'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

export interface CheckRenderOptions {
  /** Table and markdown: leave out passed expectations (failures and the summary remain). */
  readonly quiet?: boolean;
}

export function renderCheck(run: CheckRun, format: CheckFormat, colour: ChalkInstance, options: CheckRenderOptions = {}): string {
  switch (format) {
    case 'table':
      return renderLines(run, colour, options.quiet === true);
    case 'json':
      return renderCheckJson(run);
    case 'markdown':
      return renderMarkdown(run, options.quiet === true);
    case 'csv':
      return renderCsv(run);
    case 'github':
      return renderGithub(run);
    case 'junit':
      return renderJunit(run);
  }
}

// ---- shared phrasing --------------------------------------------------------------------

const OP: Record<CheckResult['relation'], { pass: string; fail: string; word: string }> = {
  max: { pass: '<=', fail: '>', word: 'max ' },
  min: { pass: '>=', fail: '<', word: 'min ' },
  equal: { pass: '=', fail: '!=', word: '' },
};

/** The actual value for people: `25,557,032 (25.6M)`, `9,633,792 (9.19 MiB)`, `427`, `[1, 1000]`. */
export function actualText(r: CheckResult): string {
  const a = r.actual;
  if (a === 'none') return r.metric === 'receptive_field' ? 'none (no spatial layer)' : 'none';
  if (typeof a === 'number') {
    if ((BYTE_TOTALS as readonly string[]).includes(r.metric)) return a >= 1024 ? `${grouped(a)} (${bytesText(a)})` : grouped(a);
    return a >= 10_000 ? `${grouped(a)} (${decimal(a, '').replace(' ', '')})` : grouped(a);
  }
  if (r.metric === 'receptive_field') return a[0] === a[1] ? String(a[0]) : `${a[0]}x${a[1]}`;
  return shapeText(a);
}

/** `params 25,557,032 (25.6M) > max 20M`. */
export function describe(r: CheckResult): string {
  const op = OP[r.relation];
  return `${r.metric} ${actualText(r)} ${r.ok ? op.pass : op.fail} ${op.word}${r.expected}`;
}

/** The expectation alone, as a test's name: `params <= 20M`, `output = [N, 1000]`. */
export function expectationText(r: CheckResult): string {
  return `${r.metric} ${OP[r.relation].pass} ${r.expected}`;
}

/** The conditions the expectation names, if any: `input 3x320x320, batch 8, fp16`. */
function atText(r: CheckResult): string {
  const parts: string[] = [];
  if (r.at.input) parts.push(`input ${r.at.input.join('x')}`);
  if (r.at.batch !== undefined) parts.push(`batch ${r.at.batch}`);
  if (r.at.dtype) parts.push(r.at.dtype);
  if (r.at.optimizer) parts.push(r.at.optimizer);
  return parts.join(', ');
}

/** The model and, when the expectation names them, its conditions: `resnet50 (input 3x320x320, batch 8, fp16)`. */
export function label(r: CheckResult): string {
  const at = atText(r);
  return at ? `${r.model} (${at})` : r.model;
}

const where = (r: CheckResult) => `${r.file}:${r.line}:${r.col}`;

export function summaryText(s: CheckSummary): string {
  const plural = (n: number, word: string) => `${grouped(n)} ${word}${n === 1 ? '' : 's'}`;
  let text = `${plural(s.expectations, 'expectation')} in ${plural(s.models, 'model')}, ${grouped(s.failed)} failed`;
  if (s.models_without_expectations > 0) {
    text += ` (${plural(s.models_without_expectations, 'model')} without expectations${s.strict ? ', failing under --strict' : ''})`;
  }
  return text;
}

/** Results with failures first, each group in the given order. */
function failuresFirst(run: CheckRun): CheckResult[] {
  const all = run.models.flatMap((m) => m.results);
  return [...all.filter((r) => !r.ok), ...all.filter((r) => r.ok)];
}

const unexpected = (run: CheckRun): CheckedModel[] => run.models.filter((m) => m.results.length === 0);

// ---- table: one line per expectation ------------------------------------------------------

function renderLines(run: CheckRun, colour: ChalkInstance, quiet: boolean): string {
  const strict = run.summary.strict;
  const lines: string[] = [];
  const none = unexpected(run).map((m) => `${strict ? colour.red('✗') : colour.dim('-')} ${m.model}: no expectations (${m.file})`);
  const results = failuresFirst(run);
  const failed = results.filter((r) => !r.ok);
  for (const r of failed) lines.push(`${colour.red('✗')} ${label(r)} ${describe(r)} ${colour.dim(`(${where(r)})`)}`);
  if (strict) lines.push(...none);
  if (!quiet) {
    for (const r of results.slice(failed.length))
      lines.push(`${colour.green('✓')} ${label(r)} ${describe(r)} ${colour.dim(`(${where(r)})`)}`);
    if (!strict) lines.push(...none);
  }
  const summary = summaryText(run.summary);
  lines.push(run.summary.ok ? colour.bold(summary) : colour.bold.red(summary));
  return `${lines.join('\n')}\n`;
}

// ---- JSON -----------------------------------------------------------------------------------

function renderCheckJson(run: CheckRun): string {
  return renderJson(checkDocument(run));
}

// ---- Markdown -------------------------------------------------------------------------------

function renderMarkdown(run: CheckRun, quiet: boolean): string {
  const rows = ['| | Model | Expectation | Actual | Where |', '|---|---|---|---|---|'];
  const none = unexpected(run).map(
    (m) => `| ${run.summary.strict ? '✗' : '–'} | ${mdCellText(m.model)} | no expectations | | ${mdCellText(m.file)} |`,
  );
  const results = failuresFirst(run);
  const row = (r: CheckResult) =>
    `| ${r.ok ? '✓' : '✗'} | ${mdCellText(label(r))} | ${mdCellText(expectationText(r))} | ${mdCellText(actualText(r))} | ${mdCellText(where(r))} |`;
  const failed = results.filter((r) => !r.ok);
  rows.push(...failed.map(row));
  if (run.summary.strict) rows.push(...none);
  if (!quiet) {
    rows.push(...results.slice(failed.length).map(row));
    if (!run.summary.strict) rows.push(...none);
  }
  const table = rows.length > 2 ? `${rows.join('\n')}\n\n` : '';
  return `## cnnscope check\n\n${table}**${run.summary.ok ? 'Passed' : 'Failed'}:** ${summaryText(run.summary)}\n`;
}

// ---- CSV ------------------------------------------------------------------------------------

const CSV_HEADER = [
  'status',
  'model',
  'model_file',
  'metric',
  'relation',
  'expected',
  'actual',
  'file',
  'line',
  'col',
  'input',
  'batch',
  'dtype',
  'optimizer',
];

function renderCsv(run: CheckRun): string {
  const rows: (string | number)[][] = [CSV_HEADER];
  for (const m of run.models) {
    if (m.results.length === 0)
      rows.push([run.summary.strict ? 'fail' : 'none', m.model, m.file, '', '', '', '', '', '', '', '', '', '', '']);
    for (const r of m.results) {
      const actual = typeof r.actual === 'number' || r.actual === 'none' ? r.actual : shapeCsv(r.actual);
      rows.push([
        r.ok ? 'pass' : 'fail',
        r.model,
        r.model_file,
        r.metric,
        r.relation,
        r.expected,
        actual,
        r.file,
        r.line,
        r.col,
        shapeCsv(r.input),
        r.batch,
        r.dtype,
        r.optimizer,
      ]);
    }
  }
  return csvLines(rows);
}

// ---- GitHub workflow commands ---------------------------------------------------------------

/** https://docs.github.com/actions/reference/workflow-commands-for-github-actions: data escapes %, CR, LF. */
function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property values also escape `:` and `,`. */
function ghProperty(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function ghError(
  file: string,
  pos: { line: number; col: number } | undefined,
  message: string,
  level: 'error' | 'warning' = 'error',
): string {
  const at = pos ? `,line=${pos.line},col=${pos.col}` : '';
  return `::${level} file=${ghProperty(file)}${at},title=${ghProperty('cnnscope check')}::${ghData(message)}`;
}

/** Failures as `::error` annotations on the expectation's line; passes are not annotated. */
function renderGithub(run: CheckRun): string {
  const lines = failuresFirst(run)
    .filter((r) => !r.ok)
    .map((r) => ghError(r.file, r, `${label(r)} ${describe(r)}`));
  if (run.summary.strict) for (const m of unexpected(run)) lines.push(ghError(m.file, undefined, `${m.model}: no expectations (--strict)`));
  lines.push(`cnnscope check: ${summaryText(run.summary)}`);
  return `${lines.join('\n')}\n`;
}

/** Invalid inputs (and warnings) as annotations too, so a broken model or budget shows on its line in the pull request. */
export function githubAnnotations(diagnostics: readonly Diagnostic[], level: 'error' | 'warning'): string {
  return diagnostics.map((d) => `${ghError(d.file, d.pos, describeDiagnostic(d), level)}\n`).join('');
}

// ---- JUnit XML ------------------------------------------------------------------------------

/** Text and attribute values: the five markup characters escaped, characters XML 1.0 forbids replaced. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

/** One <testsuite> per model, one <testcase> per expectation; a model without expectations is one skipped case (a failure under --strict). */
function renderJunit(run: CheckRun): string {
  const s = run.summary;
  const strict = s.strict;
  const noneFailures = strict ? s.models_without_expectations : 0;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = s.expectations + s.models_without_expectations;
  out.push(
    `<testsuites${attrs({ name: 'cnnscope check', tests: total, failures: s.failed + noneFailures, errors: 0, skipped: strict ? 0 : s.models_without_expectations })}>`,
  );
  for (const m of run.models) {
    const failures = m.results.filter((r) => !r.ok).length;
    if (m.results.length === 0) {
      out.push(
        `  <testsuite${attrs({ name: m.model, tests: 1, failures: strict ? 1 : 0, errors: 0, skipped: strict ? 0 : 1, file: m.file })}>`,
      );
      out.push(`    <testcase${attrs({ classname: m.model, name: 'no expectations', file: m.file })}>`);
      out.push(
        strict
          ? `      <failure${attrs({ message: `${m.model}: no expectations (--strict)`, type: 'no-expectations' })}/>`
          : `      <skipped${attrs({ message: 'no expectations' })}/>`,
      );
      out.push('    </testcase>');
      out.push('  </testsuite>');
      continue;
    }
    out.push(`  <testsuite${attrs({ name: m.model, tests: m.results.length, failures, errors: 0, skipped: 0, file: m.file })}>`);
    for (const r of m.results) {
      const head = `    <testcase${attrs({ classname: m.model, name: atText(r) ? `${expectationText(r)} (${atText(r)})` : expectationText(r), file: r.file, line: r.line })}`;
      if (r.ok) {
        out.push(`${head}/>`);
        continue;
      }
      const message = `${label(r)} ${describe(r)}`;
      out.push(`${head}>`);
      out.push(`      <failure${attrs({ message, type: 'expectation' })}>${xmlEscape(`${where(r)}: ${message}`)}</failure>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
