/**
 * `cnnscope check FILES...`: holds models to their expectations (docs/check.md), written in the
 * model file (`expect:`) or in budget files (`--budget`). The check itself is the library's
 * (src/check/plan.ts); this command gives it the file system, renders the results and sets the exit code.
 *
 * Exit 0 when every expectation holds, 1 when one fails, 2 when an input is invalid (a model,
 * an expectation or a budget file: every problem is reported, each at its file:line:col).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CheckInputError, checkModels, type CheckIo, type CheckOutcome, type CheckRequest, type Shard } from '../check/plan.js';
import { describeDiagnostic, escapeUnprintable, ModelError } from '../graph/diagnostics.js';
import { CHECK_FORMATS, githubAnnotations, renderCheck, type CheckFormat } from '../report/check.js';
import { colourFor } from '../report/style.js';
import { resolveFormat } from './format.js';
import { type CliIo, Failed, UsageError } from './io.js';
import { collect } from './options.js';
import { readExternalData, readModelFile, readOnnxFile, readStdinModel, statSafe } from './load.js';

interface CheckFlags {
  budget?: string[];
  format?: string;
  json?: boolean;
  strict?: boolean;
  quiet?: boolean;
  shard?: string;
}

/** `--shard i/n`: 1 <= i <= n; at most 1,000 shards. */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || index < 1 || count < 1 || index > count || count > 1000)
    throw new UsageError(`--shard: expected i/n with 1 <= i <= n <= 1000 (as 2/4), got '${escapeUnprintable(text)}'`);
  return { index, count };
}

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
      const format = resolveFormat<CheckFormat>(flags, CHECK_FORMATS, 'table');
      const budgetFiles = flags.budget ?? [];
      if (models.length === 0 && budgetFiles.length === 0) {
        throw new UsageError('nothing to check: give model files, globs or bundled names, or --budget FILE (see cnnscope check --help)');
      }
      const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
      const { run, errors, warnings } = await checkOnDisk(
        { models, budgets: budgetFiles, strict: flags.strict === true, ...(shard ? { shard } : {}) },
        io,
      );
      io.stdout.write(renderCheck(run, format, colourFor(io.stdout, io.env), { quiet: flags.quiet === true }));
      // After the results: warnings, then every invalid input, which makes the exit code 2.
      if (format === 'github') io.stdout.write(githubAnnotations(errors, 'error') + githubAnnotations(warnings, 'warning'));
      for (const w of warnings)
        io.stderr.write(`${escapeUnprintable(w.file)}:${w.pos.line}:${w.pos.col}: warning: ${describeDiagnostic(w)}\n`);
      if (errors.length > 0) throw new ModelError(errors);
      if (!run.summary.ok) throw new Failed(`${run.summary.failed} expectations failed`);
    });
}

/** The library's check on the file system; an argument naming nothing is a usage error. */
async function checkOnDisk(request: CheckRequest, io: CliIo): Promise<CheckOutcome> {
  const files: { -readonly [K in keyof CheckIo]: CheckIo[K] } = {
    cwd: io.cwd,
    readFile: (path, what) => readModelFile(path, io, what),
    readStdin: () => readStdinModel(io),
    stat: (path) => {
      const stat = statSafe(path);
      return !stat ? undefined : stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
    },
    // Loaded when a pattern is a glob: the other commands do without its code.
    glob: async (pattern) => {
      const { glob } = await import('tinyglobby');
      return glob(pattern, { cwd: io.cwd, onlyFiles: true, absolute: true, expandDirectories: false });
    },
  };
  // The ONNX front end is loaded only when a model argument or a budget file names an .onnx file.
  const budgetTexts = (request.budgets ?? []).map((b) =>
    statSafe(resolve(io.cwd, b))?.isFile() ? readModelFile(b, io, 'budget file') : '',
  );
  if ([...request.models, ...budgetTexts].some((t) => /\.onnx\b/i.test(t))) {
    const { buildOnnxGraph } = await import('../onnx/index.js');
    files.loadOnnx = (path, file, input) =>
      buildOnnxGraph(readOnnxFile(path, io), {
        file,
        ...(input ? { input } : {}),
        external: (t) => readExternalData(path, io, t.external!),
      }).graph;
  }
  try {
    return await checkModels(request, files);
  } catch (e) {
    throw e instanceof CheckInputError ? new UsageError(e.message) : e;
  }
}
