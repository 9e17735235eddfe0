/** The text of `cnnscope run`: what ran, the time and GMAC/s, MACs against the static count, the top K and the profile. */
import type { ChalkInstance } from 'chalk';
import { runFigures, type RunReport } from '../execute/report.js';
import { textTable } from './text-table.js';
import { decimal, grouped, shapeText } from './units.js';

export function renderRunText(rep: RunReport, colour: ChalkInstance): string {
  const lines: string[] = [];
  lines.push(`${colour.bold(rep.model)}  input ${shapeText(rep.input.shape)} (${rep.input.source})`);
  lines.push(`Weights: ${rep.weights}`);
  for (const o of rep.outputs) lines.push(`Output: ${o.name} ${shapeText(o.shape)}`);
  const figures = runFigures(rep);
  const equal = rep.macs.executed === rep.macs.static ? 'equal' : 'DIFFERENT';
  // The built-in engine's text has no engine line: it is the default, and its text stays as it was.
  if (rep.onnxruntime)
    lines.push(`Engine: onnxruntime ${rep.onnxruntime.version} (session created in ${timeText(rep.onnxruntime.session_ms)})`);
  lines.push(
    `Time: ${timeText(rep.time_ms)}, ${rep.threads} thread${rep.threads === 1 ? '' : 's'}, ${figures.gmac_per_s.toFixed(2)} GMAC/s`,
  );
  lines.push(
    rep.engine === 'onnxruntime'
      ? `MACs: ${grouped(rep.macs.static)} (${decimal(rep.macs.static, 'MAC')}), the static count (onnxruntime counts none)`
      : `MACs executed: ${grouped(rep.macs.executed)} (${decimal(rep.macs.executed, 'MAC')}); static: ${grouped(rep.macs.static)} (${equal})`,
  );
  for (const t of figures.top) {
    lines.push(`Top ${t.entries.length} of ${t.output}${t.samples > 1 ? `, sample ${t.sample}` : ''}:`);
    t.entries.forEach((e, rank) =>
      lines.push(`  ${String(rank + 1).padStart(2)}. index ${String(e.index).padStart(5)}  ${e.value.toPrecision(6)}`),
    );
  }
  if (rep.profile) {
    const shares = figures.profile_shares!;
    const rows = rep.profile.map((p, i) => [
      p.name,
      p.kind,
      p.time_ms.toFixed(3),
      `${shares[i].toFixed(1)}%`,
      grouped(p.macs),
      p.macs ? p.gmac_per_s.toFixed(2) : '',
    ]);
    rows.push([
      colour.bold('Total'),
      '',
      (rep.profile_total_ms ?? 0).toFixed(3),
      '100.0%',
      grouped(rep.macs.executed),
      figures.profile_gmac_per_s!.toFixed(2),
    ]);
    lines.push(
      textTable(
        ['Layer', 'Kind', 'Time ms', 'Share', 'MACs', 'GMAC/s'].map((h) => colour.bold(h)),
        ['left', 'left', 'right', 'right', 'right', 'right'],
        rows,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `1.23 s` from a second up, `45.6 ms` below. */
function timeText(ms: number): string {
  const seconds = ms / 1000;
  return seconds >= 1 ? `${seconds.toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}
