/**
 * `cnnscope diff`: its options and help. The command (diff-command.ts) and its renderers load
 * only when it runs.
 */
import type { Command } from 'commander';
import { DIFF_METRICS } from '../analysis/diff.js';
import type { DiffFlags } from './diff-command.js';
import type { CliIo } from './io.js';
import { collect } from './options.js';

export function registerDiff(program: Command, io: CliIo): void {
  program
    .command('diff')
    .description('compare two models, or one model under two sets of options: totals, and the layers added, removed or changed')
    .argument('<a>', 'side A: a model file, a bundled name, or - for stdin')
    .argument('[b]', 'side B (default: the same model as A, with --set-b, --input-b or --preset-b making the difference)')
    .option('-f, --format <format>', 'table (default), json, markdown (for a pull-request comment) or csv (the rows that differ)')
    .option('--json', 'short for --format json')
    .option(
      '--fail-on <conditions>',
      'exit 1 when a change breaks a condition: params>+5%, macs>+1G, peak_activation_bytes>+10%, params<-5% (comma-separated, repeatable)',
      collect,
      [],
    )
    .option('-s, --set <name=value>', 'override a parameter on both sides (repeatable)', collect, [])
    .option('--set-a <name=value>', 'override a parameter of side A (repeatable)', collect, [])
    .option('--set-b <name=value>', 'override a parameter of side B (repeatable)', collect, [])
    .option('-i, --input <C,H,W>', 'the input shape of both sides')
    .option('--input-a <C,H,W>', 'the input shape of side A')
    .option('--input-b <C,H,W>', 'the input shape of side B')
    .option('-p, --preset <name>', 'a preset of the file(s), both sides')
    .option('--preset-a <name>', 'a preset for side A')
    .option('--preset-b <name>', 'a preset for side B')
    .option('-b, --batch <n>', 'samples per batch, both sides', '1')
    .option('-d, --dtype <type>', 'fp32, fp16, bf16, int8, both sides', 'fp32')
    .option('--optimizer <name>', 'sgd, momentum, adam (the training estimate), both sides', 'sgd')
    .option('--depth <n>', 'compare blocks folded n name levels deep instead of layers')
    .addHelpText(
      'after',
      `
Layers are matched by name. A layer is changed when its kind, output shape, parameters, MACs or
FLOPs differ. A condition METRIC>N or METRIC<N (also >=, <=) compares the change from A to B with N:
a percentage of A with %, otherwise an amount in the metric's unit, as budgets write it:
counts with K M G T (powers of 1000), bytes with KiB MiB GiB TiB (powers of 1024).
Metrics: ${DIFF_METRICS.join(', ')}.

Examples:
  $ cnnscope diff resnet50 resnext50_32x4d
  $ cnnscope diff resnet --set-a depth=50 --set-b depth=101 --format markdown > comment.md
  $ cnnscope diff resnet50 --input-a 3,224,224 --input-b 3,320,320
  $ cnnscope diff old.yaml new.yaml --fail-on 'params>+5%,macs>+1G'
  $ cnnscope diff resnet50 wide_resnet50_2 --depth 1 --json | jq .totals.params`,
    )
    .action(async (specA: string, specB: string | undefined, flags: DiffFlags) => {
      const { diffCommand } = await import('./diff-command.js');
      await diffCommand(specA, specB, flags, io);
    });
}
