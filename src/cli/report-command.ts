/** `cnnscope report --html` (declared in report.ts): the analysis as one self-contained, interactive HTML page. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AnalyzeOptions } from '../analysis/report.js';
import { FIGURES, type NodeFigure } from '../report/html/graph-svg.js';
import { htmlReportInput } from '../report/html/input.js';
import { renderHtmlReport } from '../report/html/page.js';
import { grouped } from '../report/units.js';
import { DTYPES, OPTIMIZER_STATES } from '../vocabulary.js';
import { parseBatch, parseChoice, parseDepth } from './options.js';
import { UsageError, type CliIo } from './io.js';
import { loadModel } from './load.js';

/**
 * The most layers a report lays out: ELK takes about 14 s for a 2,000-layer chain and grows faster
 * than linearly; the largest bundled model, efficientnet_v2_l, has 1,098 layers.
 */
export const MAX_REPORT_LAYERS = 4000;

export interface ReportFlags {
  html?: boolean;
  output?: string;
  depth?: string;
  figure: string;
  batch: string;
  dtype: string;
  optimizer: string;
  input?: string;
  set: string[];
  preset?: string;
}

export async function reportCommand(model: string, flags: ReportFlags, io: CliIo): Promise<void> {
  if (flags.output === undefined) throw new UsageError('report: name the output file with -o FILE (or -o - for stdout)');
  const figure = parseChoice('--figure', flags.figure, Object.fromEntries(FIGURES.map((f) => [f, true])) as Record<NodeFigure, true>);
  const depth = flags.depth !== undefined ? parseDepth(flags.depth) : undefined;
  const options: AnalyzeOptions = {
    batch: parseBatch(flags.batch),
    dtype: parseChoice('--dtype', flags.dtype, DTYPES),
    optimizer: parseChoice('--optimizer', flags.optimizer, OPTIMIZER_STATES),
  };
  const graph = await loadModel(model, flags, io);
  const layers = graph.nodes.length - 1;
  if (layers > MAX_REPORT_LAYERS) {
    throw new UsageError(
      `report: ${model} has ${grouped(layers)} layers; the HTML report lays out at most ${grouped(MAX_REPORT_LAYERS)} (the layout's time grows faster than the graph); use analyze or graph`,
    );
  }
  const html = await renderHtmlReport(htmlReportInput(graph, options, depth, figure));
  if (flags.output === '-') {
    io.stdout.write(html);
    return;
  }
  try {
    writeFileSync(resolve(io.cwd, flags.output), html);
  } catch (e) {
    throw new UsageError(`-o ${flags.output}: cannot write the file: ${(e as Error).message}`);
  }
}
