/**
 * `cnnscope check FILES...` (declared in check.ts): holds models to their expectations (docs/check.md), written in the
 * model file (`expect:`) or in budget files (`--budget`). The check itself is the library's
 * (src/check/plan.ts); this command gives it the file system, renders the results and sets the exit code.
 *
 * Exit 0 when every expectation holds, 1 when one fails, 2 when an input is invalid (a model,
 * an expectation or a budget file: every problem is reported, each at its file:line:col).
 */
import { resolve } from 'node:path';
import { CheckInputError, checkModels, type CheckIo, type CheckOutcome, type CheckRequest, type Shard } from '../check/plan.js';
import { describeDiagnostic, escapeUnprintable, ModelError } from '../graph/diagnostics.js';
import { CHECK_FORMATS, githubAnnotations, renderCheck, type CheckFormat } from '../report/check.js';
import { colourFor } from '../report/style.js';
import { resolveFormat } from './format.js';
import { type CliIo, Failed, UsageError } from './io.js';
import { readExternalData, readModelFile, readOnnxFile, readStdinModel, statSafe } from './load.js';

export interface CheckFlags {
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

export async function checkCommand(models: string[], flags: CheckFlags, io: CliIo): Promise<void> {
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
  for (const w of warnings) io.stderr.write(`${escapeUnprintable(w.file)}:${w.pos.line}:${w.pos.col}: warning: ${describeDiagnostic(w)}\n`);
  if (errors.length > 0) throw new ModelError(errors);
  if (!run.summary.ok) throw new Failed(`${run.summary.failed} expectations failed`);
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
