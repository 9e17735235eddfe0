/** `cnnscope analyze`: shapes and parameters of every layer, as a table or JSON. */
import type { Command } from 'commander';
import { analyze } from '../analysis/report.js';
import { renderJson } from '../report/json.js';
import { colourFor } from '../report/style.js';
import { renderTable } from '../report/table.js';
import { DTYPES, OPTIMIZER_STATES } from '../analysis/memory.js';
import { parseBatch, parseChoice, parseDepth } from './options.js';
import { UsageError, type CliIo } from './io.js';
import { loadModel } from './load.js';

interface AnalyzeFlags {
  batch: string;
  dtype: string;
  optimizer: string;
  depth?: string;
  by?: string;
  input?: string;
  set: string[];
  preset?: string;
  json?: boolean;
}

export function registerAnalyze(program: Command, io: CliIo): void {
  program
    .command('analyze')
    .description('shapes and parameters of every layer of a model, with totals')
    .argument('<model>', 'a model file, a bundled model name (see `cnnscope list`), or - for stdin')
    .option('-b, --batch <n>', 'samples per batch; every shape includes it', '1')
    .option('-i, --input <C,H,W>', "override the file's input shape")
    .option('-s, --set <name=value>', 'override a parameter of the file (repeatable)', collect, [])
    .option('-p, --preset <name>', "apply one of the file's presets")
    .option('-d, --dtype <type>', 'element type of weights and activations: fp32, fp16, bf16, int8', 'fp32')
    .option('--optimizer <name>', 'for the training estimate: sgd, momentum, adam', 'sgd')
    .option('--depth <n>', 'fold the table into blocks n name levels deep (like torchinfo)')
    .option('--by <what>', 'add a breakdown: kind')
    .option('--json', 'print the JSON report (docs/report.md) instead of the table')
    .addHelpText(
      'after',
      `
Examples:
  $ cnnscope analyze architectures/lecture/bottleneck.yaml
  $ cnnscope analyze resnet50 --batch 32 --dtype fp16 --depth 1
  $ cnnscope analyze vgg16 --by kind --optimizer adam
  $ cnnscope analyze resnet --set depth=101 --json | jq .totals
  $ cat model.yaml | cnnscope analyze - --input 3,32,32`,
    )
    .action(async (model: string, flags: AnalyzeFlags) => {
      const graph = await loadModel(model, flags, io);
      const depth = flags.depth !== undefined ? parseDepth(flags.depth) : undefined;
      if (flags.by !== undefined && flags.by !== 'kind') throw new UsageError(`--by ${flags.by}: the only breakdown is 'kind'`);
      const report = analyze(graph, {
        batch: parseBatch(flags.batch),
        dtype: parseChoice('--dtype', flags.dtype, DTYPES),
        optimizer: parseChoice('--optimizer', flags.optimizer, OPTIMIZER_STATES),
        ...(depth !== undefined ? { depth } : {}),
      });
      io.stdout.write(flags.json ? renderJson(report) : renderTable(report, colourFor(io.stdout, io.env), { byKind: flags.by === 'kind' }));
    });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
