/**
 * The charts beside the graph, drawn as SVG markup: bars of one figure per row, the liveness
 * timeline and the receptive field along the network. They format figures the report (and the
 * schedule's liveness walk) computed; every mark has a `<title>` with its exact value, and a bar
 * has the `data-key` of its row, so a click shows that row in the graph.
 */
import type { ReceptiveField } from '../../analysis/report.js';
import { grouped } from '../units.js';
import { escapeXml } from './markup.js';

export const CHART_WIDTH = 440;

export interface Bar {
  readonly key: string;
  readonly name: string;
  /** The category class that colours it (`cat-conv`). */
  readonly className: string;
  readonly value: number;
}

/** Rows up to this many are horizontal labelled bars; more are columns along the network. */
const LABELLED_BARS = 40;

/** One figure per row: labelled horizontal bars for a few rows, thin columns in network order for many. */
export function barChart(title: string, bars: readonly Bar[], text: (n: number) => string): string {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const tip = (b: Bar) => `<title>${escapeXml(`${b.name}: ${text(b.value)} (${grouped(b.value)})`)}</title>`;
  const out: string[] = [];
  if (bars.length <= LABELLED_BARS) {
    const left = 150;
    const barRoom = CHART_WIDTH - left - 70;
    const h = 14;
    const height = bars.length * h + 8;
    out.push(svgOpen(title, height));
    bars.forEach((b, i) => {
      const y = 4 + i * h;
      const w = Math.max(b.value > 0 ? 1 : 0, (b.value / max) * barRoom);
      out.push(
        `<g class="bar ${b.className}" data-key="${escapeXml(b.key)}">${tip(b)}`,
        `<text class="lbl" x="${left - 6}" y="${y + 10}">${escapeXml(b.name.length > 24 ? `…${b.name.slice(-23)}` : b.name)}</text>`,
        `<rect x="${left}" y="${y + 1}" width="${r1(w)}" height="${h - 3}"/>`,
        `<text class="val" x="${r1(left + w + 4)}" y="${y + 10}">${escapeXml(text(b.value))}</text></g>`,
      );
    });
  } else {
    const height = 120;
    const top = 16;
    const room = height - top - 14;
    const step = (CHART_WIDTH - 8) / bars.length;
    out.push(svgOpen(title, height), `<text class="axis" x="4" y="11">max ${escapeXml(text(max))}</text>`);
    bars.forEach((b, i) => {
      const hgt = (b.value / max) * room;
      out.push(
        `<g class="bar ${b.className}" data-key="${escapeXml(b.key)}">${tip(b)}<rect x="${r1(4 + i * step)}" y="${r1(top + room - hgt)}" width="${r1(Math.max(step, 0.6))}" height="${r1(hgt)}"/></g>`,
      );
    });
    out.push(`<line class="base" x1="4" x2="${CHART_WIDTH - 4}" y1="${top + room}" y2="${top + room}"/>`);
    out.push(`<text class="axis" x="4" y="${height - 2}">${escapeXml(bars[0].name)}</text>`);
    out.push(`<text class="axis end" x="${CHART_WIDTH - 4}" y="${height - 2}">${escapeXml(bars[bars.length - 1].name)}</text>`);
  }
  out.push('</svg>');
  return out.join('');
}

/** Bytes alive at each step of the schedule, as an area; the peak marked with its layer's name. */
export function livenessChart(
  steps: readonly { readonly name: string; readonly bytes: number }[],
  peakAt: string,
  text: (n: number) => string,
): string {
  const height = 140;
  const top = 28;
  const room = height - top - 16;
  const max = Math.max(1, ...steps.map((s) => s.bytes));
  const n = Math.max(1, steps.length - 1);
  const x = (i: number) => r1(4 + (i / n) * (CHART_WIDTH - 8));
  const y = (b: number) => r1(top + room - (b / max) * room);
  const peak = Math.max(
    0,
    steps.findIndex((s) => s.name === peakAt && s.bytes === max),
  );
  const line = steps.map((s, i) => `${x(i)} ${y(s.bytes)}`).join('L');
  const anchor = x(peak) > CHART_WIDTH / 2 ? 'end' : 'start';
  return [
    svgOpen('bytes alive at each step of the schedule', height),
    `<path class="area" d="M${x(0)} ${top + room}L${line}L${x(steps.length - 1)} ${top + room}Z"/>`,
    `<path class="line" d="M${line}"/>`,
    `<g class="peak" data-key="L:${escapeXml(peakAt)}"><title>${escapeXml(`peak: ${text(max)} (${grouped(max)} B) while ${peakAt} runs (step ${peak})`)}</title>`,
    `<circle cx="${x(peak)}" cy="${y(max)}" r="3.5"/>`,
    `<text class="${anchor}" x="${x(peak) + (anchor === 'end' ? -6 : 6)}" y="${top - 8}">peak ${escapeXml(text(max))} at ${escapeXml(peakAt)}</text></g>`,
    `<line class="base" x1="4" x2="${CHART_WIDTH - 4}" y1="${top + room}" y2="${top + room}"/>`,
    `<text class="axis" x="4" y="${height - 2}">step 0 (input)</text>`,
    `<text class="axis end" x="${CHART_WIDTH - 4}" y="${height - 2}">step ${steps.length - 1}</text>`,
    '</svg>',
  ].join('');
}

