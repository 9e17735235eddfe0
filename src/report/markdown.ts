/**
 * The report as GitHub-flavoured Markdown, for a pull-request comment or a README: a header, a
 * totals table, and a layers table (the folded rows when the report was made with a depth).
 */
import type { BlockReport, LayerReport, Report } from '../analysis/report.js';
import { code, mdTable, mdText } from './markup.js';
import { bytesText, decimal, fieldText, grouped, hasWindowedFields, opsText, shapeText, totalFieldText } from './units.js';

export interface MarkdownOptions {
  /** Add the breakdown by layer kind. */
  readonly byKind?: boolean;
  /** The heading level of the title (default 2: `##`). */
  readonly level?: number;
}

export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const h = '#'.repeat(options.level ?? 2);
  const t = report.totals;
  const o = report.options;
  const out: string[] = [];
  out.push(`${h} ${mdText(report.model)}`, '');
  const n = report.layers.length;
  out.push(`Input ${shapeText(report.input.shape)} · ${o.dtype} · batch ${o.batch} · ${n} ${n === 1 ? 'layer' : 'layers'}`, '');

  const rf = totalFieldText(t, code);
  // A column for the windowed field only where a gate makes it differ somewhere (docs/metrics.md).
  const windowed = hasWindowedFields(report.blocks ?? report.layers);
  const windowedHead = windowed ? ['Windowed RF'] : [];
  const windowedAlign = windowed ? (['right'] as const) : [];
  const windowedCell = (r: BlockReport | LayerReport) => (windowed ? [fieldText(r.windowed_receptive_field ?? r.receptive_field)] : []);
  out.push(
    ...mdTable(
      ['Total', 'Value'],
      ['left', 'right'],
      [
        ['Params', `${grouped(t.params)} (${grouped(t.trainable_params)} trainable)`],
        ['Buffers', grouped(t.buffers)],
        ['MACs', `${decimal(t.macs, 'MAC')} (${grouped(t.macs)})`],
        ['FLOPs', `${decimal(t.flops, 'FLOP')} (${grouped(t.flops)})`],
        ['Weights', bytesText(t.weight_bytes)],
        ['Activations', `${bytesText(t.activation_bytes)} in all`],
        ['Peak activations', `${bytesText(t.peak_activation_bytes)} (at ${code(report.memory.peak_at)})`],
        ['Training', `${bytesText(t.training_bytes)} (${o.optimizer})`],
        ['Receptive field', rf],
        ...report.outputs.map((x, i) => [i === 0 ? 'Output' : 'Extra output', `${code(x.name)} ${shapeText(x.shape)}`]),
      ],
    ),
    '',
  );

  if (report.blocks) {
    out.push(`${h}# Blocks`, '');
    out.push(
      ...mdTable(
        ['Block', 'Kind', 'Layers', 'Output shape', 'Params', 'MACs', 'Activations', 'RF /stride', ...windowedHead],
        ['left', 'left', 'right', 'left', 'right', 'right', 'right', 'right', ...windowedAlign],
        report.blocks.map((r: BlockReport) => [
          r.layers > 1 ? `**${code(r.name)}**` : code(r.name),
          mdText(r.kind),
          String(r.layers),
          shapeText(r.output_shape),
          grouped(r.params),
          opsText(r.macs, 'MAC'),
          bytesText(r.activation_bytes),
          fieldText(r.receptive_field),
          ...windowedCell(r),
        ]),
      ),
      '',
    );
  } else {
    out.push(`${h}# Layers`, '');
    out.push(
      ...mdTable(
        ['Layer', 'Kind', 'Output shape', 'Params', 'MACs', 'Activations', 'RF /stride', ...windowedHead],
        ['left', 'left', 'left', 'right', 'right', 'right', 'right', ...windowedAlign],
        report.layers.map((r: LayerReport) => [
          code(r.name),
          mdText(r.kind),
          shapeText(r.output_shape),
          grouped(r.params),
          opsText(r.macs, 'MAC'),
          bytesText(r.activation_bytes),
          fieldText(r.receptive_field),
          ...windowedCell(r),
        ]),
      ),
      '',
    );
  }

  if (options.byKind) {
    out.push(`${h}# By kind`, '');
    out.push(
      ...mdTable(
        ['Kind', 'Layers', 'Params', 'MACs', 'FLOPs'],
        ['left', 'right', 'right', 'right', 'right'],
        report.by_kind.map((k) => [mdText(k.kind), String(k.layers), grouped(k.params), opsText(k.macs, 'MAC'), decimal(k.flops, 'FLOP')]),
      ),
      '',
    );
  }

  if (report.warnings.length > 0) {
    out.push(`${h}# Warnings`, '');
    for (const w of report.warnings) out.push(`- ${code(w.layer)}: ${mdText(w.message)}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
