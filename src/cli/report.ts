/** `cnnscope report --html`: the analysis as one self-contained, interactive HTML page. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { AnalyzeOptions } from '../analysis/report.js';
import { FIGURES, type NodeFigure } from '../report/html/graph-svg.js';
import { htmlReportInput } from '../report/html/input.js';
import { renderHtmlReport } from '../report/html/page.js';
import { DTYPES, OPTIMIZER_STATES } from '../vocabulary.js';
import { collect, parseBatch, parseChoice, parseDepth } from './options.js';
import { UsageError, type CliIo } from './io.js';
import { loadModel } from './load.js';

/**
 * The most layers a report lays out: ELK takes about 14 s for a 2,000-layer chain and grows faster
 * than linearly; the largest bundled model, efficientnet_v2_l, has 1,098 layers.
 */
export const MAX_REPORT_LAYERS = 4000;

interface ReportFlags {
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

export function registerReport(program: Command, io: CliIo): void {
  program
    .command('report')
    .description('the analysis as one self-contained HTML page: the layer graph, charts and totals')
    .argument('<model>', 'a model file (YAML or ONNX), a bundled model name (see `cnnscope list`), or - for stdin')
    .option('--html', 'write HTML (the only report format, and the default)')
    .option('-o, --output <file>', 'the file to write, or - for stdout (required)')
    .option('--depth <n>', 'fold the graph into blocks n name levels deep at first (a click expands a block)')
    .option('--figure <name>', 'the figure each node shows: macs, params, activations, rf', 'macs')
    .option('-b, --batch <n>', 'samples per batch; every shape includes it', '1')
    .option('-i, --input <C,H,W>', "override the file's input shape")
    .option('-s, --set <name=value>', 'override a parameter of the file (repeatable)', collect, [])
    .option('-p, --preset <name>', "apply one of the file's presets")
    .option('-d, --dtype <type>', 'element type of weights and activations: fp32, fp16, bf16, int8', 'fp32')
    .option('--optimizer <name>', 'for the training estimate: sgd, momentum, adam', 'sgd')
    .addHelpText(
      'after',
      `
The page works offline (from file://, no request of any kind): the graph laid out as a layered DAG,
nodes coloured by category with their kind, output shape and --figure; blocks fold and unfold;
pan (drag, wheel, arrow keys), zoom (Ctrl+wheel, + and -), search by name, click a node for every figure.
Beside it: bars of MACs, parameters and activation memory per row, the liveness timeline with its
peak, the receptive field along the network, and the totals of \`cnnscope analyze\`.

Examples:
  $ cnnscope report resnet50 --html -o resnet50.html --depth 1
  $ cnnscope report googlenet -o googlenet.html --depth 1 --figure params
  $ cnnscope report model.onnx -o model.html --batch 8 --dtype fp16
  $ cnnscope report resnet152 -o - --depth 2 > resnet152.html`,
    )
    .action(async (model: string, flags: ReportFlags) => {
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
          `report: ${model} has ${layers.toLocaleString('en-US')} layers; the HTML report lays out at most ${MAX_REPORT_LAYERS.toLocaleString('en-US')} (the layout's time grows faster than the graph); use analyze or graph`,
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
    });
}
