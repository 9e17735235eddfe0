/**
 * What the HTML report shows, gathered from the analyses: the report, the graph view at every fold
 * level, and the bytes alive at each step of the schedule. The page (page.ts) only formats it.
 */
import { liveBytes, outputBytes } from '../../analysis/memory.js';
import { schedule } from '../../analysis/schedule.js';
import { analyze, type AnalyzeOptions } from '../../analysis/report.js';
import type { Graph } from '../../graph/graph.js';
import { graphView } from '../graph-view.js';
import type { NodeFigure } from './graph-svg.js';
import type { HtmlLevel, HtmlReportInput } from './page.js';

/**
 * The fold levels of the page: every depth that folds the graph differently, from the most
 * folded, then every layer. The level shown first is the folding of `depth` (every layer without one).
 */
export function htmlReportInput(graph: Graph, options: AnalyzeOptions, depth: number | undefined, figure: NodeFigure): HtmlReportInput {
  const report = analyze(graph, options);
  const deepest = Math.max(1, ...graph.nodes.map((n) => n.name.split('.').length));
  const levels: HtmlLevel[] = [];
  const rowsAt = new Map<number, number>();
  for (let d = 1; d < deepest; d++) {
    const folded = analyze(graph, { ...options, depth: d });
    const rows = folded.blocks!;
    rowsAt.set(d, rows.length);
    if (rows.length === report.layers.length) break;
    if (levels.length > 0 && levels[levels.length - 1].rows.length === rows.length) continue;
    levels.push({ depth: d, view: graphView(graph, folded, d), rows });
  }
  levels.push({ view: graphView(graph, report), rows: report.layers });
  // A depth folds like the kept level with as many rows (foldings only refine as the depth grows).
  const wanted = depth === undefined ? report.layers.length : (rowsAt.get(depth) ?? report.layers.length);
  const start = Math.max(
    0,
    levels.findIndex((l) => l.rows.length === wanted),
  );
  const live = liveBytes(graph, outputBytes(graph, options.batch ?? 1, options.dtype ?? 'fp32'));
  const at = schedule(graph).order;
  return { report, levels, start, figure, liveness: live.map((bytes, i) => ({ name: graph.nodes[at[i]].name, bytes })) };
}
