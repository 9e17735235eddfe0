/**
 * Runs a fuzz case through the CLI in-process and judges the outcome. The oracle:
 *
 * - the exit code is 0, 1 or 2, and 1 only where a verdict can fail (`check`, `diff --fail-on`,
 *   `run` with non-finite outputs);
 * - nothing prints a stack trace or an internal error;
 * - on exit 2, every stderr line has one of the accepted forms (ERROR_FORMS below): a positioned
 *   `file:line:col: error: ...` naming the model file (or `<stdin>`, or a bundled file) at a line
 *   the file has, a final `N errors` count matching them (past MAX_DIAGNOSTICS, the rest counted on an
 *   `... and K more problems` line), a `cnnscope: error: ...` usage line
 *   about an option or a binary file of the command line, `sweep`'s positioned line after the point it failed at (or `run`'s refusal of a run too large
 *   for --max-memory), commander's own `error: ...` form, or a warning; no line twice; and no partial report on stdout (except `check`, which reports every
 *   model it could);
 * - on exit 0, JSON output validates against schema/ and has only exact numbers (every number
 *   finite and every integer safe; a null only where the schema allows one), text output has no NaN, Infinity or undefined; per-layer
 *   figures sum to the totals (params, buffers, MACs, FLOPs, activation bytes; by kind; by block);
 *   `run` executes as many MACs as the static count; and the same command prints the same bytes
 *   when run again (times excepted);
 * - no case runs over the time bound;
 * - the fast YAML reader gives up on the model text or gives the full reader's tree (test/graph/fast-reader.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { MAX_DIAGNOSTICS } from '../../src/graph/diagnostics.js';
import { cli, type CliResult } from '../cli/run.js';
import { BINARY_MODEL } from './binary.js';
import type { Case } from './cases.js';
import { applyMutations } from './mutate.js';
import { fastReaderMismatch } from '../graph/fast-reader.js';

/** Outcome classes. `ok`, `exit1` and `exit2` are correct behaviour; every other class is a failure. */
export type OutcomeClass =
  | 'ok'
  | 'exit1'
  | 'exit2'
  | 'internal'
  | 'stack'
  | 'bad-exit'
  | 'unpositioned'
  | 'bad-position'
  | 'duplicate-errors'
  | 'control-chars'
  | 'partial-output'
  | 'stray-stderr'
  | 'schema-invalid'
  | 'inexact'
  | 'sums'
  | 'macs-mismatch'
  | 'nondeterministic'
  | 'slow'
  | 'fast-reader';

export const CORRECT: ReadonlySet<OutcomeClass> = new Set(['ok', 'exit1', 'exit2']);

export interface Outcome {
  readonly cls: OutcomeClass;
  /** What was wrong (the offending line, the schema error, ...); empty for correct outcomes. */
  readonly detail: string;
  readonly ms: number;
  readonly result: CliResult;
  readonly argv: readonly string[];
  readonly stdin?: string;
}

/**
 * The forms a line of stderr may take (see the module comment); `check` adds two, for models it
 * could not analyze: `cnnscope: error: <model>: <positioned line>` and the count of such models.
 */
export const ERROR_FORMS = {
  positioned: /^(.+?):(\d+):(\d+): error: (.+)$/,
  count: /^(\d+) errors$/,
  /** After the most problems a model reports (MAX_DIAGNOSTICS), the rest counted on one line. */
  omitted: /^\.\.\. and ([\d,]+) more problems$/,
  usage: /^cnnscope: error: (.+)$/,
  commander: /^error: .+$/,
  commanderHint: /^\(Did you mean .+\?\)$/,
  warning: /^(.+:\d+:\d+|cnnscope): warning: .+$/,
  continuation: /^ {2,}\S/,
  checkModel: /^cnnscope: error: .+?: (.+?):(\d+):(\d+): error: .+$/,
  checkCount: /^cnnscope: error: \d+ model\(s\) could not be analyzed$/,
  /** `sweep`'s error at a point of its grid: the model's own positioned line, after the point. */
  sweepPoint: /^cnnscope: error: at [^:]+: (.+?):(\d+):(\d+): error: .+$/,
  /** `diff --fail-on`'s verdict, at exit 1. */
  diffVerdict: /^cnnscope: diff: \d+ of \d+ --fail-on conditions? failed: .+$/,
  /** `run` refusing what its options ask for: more memory than --max-memory, a tensor too large to index. */
  runResources:
    /^(the run needs about .+, more than .+; use a smaller --batch or --input-shape, or raise --max-memory|one tensor of this run holds .+)$/,
} as const;

const dir = mkdtempSync(join(tmpdir(), 'cnnscope-fuzz-'));
let fileCounter = 0;

