/** `cnnscope analyze`: shapes and parameters of every layer, as a table, JSON, Markdown or CSV. */
import type { Command } from 'commander';
import { analyze } from '../analysis/report.js';
import { glyphsFor } from '../report/bars.js';
import { renderCsv } from '../report/csv.js';
import { jsonChunks } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import { colourFor } from '../report/style.js';
import { renderTable } from '../report/table.js';
import { DTYPES, OPTIMIZER_STATES } from '../vocabulary.js';
import { REPORT_FORMATS, resolveFormat } from './format.js';
import { collect, parseBatch, parseChoice, parseDepth } from './options.js';
import { UsageError, writeChunks, type CliIo } from './io.js';
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
  format?: string;
  bars?: boolean;
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
    .option('--depth <n>', 'fold the rows (table, Markdown, CSV; `blocks` in JSON) into blocks n name levels deep (like torchinfo)')
    .option('--by <what>', 'add a breakdown: kind')
    .option('-f, --format <format>', 'table (default), json (docs/report.md), markdown (GitHub) or csv (one row per layer)')
    .option('--json', 'short for --format json')
    .option('--bars', "the table: each row's share of the MACs and of the activations as bars, and a sparkline of live memory")
    .addHelpText(
      'after',
      `
Examples:
  $ cnnscope analyze architectures/lecture/bottleneck.yaml
  $ cnnscope analyze resnet50 --batch 32 --dtype fp16 --depth 1
  $ cnnscope analyze vgg16 --by kind --optimizer adam
  $ cnnscope analyze googlenet --depth 1 --bars
  $ cnnscope analyze resnet --set depth=101 --json | jq .totals
  $ cnnscope analyze resnet50 --depth 1 --format markdown >> $GITHUB_STEP_SUMMARY
  $ cnnscope analyze googlenet --format csv > googlenet.csv
  $ cat model.yaml | cnnscope analyze - --input 3,32,32`,
    )
    .action(async (model: string, flags: AnalyzeFlags) => {
      const format = resolveFormat(flags, REPORT_FORMATS, 'table');
      const graph = await loadModel(model, flags, io);
      const depth = flags.depth !== undefined ? parseDepth(flags.depth) : undefined;
      if (flags.by !== undefined && flags.by !== 'kind') throw new UsageError(`--by ${flags.by}: the only breakdown is 'kind'`);
      if (flags.bars && format !== 'table') throw new UsageError(`--bars draws in the table; it does not apply to --format ${format}`);
      const report = analyze(graph, {
        batch: parseBatch(flags.batch),
        dtype: parseChoice('--dtype', flags.dtype, DTYPES),
        optimizer: parseChoice('--optimizer', flags.optimizer, OPTIMIZER_STATES),
        ...(depth !== undefined ? { depth } : {}),
        ...(flags.bars ? { liveBytes: true } : {}),
      });
      const byKind = flags.by === 'kind';
      // JSON is written in chunks as it is made: that of a huge model is more than one string holds.
      if (format === 'json') return writeChunks(io.stdout, jsonChunks(report));
      const text = {
        table: () => renderTable(report, colourFor(io.stdout, io.env), { byKind, ...(flags.bars ? { bars: glyphsFor(io.env) } : {}) }),
        markdown: () => renderMarkdown(report, { byKind }),
        csv: () => renderCsv(report),
      }[format]();
      io.stdout.write(text);
    });
}
