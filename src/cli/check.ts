/**
 * `cnnscope check`: its options and help. The command (check-command.ts), with the check's
 * planner, its renderers and the glob matcher, loads only when it runs.
 */
import type { Command } from 'commander';
import type { CheckFlags } from './check-command.js';
import type { CliIo } from './io.js';
import { collect } from './options.js';

export function registerCheck(program: Command, io: CliIo): void {
  program
    .command('check')
    .description('check models against their expectations (an `expect:` section, or a --budget file); exit 1 if one fails')
    .argument('[models...]', "model files, globs ('models/**/*.yaml'), directories, bundled model names, or - for stdin")
    .option('--budget <file>', 'a budget file mapping model names and globs to expectations (repeatable)', collect)
    .option('-f, --format <format>', 'table (default), json, markdown, csv, github (workflow annotations) or junit (JUnit XML)')
    .option('--json', 'short for --format json')
    .option('--strict', 'a model without expectations fails')
    .option('-q, --quiet', 'table and markdown: only failures and the summary')
    .option('--shard <i/n>', 'check the i-th of n shares of the model files (parallel CI jobs; together they check what one job does)')
    .addHelpText(
      'after',
      `
Expectations (docs/check.md), in the model file or a budget file:
  expect:
    params: {max: 30M}            # bounds on any total; an exact value means equal
    macs: {min: 1G, max: 5G}
    peak_activation_bytes: {max: 512MiB}
    output: [N, 1000]             # the first output's shape; N is the batch
    receptive_field: {min: 400}   # every axis of the (last spatial) receptive field

Formats: table (one line per expectation, failures first), json, markdown, csv,
github (::error annotations on the expectation's line), junit (JUnit XML).

Exit codes: 0 every expectation holds, 1 one failed, 2 an input is invalid or the command is misused.

Examples:
  $ cnnscope check 'models/**/*.yaml'
  $ cnnscope check --budget examples/ci/budget.yaml 'architectures/**/*.yaml'
  $ cnnscope check --budget budget.yaml --format github
  $ cnnscope check --budget budget.yaml --format junit > cnnscope.xml
  $ cnnscope check --budget budget.yaml --shard 2/4     # the second of 4 parallel CI jobs`,
    )
    .action(async (models: string[], flags: CheckFlags) => {
      const { checkCommand } = await import('./check-command.js');
      await checkCommand(models, flags, io);
    });
}
