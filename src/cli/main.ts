/**
 * The command line: thin commands over the library. Every failure ends here as one line on
 * stderr and an exit code (see EXIT); a stack trace only with CNNSCOPE_DEBUG=1.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { AnalysisError } from '../analysis/report.js';
import { escapeUnprintable, ModelError } from '../graph/diagnostics.js';
import { registerAnalyze } from './analyze.js';
import { registerCheck } from './check.js';
import { registerDiff } from './diff.js';
import { registerExport } from './export.js';
import { registerGraph } from './graph.js';
import { EXIT, Failed, readStreamText, UsageError, type CliIo } from './io.js';
import { registerList } from './list.js';
import { registerReport } from './report.js';
import { MAX_FILE_BYTES } from './load.js';
import { registerRun } from './run.js';
import { registerSweep } from './sweep.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('cnnscope')
    .description('Static analysis of CNN architectures described in YAML: shapes, parameters, compute, memory, receptive fields.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Examples:
  $ cnnscope analyze resnet50 --depth 1
  $ cnnscope analyze architectures/vgg.yaml --json | jq .totals
  $ cnnscope check --budget examples/ci/budget.yaml 'architectures/**/*.yaml'
  $ cnnscope diff resnet50 resnext50_32x4d --format markdown
  $ cnnscope graph googlenet --depth 2 | dot -Tpng -o googlenet.png
  $ cnnscope report resnet50 --html -o resnet50.html --depth 1
  $ cnnscope run resnet50 --seed 1 --top 5
  $ cnnscope export resnet50 --onnx resnet50.onnx
  $ cnnscope sweep resnet50 --fit 'training_bytes<=24GiB' --optimizer adam
  $ cnnscope list

Exit codes: 0 success; 1 a verdict failed (check: an expectation; diff: a --fail-on condition;
run: a NaN or infinite output); 2 invalid model, input or usage; 70 internal error.
Set NO_COLOR to turn colour off; output to a pipe is never coloured.`,
    );
  registerAnalyze(program, io);
  registerCheck(program, io);
  registerDiff(program, io);
  registerExport(program, io);
  registerGraph(program, io);
  registerList(program, io);
  registerReport(program, io);
  registerRun(program, io);
  registerSweep(program, io);
  for (const cmd of program.commands)
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    return report(e, io);
  }
}

function report(e: unknown, io: CliIo): number {
  // The verdict is printed already (check, diff --fail-on, run's non-finite outputs).
  if (e instanceof Failed) return EXIT.failed;
  if (e instanceof CommanderError) {
    // Commander has printed its own message (help, version, or a usage error).
    return e.exitCode === 0 ? EXIT.ok : EXIT.invalid;
  }
  if (e instanceof ModelError) {
    const n = e.diagnostics.length + e.omitted;
    io.stderr.write(`${e.message}\n`);
    if (n > 1) io.stderr.write(`${n} errors\n`);
    return EXIT.invalid;
  }
  if (e instanceof AnalysisError && e.diagnostic) {
    // Positioned like the model's other errors: `file:line:col: error: layer ...`.
    io.stderr.write(`${e.message}\n`);
    return EXIT.invalid;
  }
  if (e instanceof UsageError || e instanceof AnalysisError) {
    // Line by line: a weights mismatch lists tensors on lines of their own; user text in a line stays in it.
    io.stderr.write(`cnnscope: error: ${e.message.split('\n').map(escapeUnprintable).join('\n')}\n`);
    return EXIT.invalid;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.stderr.write(`cnnscope: internal error: ${err.message} (please report it; run with CNNSCOPE_DEBUG=1 for details)\n`);
  if (io.env['CNNSCOPE_DEBUG']) io.stderr.write(`${err.stack}\n`);
  return EXIT.internal;
}

/** The process entry point used by bin/cnnscope.js. */
export async function main(): Promise<void> {
  // A closed pipe (`cnnscope ... | head`) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: () => readStreamText(process.stdin, MAX_FILE_BYTES),
    env: process.env,
    cwd: process.cwd(),
  };
  process.exitCode = await run(process.argv.slice(2), io);
}
