/**
 * The report as CSV: a header, then one row per layer (or per folded row with a depth), for
 * spreadsheets and pandas. Quoting follows RFC 4180 (a field with a comma, a quote or a line break
 * is quoted, quotes doubled), and so do line endings (CRLF, as `cnnscope check --format csv`).
 * Every number is the exact integer of the JSON report. A shape is written `1x64x56x56`; a layer's
 * inputs are separated by spaces (names have none). A global receptive field has `global` in its
 * six rf_ columns. Where a gate makes a row's windowed field differ (docs/metrics.md), six
 * windowed_rf_ columns follow, with every row's windowed field (its field where they agree).
 */
import type { ReceptiveField, Report } from '../analysis/report.js';
import { csvLines, shapeCsv } from './markup.js';
import { hasWindowedFields } from './units.js';

export const CSV_LAYER_COLUMNS = [
  'name',
  'kind',
  'inputs',
  'output_shape',
  'params',
  'trainable_params',
  'buffers',
  'macs',
  'flops',
  'activation_bytes',
  'rf_size_h',
  'rf_size_w',
  'rf_stride_h',
  'rf_stride_w',
  'rf_padding_h',
  'rf_padding_w',
] as const;

export const CSV_BLOCK_COLUMNS = [
  'name',
  'kind',
  'layers',
  'output_shape',
  'params',
  'macs',
  'flops',
  'activation_bytes',
  'rf_size_h',
  'rf_size_w',
  'rf_stride_h',
  'rf_stride_w',
  'rf_padding_h',
  'rf_padding_w',
] as const;

/** Added after the columns above when some row's windowed field differs from its field. */
export const CSV_WINDOWED_COLUMNS = [
  'windowed_rf_size_h',
  'windowed_rf_size_w',
  'windowed_rf_stride_h',
  'windowed_rf_stride_w',
  'windowed_rf_padding_h',
  'windowed_rf_padding_w',
] as const;

export function renderCsv(report: Report): string {
  const windowed = report.blocks ? hasWindowedFields(report.blocks) : hasWindowedFields(report.layers);
  const windowedCells = (r: { receptive_field: ReceptiveField; windowed_receptive_field?: ReceptiveField }) =>
    windowed ? fieldCsv(r.windowed_receptive_field ?? r.receptive_field) : [];
  const windowedHead = windowed ? CSV_WINDOWED_COLUMNS : [];
  if (report.blocks) {
    return csvLines([
      [...CSV_BLOCK_COLUMNS, ...windowedHead],
      ...report.blocks.map((b) => [
        b.name,
        b.kind,
        b.layers,
        shapeCsv(b.output_shape),
        b.params,
        b.macs,
        b.flops,
        b.activation_bytes,
        ...fieldCsv(b.receptive_field),
        ...windowedCells(b),
      ]),
    ]);
  }
  return csvLines([
    [...CSV_LAYER_COLUMNS, ...windowedHead],
    ...report.layers.map((l) => [
      l.name,
      l.kind,
      l.inputs.join(' '),
      shapeCsv(l.output_shape),
      l.params,
      l.trainable_params,
      l.buffers,
      l.macs,
      l.flops,
      l.activation_bytes,
      ...fieldCsv(l.receptive_field),
      ...windowedCells(l),
    ]),
  ]);
}

function fieldCsv(f: ReceptiveField): (string | number)[] {
  if (f === 'global') return Array<string>(6).fill('global');
  return [f.size[0], f.size[1], f.stride[0], f.stride[1], f.padding[0], f.padding[1]];
}
