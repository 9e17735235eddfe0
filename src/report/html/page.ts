/**
 * `cnnscope report --html`: one self-contained page, made offline-safe by construction (no URL
 * of any kind: the script, the styles and the data are inline, the fonts the system's). The layer
 * graph is laid out here, in Node, once per fold level (src/report/html/layout.ts); the page gets
 * positioned SVG, the markup of each level in an inert script element (parsed when shown), and page-script.js for what needs a browser: pan and
 * zoom, expanding and collapsing blocks (moving between the levels), search, the details panel.
 */
import { readFileSync } from 'node:fs';
import type { Report } from '../../analysis/report.js';
import type { GraphView } from '../graph-view.js';
import { BLOCK_STYLE } from '../style.js';
import { totalEntries } from '../table.js';
import { bytesText, compactNumber, decimal, fieldText, grouped, opsText, shapeText } from '../units.js';
import { barChart, fieldChart, livenessChart, type Bar } from './charts.js';
import { categoryCss, itemKey, levelSvg, nodeSize, type NodeFigure, type ShownRow } from './graph-svg.js';
import { layoutView } from './layout.js';
import { escapeXml, scriptJson } from './markup.js';

/** One fold level of the graph: the view at a depth, and the report rows its nodes show. */
export interface HtmlLevel {
  /** The fold depth (`analyze --depth`); undefined for the level of every layer. */
  readonly depth?: number;
  readonly view: GraphView;
  /** `rows[i]` is the row of `view.nodes[i + 1]` (node 0 is the input): the report's blocks at the depth, or its layers. */
  readonly rows: readonly ShownRow[];
}

export interface HtmlReportInput {
  /** The unfolded report: every layer, the totals. */
  readonly report: Report;
  /** From the most folded to every layer (the last). */
  readonly levels: readonly HtmlLevel[];
  /** The level shown first (`--depth`); its rows are the bars of the charts. */
  readonly start: number;
  /** Bytes alive at each step of the schedule, step 0 the input (src/analysis/memory.ts, liveBytes). */
  readonly liveness: readonly { readonly name: string; readonly bytes: number }[];
  /** The figure nodes show beside their shape. */
  readonly figure: NodeFigure;
}

/** What page-script.js reads: levels, every layer's and block's figures, the names search knows. */
export interface PageData {
  readonly model: string;
  readonly start: number;
  readonly levels: readonly {
    readonly depth: number | null;
    readonly nodes: number;
    readonly width: number;
    readonly height: number;
    /** The item keys of the level's nodes. */
    readonly keys: readonly string[];
  }[];
  /** The labels of the entries of a layer's (`L`) and a block's (`B`) item. */
  readonly labels: typeof ITEM_LABELS;
  /** By item key (`L:name`, `B:name`): its figures, in the order of `labels` (the windowed field only where there is one). */
  readonly items: Readonly<Record<string, readonly Entry[]>>;
  readonly layers: readonly string[];
}

/**
 * A figure of the details panel: text, or an exact count with what follows it (` (35.2 MMAC)`,
 * ` B`), which the page writes after the count's digits grouped by thousands (en-US).
 */
export type Entry = string | readonly [number, string];

export const ITEM_LABELS = {
  L: [
    'kind',
    'inputs',
    'output shape',
    'params',
    'trainable params',
    'buffers',
    'MACs',
    'FLOPs',
    'activation bytes',
    'receptive field',
    'windowed receptive field',
  ],
  B: ['kind', 'layers', 'output shape', 'params', 'MACs', 'FLOPs', 'activation bytes', 'receptive field', 'windowed receptive field'],
} as const;

