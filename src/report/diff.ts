/**
 * Renderers of a diff (src/analysis/diff.ts): a table for the terminal, Markdown for a pull-request
 * comment, CSV of the rows that differ. They format; the diff computed every figure.
 */
import type { ChalkInstance } from 'chalk';
import type { Change, ConditionResult, Diff, DiffMetric, RowDiff, RowFigures } from '../analysis/diff.js';
import { code, csvLines, mdTable, mdText, shapeCsv, type Align } from './markup.js';
import { textTable } from './text-table.js';
import { bytesText, compactNumber, grouped, opsText, shapeText } from './units.js';

/** How each total is named and written for people. */
const METRIC_LABELS: Readonly<Record<DiffMetric, string>> = {
  layers: 'Layers',
  params: 'Params',
  trainable_params: 'Trainable params',
  buffers: 'Buffers',
  macs: 'MACs',
  flops: 'FLOPs',
  weight_bytes: 'Weights',
  activation_bytes: 'Activations',
  peak_activation_bytes: 'Peak activations',
  training_bytes: 'Training',
};

function metricValue(metric: DiffMetric, n: number): string {
  if (metric === 'macs') return opsText(n, 'MAC');
  if (metric === 'flops') return opsText(n, 'FLOP');
  if (metric.endsWith('_bytes')) return bytesText(n);
  return grouped(n);
}

function signed(n: number, text: string): string {
  return n > 0 ? `+${text}` : text;
}

/** The change of a total: `+141 MMAC`, `-528,128`, `0`. */
export function changeText(metric: DiffMetric, c: Change): string {
  return c.change === 0 ? '0' : signed(c.change, metricValue(metric, c.change));
}

/** The relative change: `+3.46%`, `-2.07%`, `0.00%`, or `new` when A had none. */
export function percentText(c: Change): string {
  if (c.relative === null) return 'new';
  const p = c.relative * 100;
  const text = Math.abs(p) < 0.005 && p !== 0 ? (p > 0 ? '+<0.01%' : '-<0.01%') : `${p.toFixed(2)}%`;
  return p > 0 && !text.startsWith('+') ? `+${text}` : text;
}

/** What a condition measured: the relative change for a percentage, the absolute one otherwise. */
function conditionValue(diff: Diff, r: ConditionResult): string {
  const c = diff.totals[r.metric];
  return r.condition.endsWith('%') ? percentText(c) : changeText(r.metric, c);
}

const STATUS_MARK = { added: '+', removed: '-', changed: '~' } as const;

/** One cell of a row: the value of a field on the row's sides, `a → b (+d)` when it changed. */
function rowCells(r: RowDiff, flops: boolean) {
  const { a, b } = r;
  const one = (f: (x: RowFigures) => string) => (a && b ? (f(a) === f(b) ? f(a) : `${f(a)} → ${f(b)}`) : f((a ?? b)!));
  const count = (get: (x: RowFigures) => number, fmt: (n: number) => string, d: number) => {
    if (!a || !b) return fmt(get((a ?? b)!));
    if (get(a) === get(b)) return fmt(get(a));
    return `${fmt(get(a))} → ${fmt(get(b))} (${signed(d, fmt(d))})`;
  };
  return [
    one((x) => x.kind),
    one((x) => shapeText(x.output_shape)),
    count((x) => x.params, grouped, r.delta.params),
    count((x) => x.macs, compactNumber, r.delta.macs),
    ...(flops ? [count((x) => x.flops, compactNumber, r.delta.flops)] : []),
  ];
}

/** FLOPs get a column only when some row changed in FLOPs but not in MACs or shape (a pooling window, say). */
function needsFlops(diff: Diff): boolean {
  return diff.layers.some(
    (r) => r.status === 'changed' && r.changed.includes('flops') && !r.changed.includes('macs') && !r.changed.includes('output_shape'),
  );
}

function summaryText(diff: Diff): string {
  const s = diff.summary;
  return `${diff.rows === 'blocks' ? 'Blocks' : 'Layers'}: ${s.added} added, ${s.removed} removed, ${s.changed} changed, ${s.unchanged} unchanged`;
}

export function renderDiffTable(diff: Diff, colour: ChalkInstance): string {
  const lines: string[] = [];
  lines.push(`${colour.bold('A:')} ${diff.a.label}  ${colour.dim(`input ${shapeText(diff.a.input.shape)} ${diff.a.options.dtype}`)}`);
  lines.push(`${colour.bold('B:')} ${diff.b.label}  ${colour.dim(`input ${shapeText(diff.b.input.shape)} ${diff.b.options.dtype}`)}`);
  const totals = (Object.entries(diff.totals) as [DiffMetric, Change][]).map(([metric, c]) => {
    const same = c.change === 0;
    const dim = (s: string) => (same ? colour.dim(s) : s);
    return [METRIC_LABELS[metric], metricValue(metric, c.a), metricValue(metric, c.b), dim(changeText(metric, c)), dim(percentText(c))];
  });
  lines.push(
    textTable(
      ['Total', 'A', 'B', 'Change', '%'].map((h) => colour.bold(h)),
      ['left', 'right', 'right', 'right', 'right'],
      totals,
    ),
  );
  lines.push(summaryText(diff));
  if (diff.layers.length > 0) {
    const flops = needsFlops(diff);
    const paint = { added: colour.green, removed: colour.red, changed: colour.yellow } as const;
    lines.push(
      textTable(
        ['', diff.rows === 'blocks' ? 'Block' : 'Layer', 'Kind', 'Output shape', 'Params', 'MACs', ...(flops ? ['FLOPs'] : [])].map((h) =>
          colour.bold(h),
        ),
        ['left', 'left', 'left', 'left', 'right', 'right', 'right'],
        diff.layers.map((r) => [paint[r.status](STATUS_MARK[r.status]), r.name, ...rowCells(r, flops)]),
      ),
    );
  }
  for (const r of diff.fail_on) {
    const verdict = r.failed ? colour.red.bold('FAILED') : colour.green('ok');
    lines.push(`Fail-on ${r.condition}: ${verdict} (${r.metric} ${conditionValue(diff, r)})`);
  }
  return `${lines.join('\n')}\n`;
}