interface Prepared {
  readonly argv: string[];
  readonly stdin?: string;
  /** The model as given on the command line (a path or `<stdin>`), and its text, for positions. */
  readonly modelName: string;
  readonly modelText: string;
  /** Binary files on the command line: errors naming them are file errors, not model errors. */
  readonly binaryFiles: readonly string[];
}

const baseText = new Map<string, string>();
function readBase(path: string): string {
  let text = baseText.get(path);
  if (text === undefined) baseText.set(path, (text = readFileSync(path, 'utf8')));
  return text;
}

const EXPECT_SECTION = '\nexpect:\n  params: {max: 100M}\n  macs: {min: 1}\n  receptive_field: {min: 3}\n';

/** The model text of a model case. */
export function modelText(c: Extract<Case, { source: 'generated' | 'mutated' }>): string {
  if (c.source === 'generated') return c.text;
  const original = c.generated ?? readBase(c.base) + (c.withExpect ? EXPECT_SECTION : '');
  return applyMutations(original, c.mutations);
}

function prepare(c: Case): Prepared {
  if (c.source === 'weights' || c.source === 'npy') {
    const path = join(dir, `${c.source}${fileCounter++}.${c.source === 'weights' ? 'safetensors' : 'npy'}`);
    writeFileSync(path, c.bytes);
    const flag = c.source === 'weights' ? '--weights' : '--input';
    return {
      argv: ['run', BINARY_MODEL, flag, path, '--json', '--max-memory', '256MiB'],
      modelName: BINARY_MODEL,
      modelText: readBase(BINARY_MODEL),
      binaryFiles: [path],
    };
  }
  const text = modelText(c);
  let model = '-';
  if (!c.stdin) {
    model = join(dir, `model${fileCounter++}.yaml`);
    writeFileSync(model, text);
  }
  const sets = c.set.flatMap((s) => ['--set', s]);
  const { name, options } = c.command;
  let argv: string[];
  if (name === 'diff') {
    // Against the unmutated base (a bundled file) or, for generated models, itself with a change.
    const other = c.source === 'mutated' && !c.generated ? c.base : model === '-' ? '-' : model;
    argv = ['diff', model, other, ...options, ...(c.source === 'generated' ? ['--set-b', 'width=3'] : []), ...sets];
  } else argv = [name, model, ...options, ...sets];
  return { argv, ...(c.stdin ? { stdin: text } : {}), modelName: c.stdin ? '<stdin>' : model, modelText: text, binaryFiles: [] };
}

const ajv = new Ajv2020({ strict: true, allErrors: true });
const schemaFile = (name: string) => JSON.parse(readFileSync(new URL(`../../schema/${name}`, import.meta.url), 'utf8'));
const validators = {
  report: ajv.compile(schemaFile('report.schema.json')),
  check: ajv.compile(schemaFile('check.schema.json')),
  run: ajv.compile(schemaFile('run.schema.json')),
  sweep: ajv.compile(schemaFile('sweep.schema.json')),
};

export interface RunOptions {
  /** A case slower than this (ms) is `slow`. */
  readonly timeBound: number;
  /** Run exit-0 cases twice and compare the bytes: passed per case by the campaign, which does it for one case in n. */
  readonly recheck: boolean;
}

export async function runCase(c: Case, options: RunOptions): Promise<Outcome> {
  const p = prepare(c);
  const start = performance.now();
  const result = await cli(p.argv, p.stdin !== undefined ? { stdin: p.stdin } : {});
  const ms = performance.now() - start;
  const done = (cls: OutcomeClass, detail = ''): Outcome => ({
    cls,
    detail,
    ms,
    result,
    argv: p.argv,
    ...(p.stdin !== undefined ? { stdin: p.stdin } : {}),
  });
  const verdict = judge(p, result);
  if (verdict) return done(verdict.cls, verdict.detail);
  const misread = c.source === 'generated' || c.source === 'mutated' ? fastReaderMismatch(p.modelText) : undefined;
  if (misread) return done('fast-reader', misread);
  if (ms > options.timeBound) return done('slow', `${ms.toFixed(0)} ms`);
  if (options.recheck && result.code === 0) {
    const again = await cli(p.argv, p.stdin !== undefined ? { stdin: p.stdin } : {});
    // Only run's times may differ: `"time_ms": 1.2` in JSON, `Time: 1.2 ms, 1 thread, 0.9 GMAC/s` in text.
    const strip = (s: string) =>
      p.argv[0] === 'run' ? s.replace(/"time_ms": [\d.e+-]+/g, '"time_ms": 0').replace(/^Time: .*$/gm, 'Time:') : s;
    if (again.code !== result.code || strip(again.stdout) !== strip(result.stdout) || again.stderr !== result.stderr)
      return done('nondeterministic', 'a second run printed other bytes');
  }
  return done(result.code === 0 ? 'ok' : result.code === 1 ? 'exit1' : 'exit2');
}