export async function renderHtmlReport(input: HtmlReportInput): Promise<string> {
  const { report, levels, start, figure } = input;
  const batch = report.options.batch;
  const laid = [];
  for (const level of levels) {
    const layout = await layoutView(level.view, (n) => nodeSize(n.role === 'input' ? 2 : 3));
    const svg = levelSvg(layout, level.rows, figure, batch);
    // Every text is escaped (escapeXml), so nothing can end the script element holding the markup.
    if (/<\/script/i.test(svg)) throw new Error('renderHtmlReport: the SVG markup holds </script');
    laid.push({ level, layout, svg });
  }

  const items: Record<string, readonly Entry[]> = {};
  for (const l of report.layers) {
    items[`L:${l.name}`] = [
      l.kind,
      l.inputs.join(', '),
      shapeText(l.output_shape),
      count(l.params),
      count(l.trainable_params),
      count(l.buffers),
      ops(l.macs, 'MAC'),
      ops(l.flops, 'FLOP'),
      bytes(l.activation_bytes),
      fieldText(l.receptive_field),
      ...(l.windowed_receptive_field !== undefined ? [fieldText(l.windowed_receptive_field)] : []),
    ];
  }
  for (const { level } of laid) {
    level.view.nodes.slice(1).forEach((n, i) => {
      const b = level.rows[i];
      if (n.role !== 'block' || !('layers' in b)) return;
      items[itemKey(n)] ??= [
        b.kind,
        count(b.layers),
        shapeText(b.output_shape),
        count(b.params),
        ops(b.macs, 'MAC'),
        ops(b.flops, 'FLOP'),
        bytes(b.activation_bytes),
        fieldText(b.receptive_field),
        ...(b.windowed_receptive_field !== undefined ? [fieldText(b.windowed_receptive_field)] : []),
      ];
    });
  }
  const data: PageData = {
    model: report.model,
    start,
    levels: laid.map(({ level, layout }) => ({
      depth: level.depth ?? null,
      nodes: level.view.nodes.length,
      width: layout.width,
      height: layout.height,
      keys: level.view.nodes.slice(1).map(itemKey),
    })),
    labels: ITEM_LABELS,
    items,
    layers: report.layers.map((l) => l.name),
  };

  const shown = levels[start];
  const bars = (value: (r: ShownRow) => number): Bar[] =>
    shown.view.nodes.slice(1).map((n, i) => ({
      key: itemKey(n),
      name: n.name,
      className: `cat-${n.role === 'block' ? 'block' : (n.category ?? 'none')}`,
      value: value(shown.rows[i]),
    }));
  const per = shown.depth !== undefined ? `per block (depth ${shown.depth})` : 'per layer';
  const o = report.options;
  const charts = [
    chart(
      `MACs ${per}`,
      barChart(
        'MACs',
        bars((r) => r.macs),
        (n) => opsText(n, 'MAC'),
      ),
    ),
    chart(
      `Parameters ${per}`,
      barChart(
        'parameters',
        bars((r) => r.params),
        compactNumber,
      ),
    ),
    chart(
      `Activation memory ${per}`,
      barChart(
        'activation bytes',
        bars((r) => r.activation_bytes),
        bytesText,
      ),
    ),
    chart(
      'Liveness: bytes alive at each step of the schedule',
      livenessChart(input.liveness, report.memory.peak_at, bytesText),
      `The layers run in topological order and a tensor is freed after its last reader; the peak is ${bytesText(report.totals.peak_activation_bytes)} while ${report.memory.peak_at} runs.`,
    ),
    chart(
      'Receptive field along the network',
      fieldChart(report.layers.map((l) => ({ name: l.name, field: l.receptive_field }))),
      'Size and stride in input pixels, the larger of height and width, each layer in topological order; log scale.',
    ),
  ];
  const title = `${report.model} · cnnscope report`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    // The page loads nothing: no request of any kind, whatever it holds.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeXml(title)}</title>`,
    `<style>\n${asset('page-style.css')}\n${categoryCss(BLOCK_STYLE.fill)}\n</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeXml(report.model)}</h1>`,
    `<p class="sub">input ${escapeXml(shapeText(report.input.shape))} · ${o.dtype} · batch ${grouped(o.batch)} · ${grouped(report.layers.length)} layers</p>`,
    '<form id="search" role="search"><label for="q">Find a layer</label>',
    '<input id="q" name="q" type="search" list="names" autocomplete="off" placeholder="layer name, e.g. conv1">',
    `<datalist id="names">${report.layers.map((l) => `<option value="${escapeXml(l.name)}"></option>`).join('')}</datalist>`,
    '<button type="submit">Find</button><output id="found" aria-live="polite"></output></form>',
    '<div class="tools" role="group" aria-label="graph view">',
    '<button type="button" id="collapse-all" title="fold every block to the first level">Fold all</button>',
    '<button type="button" id="expand-all" title="show every layer">Expand all</button>',
    '<button type="button" id="zoom-in" aria-label="zoom in">+</button><button type="button" id="zoom-out" aria-label="zoom out">−</button>',
    '<button type="button" id="fit">Fit</button>',
    '<span id="level" aria-live="polite"></span>',
    '</div>',
    '</header>',
    '<main>',
    '<section id="graph-pane" aria-label="layer graph: drag, the wheel or the arrow keys pan; Ctrl and the wheel, or + and −, zoom; Enter on a block expands it, on a group title collapses it">',
    `<svg id="graph" tabindex="0" role="group" aria-label="${escapeXml(`layer graph of ${report.model}`)}" xmlns="http://www.w3.org/2000/svg">`,
    '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L8 4L0 8z"/></marker></defs>',
    '<g id="viewport"></g>',
    '</svg>',
    '<ul class="legend" aria-label="colours">',
    ...['conv', 'linear', 'pool', 'norm', 'arithmetic', 'concat', 'block', 'none'].map(
      (c) => `<li><span class="swatch cat-${c}"></span>${c === 'none' ? 'other' : c === 'arithmetic' ? 'add, mul' : c}</li>`,
    ),
    '</ul>',
    '</section>',
    '<aside id="side">',
    '<section id="details" aria-live="polite" aria-label="selected layer"><h2>Details</h2><p class="hint">Click a layer (or press Enter on it) to see every figure; click a block to expand it, a group\'s title to fold it.</p></section>',
    '<section id="totals"><h2>Totals</h2><dl>',
    ...totalEntries(report).map(([label, text]) => `<dt>${escapeXml(label)}</dt><dd>${escapeXml(text)}</dd>`),
    '</dl></section>',
    ...charts,
    '</aside>',
    '</main>',
    // Not a <template>: the browser would parse every level on opening; levels.keys says what each holds.
    ...laid.map(({ svg }, i) => `<script type="image/svg+xml" id="level-${i}">${svg}</script>`),
    `<script type="application/json" id="data">${scriptJson(data)}</script>`,
    `<script>\n${asset('page-script.js')}\n</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function chart(title: string, svg: string, note?: string): string {
  return `<section class="chart-box"><h2>${escapeXml(title)}</h2>${svg}${note ? `<p class="note">${escapeXml(note)}</p>` : ''}</section>`;
}

function count(n: number): Entry {
  return [n, n >= 1000 ? ` (${compactNumber(n)})` : ''];
}
function ops(n: number, unit: 'MAC' | 'FLOP'): Entry {
  return [n, n >= 1000 ? ` (${decimal(n, unit)})` : ''];
}
function bytes(n: number): Entry {
  return [n, n >= 1024 ? ` (${bytesText(n)})` : ' B'];
}

/** page-style.css and page-script.js, beside this module in src/ and in dist/ (the build copies them). */
const assets = new Map<string, string>();
function asset(name: string): string {
  let text = assets.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./${name}`, import.meta.url), 'utf8').trimEnd();
    assets.set(name, text);
  }
  return text;
}
