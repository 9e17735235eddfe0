/**
 * `cnnscope sweep`: its options and help. The command (sweep-command.ts) and its renderers load
 * only when it runs.
 */
import type { Command } from 'commander';
import { MAX_SWEEP_POINTS } from '../analysis/sweep.js';
import { grouped } from '../report/units.js';
import { TOTALS } from '../vocabulary.js';
import type { CliIo } from './io.js';
import { collect } from './options.js';
import type { SweepFlags } from './sweep-command.js';

export function registerSweep(program: Command, io: CliIo): void {
  program
    .command('sweep')
    .description("a model's totals over input resolutions, batches or parameter values, and the largest batch that fits a bound")
    .argument('<model>', 'a model file, a bundled model name (see `cnnscope list`), or - for stdin')
    .option(
      '-r, --resolution <values>',
      'input heights and widths: a range start:stop:step (inclusive) or a list, like 128:512:32 or 224,320',
    )
    .option('-b, --batch <values>', 'batch sizes: a list or a range, like 1,8,32,128 or 1:64:1')
    .option(
      '-s, --set <name=values>',
      'a parameter of the file: one value holds at every point; a list, like width=0.5,1,2, is an axis (repeatable)',
      collect,
      [],
    )
    .option('-i, --input <C,H,W>', 'the input shape at every point (--resolution replaces its height and width)')
    .option('-p, --preset <name>', "apply one of the file's presets")
    .option('-d, --dtype <type>', 'element type of weights and activations: fp32, fp16, bf16, int8', 'fp32')
    .option('--optimizer <name>', 'for the training estimate: sgd, momentum, adam', 'sgd')
    .option(
      '--fit <bound>',
      "find the largest batch (or --fit-over resolution) within a bound like 'training_bytes<=24GiB' (repeatable: all must hold)",
      collect,
      [],
    )
    .option(
      '--fit-over <axis>',
      'what --fit searches: batch (default; 1 to 1,048,576, or the --batch values) or resolution (the --resolution values)',
    )
    .option('-f, --format <format>', 'table (default), csv, json (schema/sweep.schema.json) or html (a chart per total)')
    .option('--json', 'short for --format json')
    .option('--html', 'short for --format html')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addHelpText(
      'after',
      `
Axes: the grid is every combination of --resolution, --batch and each --set list (the last varying fastest),
at most ${grouped(MAX_SWEEP_POINTS)} points. Every figure is the one \`analyze\` reports at that point (docs/metrics.md).

--fit bounds a total (${TOTALS.join(', ')}) with <= or <; counts take decimal units (25M, 4.1G),
bytes binary ones (24GiB). The answer is exact: a bisection over whole numbers, and the next value up
is shown with the bound it breaks. With other axes, there is one answer per point of them.

Examples:
  $ cnnscope sweep resnet50 --batch 1,8,32 --format csv
  $ cnnscope sweep resnet50 --resolution 128:512:32 --dtype fp16
  $ cnnscope sweep efficientnet_b0 --resolution 224,320 --batch 1,32 --html -o sweep.html
  $ cnnscope sweep mobilenet_v2 --set width_mult=0.5,0.75,1,1.4
  $ cnnscope sweep resnet50 --fit 'training_bytes<=24GiB' --optimizer adam
  $ cnnscope sweep resnet50 --fit 'training_bytes<=24GiB' --fit 'peak_activation_bytes<=4GiB' --resolution 224,320,448`,
    )
    .action(async (model: string, flags: SweepFlags) => {
      const { sweepCommand } = await import('./sweep-command.js');
      await sweepCommand(model, flags, io);
    });
}