/** The outcome of a command run outside a case (a model on stdin, or a bundled one): for known.ts's demos. */
export async function runArgv(argv: readonly string[], stdin?: string): Promise<Outcome> {
  const p: Prepared = {
    argv: [...argv],
    ...(stdin !== undefined ? { stdin } : {}),
    modelName: '<stdin>',
    modelText: stdin ?? '',
    binaryFiles: [],
  };
  const start = performance.now();
  const result = await cli(p.argv, stdin !== undefined ? { stdin } : {});
  const verdict = judge(p, result);
  const cls = verdict?.cls ?? (result.code === 0 ? 'ok' : result.code === 1 ? 'exit1' : 'exit2');
  return {
    cls,
    detail: verdict?.detail ?? '',
    ms: performance.now() - start,
    result,
    argv: p.argv,
    ...(stdin !== undefined ? { stdin } : {}),
  };
}

/** The failure the result shows, or undefined when it is correct behaviour. */
function judge(p: Prepared, r: CliResult): { cls: OutcomeClass; detail: string } | undefined {
  const all = `${r.stdout}\n${r.stderr}`;
  if (/internal error/.test(r.stderr) || r.code === 70) return { cls: 'internal', detail: firstLine(r.stderr) };
  if (/^\s+at .+(:\d+:\d+\)?|\(native\))$/m.test(all) || /^\w*Error: /m.test(r.stderr))
    return { cls: 'stack', detail: firstLine(r.stderr) };
  if (![0, 1, 2].includes(r.code)) return { cls: 'bad-exit', detail: `exit ${r.code}` };
  const command = p.argv[0];
  if (r.code === 1 && !(command === 'check' || command === 'run' || (command === 'diff' && p.argv.includes('--fail-on'))))
    return { cls: 'bad-exit', detail: `exit 1 from ${command}` };
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  // A line is a line: user text quoted in a message must not carry a carriage return or other control character.
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  const control = lines.find((l) => /[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/.test(l));
  if (control) return { cls: 'control-chars', detail: JSON.stringify(control).slice(0, 300) };
  if (r.code === 2) return judgeErrors(p, lines, r, command);
  const stray = lines.find((l) => !ERROR_FORMS.warning.test(l) && !(command === 'diff' && r.code === 1 && ERROR_FORMS.diffVerdict.test(l)));
  if (stray) return { cls: 'stray-stderr', detail: stray };
  if (r.code === 0) return judgeOutput(p, r, command);
  return undefined;
}

function judgeErrors(p: Prepared, lines: string[], r: CliResult, command: string): { cls: OutcomeClass; detail: string } | undefined {
  if (lines.length === 0) return { cls: 'unpositioned', detail: 'exit 2 with nothing on stderr' };
  if (command !== 'check' && r.stdout !== '') return { cls: 'partial-output', detail: firstLine(r.stdout) };
  const seen = new Set<string>();
  let positioned = 0;
  let listing = false;
  const textLines = p.modelText.split('\n').length;
  for (const [i, line] of lines.entries()) {
    if (seen.has(line) && !ERROR_FORMS.warning.test(line)) return { cls: 'duplicate-errors', detail: line };
    seen.add(line);
    const sweepPos = command === 'sweep' ? ERROR_FORMS.sweepPoint.exec(line) : null;
    const pos = sweepPos ?? ERROR_FORMS.positioned.exec(line);
    if (pos && (sweepPos || !line.startsWith('cnnscope: '))) {
      const [, file, ln, col] = pos;
      if (!(file === p.modelName || /(^|\/)architectures\/.+\.ya?ml$/.test(file)))
        return { cls: 'unpositioned', detail: `error names another file: ${line}` };
      if (Number(ln) < 1 || Number(col) < 1 || (file === p.modelName && Number(ln) > textLines + 1))
        return { cls: 'bad-position', detail: line };
      positioned++;
      listing = false;
      continue;
    }
    const omitted = ERROR_FORMS.omitted.exec(line);
    if (omitted) {
      if (i !== lines.length - 2 || positioned !== MAX_DIAGNOSTICS)
        return { cls: 'unpositioned', detail: `omitted line: ${line} after ${positioned} errors` };
      positioned += Number(omitted[1].replace(/,/g, ''));
      continue;
    }
    const count = ERROR_FORMS.count.exec(line);
    if (count) {
      if (i !== lines.length - 1 || Number(count[1]) !== positioned || positioned < 2)
        return { cls: 'unpositioned', detail: `count line: ${line} after ${positioned} errors` };
      continue;
    }
    if (ERROR_FORMS.warning.test(line) || ERROR_FORMS.commander.test(line) || ERROR_FORMS.commanderHint.test(line)) continue;
    if (listing && ERROR_FORMS.continuation.test(line)) continue;
    if (command === 'check' && (ERROR_FORMS.checkModel.test(line) || ERROR_FORMS.checkCount.test(line))) continue;
    const usage = ERROR_FORMS.usage.exec(line);
    if (usage) {
      const msg = usage[1];
      if (
        msg.startsWith('--') ||
        p.binaryFiles.some((f) => msg.startsWith(`${f}: `)) ||
        (command === 'run' && ERROR_FORMS.runResources.test(msg))
      ) {
        // A weights file that does not fit lists the tensors on indented lines after it.
        listing = msg.endsWith(':');
        continue;
      }
    }
    return { cls: 'unpositioned', detail: line };
  }
  return undefined;
}

