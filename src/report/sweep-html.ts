/**
 * `cnnscope sweep --html`: one self-contained page (no script, no request: inline SVG and CSS),
 * a line chart per total against the first numeric axis, one line per value of the other axes,
 * and the table of every point with the exact integers. Light and dark schemes, and print.
 */
import type { SweepReport } from '../analysis/sweep.js';
import { TOTALS, type TotalName } from '../vocabulary.js';
import { escapeXml } from './html/markup.js';
import { totalText } from './sweep.js';
import { grouped } from './units.js';

const CHARTS: readonly { readonly metric: TotalName; readonly title: string }[] = [
  { metric: 'params', title: 'Parameters' },
  { metric: 'macs', title: 'MACs' },
  { metric: 'weight_bytes', title: 'Weights' },
  { metric: 'peak_activation_bytes', title: 'Peak activations' },
  { metric: 'activation_bytes', title: 'Activations, in all' },
  { metric: 'training_bytes', title: 'Training memory' },
];

/** Series colours, told apart in both schemes (Okabe-Ito). */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

const W = 360;
const H = 220;
const PAD = { left: 64, right: 12, top: 12, bottom: 36 };

export function renderSweepHtml(report: SweepReport): string {
  const title = `${report.model}: sweep`;
  const body = report.fit ? fitBody(report) : gridBody(report);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cnnscope">
<title>${escapeXml(title)}</title>
<style>
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --grid: #d9d9d9; --muted: #666666; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e8e8; --bg: #161616; --grid: #3a3a3a; --muted: #a0a0a0; } }
body { font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 1.5rem; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; } p.sub { color: var(--muted); margin: 0 0 1rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: .25rem; }
svg text { fill: var(--fg); font-size: 11px; } svg .grid { stroke: var(--grid); } svg .axis { stroke: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: .75rem; margin: .75rem 0; }
.legend span::before { content: ""; display: inline-block; width: .8em; height: .8em; margin-right: .3em; background: var(--c); vertical-align: -1px; }
table { border-collapse: collapse; margin-top: 1rem; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--grid); padding: .2rem .5rem; text-align: right; }
th { position: sticky; top: 0; background: var(--bg); }
@media print { body { margin: 0; } .charts { break-inside: avoid; } th { position: static; } }
</style>
</head>
<body>
<h1>${escapeXml(report.model)}</h1>
<p class="sub">${escapeXml(`${report.options.dtype}, ${report.options.optimizer}`)} · cnnscope sweep</p>
${body}
</body>
</html>
`;
}

function gridBody(report: SweepReport): string {
  const points = report.points ?? [];
  const numeric = report.axes.findIndex((a) => a.values.length > 1 && a.values.every((v) => Number.isFinite(Number(v))));
  const xAxis = report.axes[numeric >= 0 ? numeric : 0];
  const others = report.axes.filter((a) => a !== xAxis);
  const seriesKey = (p: Readonly<Record<string, string>>) => others.map((a) => `${a.name} ${p[a.name]}`).join(', ');
  const series = [...new Set(points.map((p) => seriesKey(p.point)))];
  const xs = xAxis.values;
  const xValue = (label: string) => (numeric >= 0 ? Number(label) : xs.indexOf(label));
  const charts = CHARTS.map(({ metric, title }) => {
    const lines = series.map((key, s) => ({
      colour: PALETTE[s % PALETTE.length],
      points: points
        .filter((p) => seriesKey(p.point) === key)
        .map((p) => ({
          x: xValue(p.point[xAxis.name]),
          y: p.totals[metric],
          label: `${xAxis.name} ${p.point[xAxis.name]}${key ? `, ${key}` : ''}`,
        })),
    }));
    return chart(title, metric, xAxis.name, lines, numeric >= 0 ? undefined : xs);
  });
  const legend =
    series.length > 1
      ? `<div class="legend">${series.map((k, s) => `<span style="--c:${PALETTE[s % PALETTE.length]}">${escapeXml(k)}</span>`).join('')}</div>`
      : '';
  const head = [...report.axes.map((a) => a.name), ...TOTALS];
  const rows = points.map((p) => [...report.axes.map((a) => p.point[a.name]), ...TOTALS.map((m) => String(p.totals[m]))]);
  return `${legend}<div class="charts">${charts.join('\n')}</div>\n${table(head, rows)}`;
}

function fitBody(report: SweepReport): string {
  const fit = report.fit!;
  const head = [...report.axes.map((a) => a.name), `largest ${fit.over}`, ...TOTALS];
  const rows = fit.answers.map((a) => [
    ...report.axes.map((ax) => a.point[ax.name]),
    a.largest === null ? 'none' : String(a.largest),
    ...TOTALS.map((m) => (a.totals ? String(a.totals[m]) : '')),
  ]);
  return `<p>The largest ${escapeXml(fit.over)} within ${escapeXml(fit.bounds.map((b) => b.text).join(' and '))}.</p>\n${table(head, rows)}`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const tr = (cells: readonly string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${escapeXml(c)}</${tag}>`).join('')}</tr>`;
  return `<table>\n<thead>${tr(head, 'th')}</thead>\n<tbody>\n${rows.map((r) => tr(r, 'td')).join('\n')}\n</tbody>\n</table>`;
}

interface Line {
  readonly colour: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly label: string }[];
}

/** A line chart from 0 up, with four gridlines labelled in the metric's unit. */
function chart(title: string, metric: TotalName, xName: string, lines: readonly Line[], categories?: readonly string[]): string {
  const all = lines.flatMap((l) => l.points);
  const xMin = Math.min(...all.map((p) => p.x));
  const xMax = Math.max(...all.map((p) => p.x));
  const yMax = Math.max(1, ...all.map((p) => p.y));
  const sx = (x: number) => PAD.left + (xMax === xMin ? 0.5 : (x - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const f = (n: number) => n.toFixed(1);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => {
      const y = sy(t * yMax);
      return `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y)}" y2="${f(y)}"/><text x="${PAD.left - 4}" y="${f(y + 4)}" text-anchor="end">${escapeXml(totalText(metric, Math.round(t * yMax)))}</text>`;
    })
    .join('');
  const ticks = (categories ?? [...new Set(all.map((p) => p.x))].sort((a, b) => a - b).map(String))
    .map((label, i) => {
      const x = sx(categories ? i : Number(label));
      return `<text x="${f(x)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${escapeXml(label)}</text>`;
    })
    .filter((_, i, a) => a.length <= 12 || i % Math.ceil(a.length / 12) === 0)
    .join('');
  const drawn = lines
    .map((l) => {
      const path = l.points.map((p) => `${f(sx(p.x))},${f(sy(p.y))}`).join(' ');
      const dots = l.points
        .map(
          (p) =>
            `<circle cx="${f(sx(p.x))}" cy="${f(sy(p.y))}" r="3" fill="${l.colour}"><title>${escapeXml(`${p.label}: ${totalText(metric, p.y)} (${grouped(p.y)})`)}</title></circle>`,
        )
        .join('');
      return `<polyline fill="none" stroke="${l.colour}" stroke-width="2" points="${path}"/>${dots}`;
    })
    .join('');
  const axis = `<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}"/><text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 6}" text-anchor="middle">${escapeXml(xName)}</text>`;
  return `<figure><figcaption>${escapeXml(title)}</figcaption><svg role="img" aria-label="${escapeXml(`${title} by ${xName}`)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${grid}${axis}${ticks}${drawn}</svg></figure>`;
}
