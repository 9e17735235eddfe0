/** The text of `cnnscope run`: what ran, the time and GMAC/s, MACs against the static count, the top K and the profile. */
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { RunReport } from '../execute/report.js';
import { decimal, grouped, shapeText } from './units.js';

export function renderRunText(rep: RunReport, colour: ChalkInstance): string {
  const lines: string[] = [];
  lines.push(`${colour.bold(rep.model)}  input ${shapeText(rep.input.shape)} (${rep.input.source})`);
  lines.push(`Weights: ${rep.weights}`);
  for (const o of rep.outputs) lines.push(`Output: ${o.name} ${shapeText(o.shape)}`);
  const seconds = rep.time_ms / 1000;
  const equal = rep.macs.executed === rep.macs.static ? 'equal' : 'DIFFERENT';
  lines.push(
    `Time: ${seconds >= 1 ? `${seconds.toFixed(2)} s` : `${rep.time_ms.toFixed(1)} ms`}, ${rep.threads} thread${rep.threads === 1 ? '' : 's'}, ` +
      `${(rep.macs.executed / Math.max(rep.time_ms, 1e-9) / 1e6).toFixed(2)} GMAC/s`,
  );
  lines.push(`MACs executed: ${grouped(rep.macs.executed)} (${decimal(rep.macs.executed, 'MAC')}); static: ${grouped(rep.macs.static)} (${equal})`);
  for (const o of rep.outputs) {
    if (!o.top) continue;
    const samples = new Set(o.top.map((t) => t.sample)).size;
    for (let s = 0; s < samples; s++) {
      lines.push(`Top ${o.top.filter((t) => t.sample === s).length} of ${o.name}${samples > 1 ? `, sample ${s}` : ''}:`);
      o.top
        .filter((t) => t.sample === s)
        .forEach((t, rank) => lines.push(`  ${String(rank + 1).padStart(2)}. index ${String(t.index).padStart(5)}  ${t.value.toPrecision(6)}`));
    }
  }
  if (rep.profile) {
    const table = new Table({
      head: ['Layer', 'Kind', 'Time ms', 'Share', 'MACs', 'GMAC/s'].map((h) => colour.bold(h)),
      colAligns: ['left', 'left', 'right', 'right', 'right', 'right'],
      style: { head: [], border: [], compact: true },
    });
    const total = rep.profile_total_ms ?? 0;
    for (const p of rep.profile) {
      table.push([p.name, p.kind, p.time_ms.toFixed(3), `${((100 * p.time_ms) / Math.max(total, 1e-9)).toFixed(1)}%`, grouped(p.macs), p.macs ? p.gmac_per_s.toFixed(2) : '']);
    }
    table.push([colour.bold('Total'), '', total.toFixed(3), '100.0%', grouped(rep.macs.executed), (rep.macs.executed / Math.max(total, 1e-9) / 1e6).toFixed(2)]);
    lines.push(table.toString());
  }
  return `${lines.join('\n')}\n`;
}