/**
 * The receptive field's size and stride (the larger of height and width) along the network, in
 * topological order, on a log scale; layers whose field is global are marked along the top.
 */
export function fieldChart(fields: readonly { readonly name: string; readonly field: ReceptiveField }[]): string {
  const height = 150;
  const top = 22;
  const room = height - top - 16;
  const spatial = fields.map((f) => (f.field === 'global' ? undefined : f.field));
  const maxValue = Math.max(2, ...spatial.map((f) => (f ? Math.max(...f.size) : 1)));
  const lmax = Math.log2(maxValue);
  const n = Math.max(1, fields.length - 1);
  const left = 34;
  const x = (i: number) => r1(left + (i / n) * (CHART_WIDTH - left - 4));
  const y = (v: number) => r1(top + room - (Math.log2(Math.max(1, v)) / lmax) * room);
  const ticks = [1, 10, 100, 1000, 10000, 100000].filter((v) => v <= maxValue);
  const series = (pick: (f: { size: readonly number[]; stride: readonly number[] }) => number) => {
    let d = '';
    let pen = false;
    spatial.forEach((f, i) => {
      if (!f) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i)} ${y(pick(f))}`;
      pen = true;
    });
    return d;
  };
  const firstGlobal = fields.findIndex((f) => f.field === 'global');
  const out = [
    svgOpen('receptive field size and stride along the network (log scale)', height),
    `<text class="axis" x="4" y="11">size up to ${grouped(maxValue)} px</text>`,
    `<g class="legend"><line class="size" x1="250" x2="270" y1="7" y2="7"/><text x="274" y="11">size</text><line class="stride" x1="310" x2="330" y1="7" y2="7"/><text x="334" y="11">stride</text></g>`,
    ...ticks.map(
      (v) =>
        `<line class="grid" x1="${left}" x2="${CHART_WIDTH - 4}" y1="${y(v)}" y2="${y(v)}"/><text class="axis end" x="${left - 4}" y="${y(v) + 3}">${grouped(v)}</text>`,
    ),
    `<path class="size" d="${series((f) => Math.max(...f.size))}"/>`,
    `<path class="stride" d="${series((f) => Math.max(...f.stride))}"/>`,
  ];
  if (firstGlobal >= 0) {
    out.push(
      `<g class="global"><title>${escapeXml(`global from ${fields[firstGlobal].name}: the field covers the whole input`)}</title>`,
      `<rect x="${x(firstGlobal)}" y="${top}" width="${r1(Math.max(2, CHART_WIDTH - 4 - x(firstGlobal)))}" height="${room}"/>`,
      `<text class="end" x="${CHART_WIDTH - 6}" y="${top + 12}">global</text></g>`,
    );
  }
  out.push(
    `<line class="base" x1="${left}" x2="${CHART_WIDTH - 4}" y1="${top + room}" y2="${top + room}"/>`,
    `<text class="axis" x="${left}" y="${height - 2}">${escapeXml(fields[0]?.name ?? '')}</text>`,
    `<text class="axis end" x="${CHART_WIDTH - 4}" y="${height - 2}">${escapeXml(fields[fields.length - 1]?.name ?? '')}</text>`,
    '</svg>',
  );
  return out.join('');
}

function svgOpen(label: string, height: number): string {
  return `<svg class="chart" viewBox="0 0 ${CHART_WIDTH} ${height}" width="${CHART_WIDTH}" height="${height}" role="img" aria-label="${escapeXml(label)}">`;
}

function r1(v: number): number {
  return Math.round(v * 10) / 10;
}
