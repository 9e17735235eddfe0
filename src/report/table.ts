/** The table for people: one row per layer, totals below. */
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { Report } from '../analysis/report.js';
import { grouped, shapeText } from './units.js';

export function renderTable(report: Report, colour: ChalkInstance): string {
  const table = new Table({
    head: ['Layer', 'Kind', 'Output shape', 'Params'].map((h) => colour.bold(h)),
    colAligns: ['left', 'left', 'left', 'right'],
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const l of report.layers) {
    table.push([l.name, colour.dim(l.kind), shapeText(l.output_shape), l.params === 0 ? colour.dim('0') : grouped(l.params)]);
  }
  const t = report.totals;
  const lines = [
    `${colour.bold(report.model)}  input ${shapeText(report.input.shape)}`,
    table.toString(),
    `Total params:      ${grouped(t.params)}`,
    `Trainable params:  ${grouped(t.trainable_params)}`,
    `Buffers:           ${grouped(t.buffers)}  (running statistics, not trained)`,
    ...report.outputs.map((o, i) => `${i === 0 ? 'Output' : 'Extra output'}: ${o.name} ${shapeText(o.shape)}`),
  ];
  return `${lines.join('\n')}\n`;
}
