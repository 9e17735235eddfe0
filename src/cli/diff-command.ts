/**
 * `cnnscope diff A [B]` (declared in diff.ts): two models, or one model under two sets of options, compared: totals side
 * by side, then the layers added, removed or changed. `--fail-on` conditions turn a change into
 * exit code 1, for CI.
 */
import { DiffError, diffReports, parseConditions, type Condition, type Diff } from '../analysis/diff.js';
import { DTYPES, OPTIMIZER_STATES } from '../vocabulary.js';
import { analyze, type AnalyzeOptions } from '../analysis/report.js';
import { renderDiffCsv, renderDiffMarkdown, renderDiffTable } from '../report/diff.js';
import { jsonChunks } from '../report/json.js';
import { colourFor } from '../report/style.js';
import { REPORT_FORMATS, resolveFormat } from './format.js';
import { type CliIo, Failed, UsageError, writeChunks } from './io.js';
import { loadModel, type ModelOptions } from './load.js';
import { parseBatch, parseChoice, parseDepth } from './options.js';

export interface DiffFlags {
  format?: string;
  json?: boolean;
  batch: string;
  dtype: string;
  optimizer: string;
  depth?: string;
  input?: string;
  inputA?: string;
  inputB?: string;
  set: string[];
  setA: string[];
  setB: string[];
  preset?: string;
  presetA?: string;
  presetB?: string;
  failOn: string[];
}

export async function diffCommand(specA: string, specB: string | undefined, flags: DiffFlags, io: CliIo): Promise<void> {
  const format = resolveFormat(flags, REPORT_FORMATS, 'table');
  let conditions: Condition[];
  try {
    conditions = parseConditions(flags.failOn);
  } catch (e) {
    if (e instanceof DiffError) throw new UsageError(e.message);
    throw e;
  }
  const depth = flags.depth !== undefined ? parseDepth(flags.depth) : undefined;
  const options: AnalyzeOptions = {
    batch: parseBatch(flags.batch),
    dtype: parseChoice('--dtype', flags.dtype, DTYPES),
    optimizer: parseChoice('--optimizer', flags.optimizer, OPTIMIZER_STATES),
    ...(depth !== undefined ? { depth } : {}),
  };
  const sideA = sideOptions(flags, 'a');
  const sideB = sideOptions(flags, 'b');
  const second = specB ?? specA;
  if (specB === undefined && sideA.own.length === 0 && sideB.own.length === 0) {
    throw new UsageError(
      `diff with one model needs --set-a/--set-b, --input-a/--input-b or --preset-a/--preset-b to make the two sides differ (or give a second model)`,
    );
  }
  // Both sides may name stdin (one model under two sets of options): read it once.
  let stdin: Promise<string> | undefined;
  const once: CliIo = { ...io, readStdin: () => (stdin ??= io.readStdin()) };
  const reportA = analyze(await loadModel(specA, sideA.model, once), options);
  const reportB = analyze(await loadModel(second, sideB.model, once), options);
  const diff = diffReports(reportA, reportB, {
    labels: [label(specA, sideA.own), label(second, sideB.own)],
    blocks: depth !== undefined,
    failOn: conditions,
  });
  await write(diff, format, io);
  const failed = diff.fail_on.filter((r) => r.failed);
  if (failed.length > 0) {
    io.stderr.write(
      `cnnscope: diff: ${failed.length} of ${diff.fail_on.length} --fail-on conditions failed: ${failed.map((r) => r.condition).join(', ')}\n`,
    );
    throw new Failed(failed.map((r) => r.condition).join(', '));
  }
}

async function write(diff: Diff, format: (typeof REPORT_FORMATS)[number], io: CliIo): Promise<void> {
  switch (format) {
    case 'json':
      // In chunks as it is made: the diff of two huge models is more than one string holds.
      return writeChunks(io.stdout, jsonChunks(diff));
    case 'markdown':
      io.stdout.write(renderDiffMarkdown(diff));
      return;
    case 'csv':
      io.stdout.write(renderDiffCsv(diff));
      return;
    case 'table':
      io.stdout.write(renderDiffTable(diff, colourFor(io.stdout, io.env)));
      return;
  }
}

/** A side's model options (shared ones, then its own, which win), and its own as label text. */
function sideOptions(flags: DiffFlags, side: 'a' | 'b'): { model: ModelOptions; own: string[] } {
  const sets = side === 'a' ? flags.setA : flags.setB;
  const input = side === 'a' ? flags.inputA : flags.inputB;
  const preset = side === 'a' ? flags.presetA : flags.presetB;
  const own = [
    ...(preset !== undefined ? [`--preset ${preset}`] : []),
    ...sets.map((s) => `--set ${s}`),
    ...(input !== undefined ? [`--input ${input}`] : []),
  ];
  const chosenInput = input ?? flags.input;
  const chosenPreset = preset ?? flags.preset;
  return {
    model: {
      set: [...flags.set, ...sets],
      ...(chosenInput !== undefined ? { input: chosenInput } : {}),
      ...(chosenPreset !== undefined ? { preset: chosenPreset } : {}),
    },
    own,
  };
}

function label(spec: string, own: readonly string[]): string {
  return [spec, ...own].join(' ');
}