function judgeOutput(p: Prepared, r: CliResult, command: string): { cls: OutcomeClass; detail: string } | undefined {
  const json = p.argv.includes('--json') || p.argv.join(' ').includes('--format json');
  if (!json) {
    const bad = /\b(NaN|Infinity|undefined)\b|\[object Object\]/.exec(r.stdout);
    return bad ? { cls: 'inexact', detail: `${bad[0]} in the output` } : undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch (e) {
    return { cls: 'schema-invalid', detail: `not JSON: ${(e as Error).message}` };
  }
  const validate =
    command === 'check'
      ? validators.check
      : command === 'run'
        ? validators.run
        : command === 'sweep'
          ? validators.sweep
          : validators.report;
  if (!validate(doc)) return { cls: 'schema-invalid', detail: ajv.errorsText(validate.errors).slice(0, 300) };
  const inexact = findInexact(doc, '$');
  if (inexact) return { cls: 'inexact', detail: inexact };
  if (command === 'analyze') return sums(doc as AnalyzeJson);
  if (command === 'run') {
    const macs = (doc as { macs: { executed: number; static: number } }).macs;
    if (macs.executed !== macs.static) return { cls: 'macs-mismatch', detail: `executed ${macs.executed}, static ${macs.static}` };
  }
  return undefined;
}

/**
 * The path of the first number that is not finite or an integer past 2^53. (Where a null may stand
 * instead of a number, as diff's `relative` when only side A is 0, is the schema's to say.)
 */
function findInexact(v: unknown, path: string): string | undefined {
  if (typeof v === 'number') return !Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v)) ? `${path} = ${v}` : undefined;
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const bad = findInexact(x, `${path}[${i}]`);
      if (bad) return bad;
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const bad = findInexact(x, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

interface Figures {
  params: number;
  macs: number;
  flops: number;
}
interface AnalyzeJson {
  input: { shape: number[] };
  options: { dtype: string };
  totals: Figures & { trainable_params: number; buffers: number; activation_bytes: number };
  layers: (Figures & { trainable_params: number; buffers: number; activation_bytes: number })[];
  by_kind: (Figures & { layers: number })[];
  blocks?: (Figures & { layers: number; activation_bytes: number })[];
}

const DTYPE_BYTES: Record<string, number> = { fp32: 4, fp16: 2, bf16: 2, int8: 1 };

function sums(doc: AnalyzeJson): { cls: OutcomeClass; detail: string } | undefined {
  const total = <T>(rows: readonly T[], key: keyof T) => rows.reduce((a, r) => a + (r[key] as number), 0);
  for (const key of ['params', 'trainable_params', 'buffers', 'macs', 'flops'] as const) {
    if (total(doc.layers, key) !== doc.totals[key])
      return { cls: 'sums', detail: `layers' ${key} sum to ${total(doc.layers, key)}, the total is ${doc.totals[key]}` };
  }
  const inputBytes = doc.input.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[doc.options.dtype];
  if (total(doc.layers, 'activation_bytes') + inputBytes !== doc.totals.activation_bytes)
    return { cls: 'sums', detail: 'activation bytes: layers + input differ from the total' };
  for (const key of ['params', 'macs', 'flops'] as const) {
    if (total(doc.by_kind, key) !== doc.totals[key])
      return { cls: 'sums', detail: `by_kind ${key} sum to ${total(doc.by_kind, key)}, the total is ${doc.totals[key]}` };
    if (doc.blocks && total(doc.blocks, key) !== doc.totals[key])
      return { cls: 'sums', detail: `blocks' ${key} sum to ${total(doc.blocks, key)}, the total is ${doc.totals[key]}` };
  }
  if (total(doc.by_kind, 'layers') !== doc.layers.length) return { cls: 'sums', detail: 'by_kind layers do not count every layer' };
  if (doc.blocks && total(doc.blocks, 'layers') !== doc.layers.length)
    return { cls: 'sums', detail: 'blocks do not fold every layer once' };
  if (doc.blocks && total(doc.blocks, 'activation_bytes') !== total(doc.layers, 'activation_bytes'))
    return { cls: 'sums', detail: "blocks' activation bytes differ from the layers'" };
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '') ?? '';
}
