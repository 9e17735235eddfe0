/**
 * `cnnscope report`: its options and help. The command (report-command.ts) and the HTML
 * report load only when it runs.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.js';
import { collect } from './options.js';
import type { ReportFlags } from './report-command.js';

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
      const { reportCommand } = await import('./report-command.js');
      await reportCommand(model, flags, io);
    });
}
