/**
 * One fold level of the layer graph as SVG markup, from its layout: groups (the view's clusters),
 * edges (the tensor's shape on hover) and nodes (filled by category, labelled with the short
 * name, the kind, the output shape and the chosen figure). Nodes and group titles are focusable
 * buttons; the page script (page-script.js) reads their `data-key` to show figures, expand and collapse.
 */
import type { BlockReport, LayerReport } from '../../analysis/report.js';
import type { ViewNode } from '../graph-view.js';
import { CATEGORY_STYLES } from '../style.js';
import { bytesText, compactNumber, fieldText, opsText, shapeLabel, shapeText } from '../units.js';
import { CLUSTER_TITLE, type GraphLayout } from './layout.js';
import { escapeXml } from './markup.js';

export const FIGURES = ['macs', 'params', 'activations', 'rf'] as const;
export type NodeFigure = (typeof FIGURES)[number];

/** Node boxes: a fixed width, one line of text per label line. */
export const NODE_WIDTH = 172;
const LINE = 14;
const PAD = 6;
/** Characters of a label line that fit NODE_WIDTH at the page's 11px font. */
const FIT = 27;

/** The row of the report a view node shows: a layer, or a folded row of `analyze --depth`. */
export type ShownRow = LayerReport | BlockReport;

/** The key by which the page finds a node's figures: `L:` a layer, `B:` a folded block. */
export function itemKey(node: ViewNode): string {
  return `${node.role === 'block' ? 'B' : 'L'}:${node.name}`;
}

export function nodeLines(node: ViewNode, row: ShownRow | undefined, figure: NodeFigure): string[] {
  const shape = shapeLabel(node.shape);
  if (node.role === 'input' || !row) return ['input', shape];
  const kind = node.role === 'block' ? `${node.kind} · ${node.layers} layers` : [node.kind, node.detail].filter(Boolean).join(' ');
  return [node.label, kind, `${shape} · ${figureText(row, figure)}`];
}

export function nodeSize(lines: number): { width: number; height: number } {
  return { width: NODE_WIDTH, height: lines * LINE + 2 * PAD };
}

export function figureText(row: ShownRow, figure: NodeFigure): string {
  switch (figure) {
    case 'macs':
      return row.macs === 0 ? '0 MACs' : opsText(row.macs, 'MAC');
    case 'params':
      return `${compactNumber(row.params)} params`;
    case 'activations':
      return bytesText(row.activation_bytes);
    case 'rf':
      return `RF ${fieldText(row.receptive_field)}`;
  }
}

/**
 * The SVG group of one level. `rows[i]` is the report row of `layout.nodes[i + 1]` (node 0 is the
 * input); `batch` is put back in front of the per-sample shapes edges show.
 */
export function levelSvg(layout: GraphLayout, rows: readonly ShownRow[], figure: NodeFigure, batch: number): string {
  const out: string[] = [];
  out.push('<g class="clusters">');
  for (const c of layout.clusters) {
    const title = `${c.cluster.label} · ${c.cluster.kind}`;
    out.push(
      `<g class="cluster n${c.nesting % 2}" data-key="B:${escapeXml(c.cluster.name)}" tabindex="0" role="button" aria-label="${escapeXml(`collapse ${c.cluster.name} (${c.cluster.kind})`)}">`,
      `<rect x="${c.x}" y="${c.y}" width="${c.width}" height="${c.height}" rx="6"/>`,
      `<text x="${c.x + 8}" y="${c.y + CLUSTER_TITLE - 5}">${escapeXml(fit(title, Math.floor(c.width / 6.3)))}<title>${escapeXml(`${c.cluster.name} · ${c.cluster.kind} (click to collapse)`)}</title></text>`,
      '</g>',
    );
  }
  out.push('</g><g class="edges">');
  for (const e of layout.edges) {
    if (e.points.length < 2) continue;
    const d = `M${e.points.map(([x, y]) => `${x} ${y}`).join('L')}`;
    const tip = `${e.from.name} → ${e.to.name}: ${shapeText([batch, ...e.from.shape])}`;
    out.push(`<g class="edge"><title>${escapeXml(tip)}</title><path class="hit" d="${d}"/><path d="${d}" marker-end="url(#arrow)"/></g>`);
  }
  out.push('</g><g class="nodes">');
  layout.nodes.forEach((p, i) => {
    const n = p.node;
    const row = i === 0 ? undefined : rows[i - 1];
    const lines = nodeLines(n, row, figure);
    const cls = ['node', n.role, `cat-${n.role === 'block' ? 'block' : (n.category ?? 'none')}`];
    if (n.output) cls.push('output');
    const label = `${n.name}: ${lines.slice(1).join(', ')}${n.role === 'block' ? ' (press Enter to expand)' : ''}`;
    out.push(
      // The <title> is the tooltip and, for assistive technology, the button's name.
      `<g class="${cls.join(' ')}" data-key="${escapeXml(itemKey(n))}" transform="translate(${p.x},${p.y})" tabindex="0" role="button">`,
      `<title>${escapeXml(label)}</title>`,
      `<rect width="${p.width}" height="${p.height}" rx="${n.role === 'merge' ? p.height / 2 : 4}"/>`,
      ...lines.map(
        (line, k) =>
          `<text x="${p.width / 2}" y="${PAD + LINE * k + 11}"${k === 0 ? ' class="t"' : ''}>${escapeXml(fit(line, FIT))}</text>`,
      ),
      '</g>',
    );
  });
  out.push('</g>');
  return out.join('');
}

function fit(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, Math.max(1, chars - 1))}…`;
}

/** The category fills of style.ts as CSS rules, so the page colours nodes and bars like DOT and Mermaid do. */
export function categoryCss(blockFill: string): string {
  const rules = Object.entries(CATEGORY_STYLES).map(
    ([category, style]) => `.cat-${category}{--fill:${(style as { fill: string } | undefined)?.fill ?? '#ffffff'}}`,
  );
  return [...rules, `.cat-block{--fill:${blockFill}}`, '.cat-none{--fill:#ffffff}'].join('\n');
}
