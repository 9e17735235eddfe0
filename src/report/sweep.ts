/** `cnnscope sweep`: the totals per point as a table, CSV or JSON, and the answers of `--fit`. */
import type { ChalkInstance } from 'chalk';
import { holds, type FitAnswer, type FitBound, type SweepReport, type SweepTotals } from '../analysis/sweep.js';
import { BYTE_TOTALS, TOTALS, type TotalName } from '../vocabulary.js';
import { csvLines } from './markup.js';
import { textTable } from './text-table.js';
import { bytesText, decimal, grouped } from './units.js';

/** The columns of the table, beside the axes: the totals people size a model by. */
const TABLE_TOTALS: readonly { readonly metric: TotalName; readonly head: string }[] = [
  { metric: 'params', head: 'Params' },
  { metric: 'macs', head: 'MACs' },
  { metric: 'flops', head: 'FLOPs' },
  { metric: 'weight_bytes', head: 'Weights' },
  { metric: 'peak_activation_bytes', head: 'Peak activations' },
  { metric: 'training_bytes', head: 'Training' },
];

/** A total for people: bytes in binary units, operations in decimal ones, parameters grouped. */
export function totalText(metric: TotalName, value: number): string {
  if ((BYTE_TOTALS as readonly string[]).includes(metric)) return bytesText(value);
  if (metric === 'macs') return decimal(value, 'MAC');
  if (metric === 'flops') return decimal(value, 'FLOP');
  return grouped(value);
}

function conditions(report: SweepReport): string {
  return `${report.options.dtype}, ${report.options.optimizer}`;
}

export function renderSweepTable(report: SweepReport, colour: ChalkInstance): string {
  const axes = report.axes.map((a) => a.name);
  if (report.fit) return renderFitTable(report, colour);
  const rows = (report.points ?? []).map((p) => [
    ...axes.map((a) => p.point[a]),
    ...TABLE_TOTALS.map((c) => totalText(c.metric, p.totals[c.metric])),
  ]);
  const table = textTable(
    [...axes, ...TABLE_TOTALS.map((c) => c.head)].map((h) => colour.bold(h)),
    [...axes.map(() => 'right' as const), ...TABLE_TOTALS.map(() => 'right' as const)],
    rows,
  );
  return `${colour.bold(report.model)}  ${conditions(report)}  ${grouped(rows.length)} point${rows.length === 1 ? '' : 's'}\n${table}\n`;
}

function renderFitTable(report: SweepReport, colour: ChalkInstance): string {
  const fit = report.fit!;
  const axes = report.axes.map((a) => a.name);
  const metrics = [...new Set(fit.bounds.map((b) => b.metric))];
  const rows = fit.answers.map((a) => [
    ...axes.map((name) => a.point[name]),
    a.largest === null ? colour.red('none') : colour.bold(grouped(a.largest)),
    ...metrics.map((m) => (a.totals ? totalText(m, a.totals[m]) : '')),
    nextText(fit.over, fit.bounds, a),
  ]);
  const table = textTable(
    [...axes, `Largest ${fit.over}`, ...metrics, 'Next'].map((h) => colour.bold(h)),
    [...axes.map(() => 'right' as const), 'right', ...metrics.map(() => 'right' as const), 'left'],
    rows,
  );
  const bounds = fit.bounds.map((b) => b.text).join(' and ');
  return `${colour.bold(report.model)}  the largest ${fit.over} within ${bounds}  ${conditions(report)}\n${table}\n`;
}

/** What stops the search one step further: `169: training_bytes 24.1 GiB, over <=24GiB`. */
function nextText(over: string, bounds: readonly FitBound[], a: FitAnswer): string {
  if (!a.next) return a.largest === null ? '' : `every ${over} searched fits`;
  const { value, totals } = a.next;
  if (!totals) return `${grouped(value)}: figures past 2^53`;
  const broken = bounds.filter((b) => !holds(b, totals));
  return `${grouped(value)}: ${broken.map((b) => `${b.metric} ${totalText(b.metric, totals[b.metric])}, over ${b.text.slice(b.metric.length)}`).join('; ')}`;
}

/** CSV with the exact integers: one row per point (or per answer of `--fit`), RFC 4180. */
export function renderSweepCsv(report: SweepReport): string {
  const axes = report.axes.map((a) => a.name);
  if (report.fit) {
    const fit = report.fit;
    const lines: (string | number)[][] = [[...axes, `largest_${fit.over}`, ...TOTALS, `next_${fit.over}`, 'next_breaks']];
    for (const a of fit.answers) {
      lines.push([
        ...axes.map((n) => a.point[n]),
        a.largest === null ? '' : String(a.largest),
        ...TOTALS.map((m) => (a.totals ? String(a.totals[m]) : '')),
        a.next ? String(a.next.value) : '',
        a.next ? a.next.breaks.join(' ') : '',
      ]);
    }
    return csvLines(lines);
  }
  return csvLines([
    [...axes, ...TOTALS],
    ...(report.points ?? []).map((p) => [...axes.map((n) => p.point[n]), ...TOTALS.map((m) => p.totals[m])]),
  ]);
}

export type { SweepTotals };
