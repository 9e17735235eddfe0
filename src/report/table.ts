/** The table for people: one row per layer (or per block with --depth), totals below. */
import type { ChalkInstance } from 'chalk';
import type { Report } from '../analysis/report.js';
import { percentText, shareBar, sparkline, type BarGlyphs } from './bars.js';
import { textTable } from './text-table.js';
import { bytesText, decimal, fieldText, grouped, hasWindowedFields, opsText, shapeText, totalFieldText } from './units.js';

export interface TableOptions {
  /** Add the breakdown by layer kind below the totals. */
  readonly byKind?: boolean;
  /**
   * Add each row's share of the MACs and of the activation memory as bars, and the liveness
   * timeline as a sparkline below the totals (the report must carry `memory.live_bytes`).
   */
  readonly bars?: BarGlyphs;
}

/** Cells of a share bar. */
const BAR_WIDTH = 10;
/** The most columns of the liveness sparkline. */
const SPARKLINE_WIDTH = 64;

export function renderTable(report: Report, colour: ChalkInstance, options: TableOptions = {}): string {
  const dimZero = (n: number, text: string) => (n === 0 ? colour.dim(text) : text);
  const shown = report.blocks ?? report.layers;
  // A column for the windowed field only where a gate makes it differ somewhere (docs/metrics.md).
  const windowed = hasWindowedFields(shown);
  const bars = options.bars;
  const t = report.totals;
  const share = (part: number, whole: number) => {
    const text = `${shareBar(part, whole, BAR_WIDTH, bars!)} ${percentText(part, whole).padStart(5)}`;
    return part === 0 ? colour.dim(text) : text;
  };
  const rows = shown.map((r) => {
    const folded = 'layers' in r && typeof r.layers === 'number' && r.layers > 1;
    return [
      folded ? colour.bold(r.name) : r.name,
      colour.dim(r.kind),
      shapeText(r.output_shape),
      dimZero(r.params, grouped(r.params)),
      dimZero(r.macs, opsText(r.macs, 'MAC')),
      bytesText(r.activation_bytes),
      fieldText(r.receptive_field),
      ...(windowed ? [fieldText(r.windowed_receptive_field ?? r.receptive_field)] : []),
      ...(bars ? [share(r.macs, t.macs), share(r.activation_bytes, t.activation_bytes)] : []),
    ];
  });
  const table = textTable(
    [
      'Layer',
      'Kind',
      'Output shape',
      'Params',
      'MACs',
      'Activations',
      'RF /stride',
      ...(windowed ? ['Windowed RF'] : []),
      ...(bars ? ['MACs share', 'Activations share'] : []),
    ].map((h) => colour.bold(h)),
    [
      'left',
      'left',
      'left',
      'right',
      'right',
      'right',
      'right',
      ...(windowed ? (['right'] as const) : []),
      ...(bars ? (['left', 'left'] as const) : []),
    ],
    rows,
  );
  const lines = [
    `${colour.bold(report.model)}  input ${shapeText(report.input.shape)}  ${report.options.dtype}`,
    table,
    ...totalEntries(report).map(([label, text]) => `${`${label}:`.padEnd(19)}${text}`),
  ];
  const live = report.memory.live_bytes;
  if (bars && live) {
    // Under the peak, which is the only column drawn at the top level (in colour too, at a terminal).
    const { line, peakColumn } = sparkline(live, SPARKLINE_WIDTH, bars);
    const marked = line.slice(0, peakColumn) + colour.red.bold(line[peakColumn]) + line.slice(peakColumn + 1);
    lines.push(
      `Live activations:  ${marked}  peak ${bytesText(t.peak_activation_bytes)} at ${report.memory.peak_at} (${grouped(live.length)} steps)`,
    );
  }
  if (options.byKind) {
    const kinds = textTable(
      ['Kind', 'Layers', 'Params', 'MACs', 'FLOPs'].map((h) => colour.bold(h)),
      ['left', 'right', 'right', 'right', 'right'],
      report.by_kind.map((k) => [k.kind, String(k.layers), grouped(k.params), decimal(k.macs, 'MAC'), decimal(k.flops, 'FLOP')]),
    );
    lines.push('', kinds);
  }
  for (const w of report.warnings) lines.push(colour.yellow(`warning: layer '${w.layer}': ${w.message}`));
  return `${lines.join('\n')}\n`;
}

/** The totals below the table, as (label, text) pairs: the HTML report's totals panel shows the same. */
export function totalEntries(report: Report): [string, string][] {
  const t = report.totals;
  const o = report.options;
  return [
    ['Params', `${grouped(t.params)} (${grouped(t.trainable_params)} trainable; ${grouped(t.buffers)} in buffers)`],
    ['Compute', `${decimal(t.macs, 'MAC')}, ${decimal(t.flops, 'FLOP')}`],
    ['Weights', bytesText(t.weight_bytes)],
    ['Activations', `${bytesText(t.activation_bytes)} in all, ${bytesText(t.peak_activation_bytes)} at peak (at ${report.memory.peak_at})`],
    ['Training', `${bytesText(t.training_bytes)} (${o.optimizer}: weights, gradients, optimizer state, activations)`],
    ['Receptive field', totalFieldText(t, (name) => name)],
    ...report.outputs.map((out, i): [string, string] => [i === 0 ? 'Output' : 'Extra output', `${out.name} ${shapeText(out.shape)}`]),
  ];
}