export interface DiffMarkdownOptions {
  /** Rows beyond which the layer table is folded into a <details> element (default 20). */
  readonly foldAfter?: number;
  /** The heading level of the title (default 3). */
  readonly level?: number;
}

export function renderDiffMarkdown(diff: Diff, options: DiffMarkdownOptions = {}): string {
  const h = '#'.repeat(options.level ?? 3);
  const out: string[] = [];
  out.push(`${h} cnnscope diff: ${mdText(diff.a.label)} → ${mdText(diff.b.label)}`, '');
  const failed = diff.fail_on.filter((r) => r.failed);
  if (diff.fail_on.length > 0) {
    const n = diff.fail_on.length;
    const verdict =
      failed.length > 0
        ? `❌ **${failed.length} of ${n} ${n === 1 ? 'condition' : 'conditions'} failed**`
        : `✅ **${n === 1 ? 'The condition holds' : `All ${n} conditions hold`}**`;
    out.push(verdict, '');
    for (const r of diff.fail_on)
      out.push(`- ${r.failed ? '❌' : '✅'} ${code(r.condition)}: ${mdText(r.metric)} ${conditionValue(diff, r)}`);
    out.push('');
  }
  const sideText = (s: Diff['a']) =>
    `${code(s.label)} (${s.model}, input ${shapeText(s.input.shape)}, ${s.options.dtype}, batch ${s.options.batch})`;
  out.push(`**A:** ${sideText(diff.a)}  `, `**B:** ${sideText(diff.b)}`, '');
  out.push(
    ...mdTable(
      ['Total', 'A', 'B', 'Change', '%'],
      ['left', 'right', 'right', 'right', 'right'],
      (Object.entries(diff.totals) as [DiffMetric, Change][]).map(([m, c]) => [
        METRIC_LABELS[m],
        metricValue(m, c.a),
        metricValue(m, c.b),
        changeText(m, c),
        percentText(c),
      ]),
    ),
    '',
  );
  out.push(`**${summaryText(diff).replace(': ', ':** ')}`, '');
  if (diff.layers.length > 0) {
    const flops = needsFlops(diff);
    const table = mdTable(
      ['', diff.rows === 'blocks' ? 'Block' : 'Layer', 'Kind', 'Output shape', 'Params', 'MACs', ...(flops ? ['FLOPs'] : [])],
      ['left', 'left', 'left', 'left', 'right', 'right', 'right'].slice(0, flops ? 7 : 6) as Align[],
      diff.layers.map((r) => [r.status, code(r.name), ...rowCells(r, flops).map((c, i) => (i === 0 ? mdText(c) : c))]),
    );
    const foldAfter = options.foldAfter ?? 20;
    if (diff.layers.length > foldAfter) {
      const n = diff.layers.length;
      out.push(
        '<details>',
        `<summary>${n} ${diff.rows === 'blocks' ? 'rows' : 'layers'} differ</summary>`,
        '',
        ...table,
        '',
        '</details>',
        '',
      );
    } else {
      out.push(...table, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export const DIFF_CSV_COLUMNS = [
  'status',
  'name',
  'kind_a',
  'kind_b',
  'output_shape_a',
  'output_shape_b',
  'params_a',
  'params_b',
  'params_change',
  'macs_a',
  'macs_b',
  'macs_change',
  'flops_a',
  'flops_b',
  'flops_change',
] as const;

/** One row per layer that differs; a side without the layer has empty cells. */
export function renderDiffCsv(diff: Diff): string {
  const v = (x: RowFigures | undefined, f: (x: RowFigures) => string | number) => (x ? f(x) : '');
  return csvLines([
    DIFF_CSV_COLUMNS,
    ...diff.layers.map((r) => [
      r.status,
      r.name,
      v(r.a, (x) => x.kind),
      v(r.b, (x) => x.kind),
      v(r.a, (x) => shapeCsv(x.output_shape)),
      v(r.b, (x) => shapeCsv(x.output_shape)),
      v(r.a, (x) => x.params),
      v(r.b, (x) => x.params),
      r.delta.params,
      v(r.a, (x) => x.macs),
      v(r.b, (x) => x.macs),
      r.delta.macs,
      v(r.a, (x) => x.flops),
      v(r.b, (x) => x.flops),
      r.delta.flops,
    ]),
  ]);
}
