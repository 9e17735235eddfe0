/** Resolves the model argument (a file, `-` for stdin, or a bundled name) and builds its graph. */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { buildModel } from '../graph/build.js';
import { DiagnosticBag, escapeUnprintable, formatWarning } from '../graph/diagnostics.js';
import type { Value } from '../graph/expr.js';
import type { Graph } from '../graph/graph.js';
import { parseYaml, plain } from '../graph/source.js';
import { parseYamlFast } from '../graph/source-fast.js';
import { findBundled, unknownModelMessage, type BundledModel } from '../bundled.js';
import type { Converted } from '../onnx/convert.js';
import { UsageError, type CliIo } from './io.js';

export interface ModelOptions {
  readonly input?: string;
  readonly set?: readonly string[];
  readonly preset?: string;
}

/** The largest model file read: far beyond any real architecture, and a guard against reading a disk image. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

export async function loadModel(spec: string, options: ModelOptions, io: CliIo): Promise<Graph> {
  return (await modelBuilder(spec, options, io))({});
}

/** What a build may change beyond the command line's options: the input shape, more parameters. */
export interface BuildOverride {
  readonly input?: readonly number[];
  readonly set?: Readonly<Record<string, Value>>;
}

/**
 * Reads the model once and returns a function that builds its graph, with the options and an
 * override (`sweep` builds one model at many points). Warnings are printed at the first build only.
 */
export async function modelBuilder(spec: string, options: ModelOptions, io: CliIo): Promise<(override: BuildOverride) => Graph> {
  if (isOnnxModel(spec, io)) return onnxBuilder(spec, options, io);
  const { text, file, preset } = await readModelText(spec, io);
  const chosenPreset = options.preset ?? preset;
  const input = options.input !== undefined ? parseInputShape(options.input) : undefined;
  const set = options.set ? parseSets(options.set) : undefined;
  let warned = false;
  return (override) => {
    const { graph, warnings } = buildModel(text, {
      file,
      ...(override.input ? { input: [...override.input] } : input ? { input } : {}),
      ...(set || override.set ? { set: { ...set, ...override.set } } : {}),
      ...(chosenPreset !== undefined ? { preset: chosenPreset } : {}),
    });
    if (!warned) for (const w of warnings) io.stderr.write(`${formatWarning(w)}\n`);
    warned = true;
    return graph;
  };
}

/** A path ending in `.onnx` is an ONNX model (src/onnx/, loaded only then). */
export const ONNX_PATH = /\.onnx$/i;

/** Whether the model argument is an ONNX file that exists (`run` reads its weights too). */
export function isOnnxModel(spec: string, io: CliIo): boolean {
  return spec !== '-' && ONNX_PATH.test(spec) && statSafe(resolve(io.cwd, spec)) !== undefined;
}

/** An ONNX file's builder: its graph at an input shape, and the front end's notes (a folded BatchNorm) on stderr at the first build. */
async function onnxBuilder(spec: string, options: ModelOptions, io: CliIo): Promise<(override: BuildOverride) => Graph> {
  const { build } = await onnxReader(spec, options, io);
  return (override) => build(override).graph;
}

/** An ONNX file's bytes and all the front end made of it (the graph, where its weights are, its names), the notes written to stderr. */
export async function loadOnnx(spec: string, options: ModelOptions, io: CliIo): Promise<{ bytes: Uint8Array; converted: Converted }> {
  const { bytes, build } = await onnxReader(spec, options, io);
  return { bytes, converted: build({}) };
}

async function onnxReader(
  spec: string,
  options: ModelOptions,
  io: CliIo,
): Promise<{ bytes: Uint8Array; build: (override: BuildOverride) => Converted }> {
  if (options.set && options.set.length > 0) throw new UsageError(`--set: ${spec} is an ONNX model, which has no parameters to set`);
  if (options.preset !== undefined) throw new UsageError(`--preset: ${spec} is an ONNX model, which has no presets`);
  const { buildOnnxGraph } = await import('../onnx/index.js');
  const bytes = readOnnxFile(spec, io);
  const input = options.input !== undefined ? parseInputShape(options.input) : undefined;
  let noted = false;
  const build = (override: BuildOverride): Converted => {
    if (override.set && Object.keys(override.set).length > 0) {
      throw new UsageError(`--set: ${spec} is an ONNX model, which has no parameters to set`);
    }
    const shape = override.input ?? input;
    const converted = buildOnnxGraph(bytes, {
      file: spec,
      ...(shape !== undefined ? { input: shape } : {}),
      external: (t) => readExternalData(spec, io, t.external!),
    });
    if (!noted) for (const n of converted.notes) io.stderr.write(`note: ${escapeUnprintable(spec)}: ${n}\n`);
    noted = true;
    return converted;
  };
  return { bytes, build };
}

/** The most bytes protobuf encodes in one message (2 GB): a larger ONNX file keeps its weights as external data. */
const MAX_ONNX_BYTES = 2 ** 31 - 1;

/** An ONNX file's bytes, refused in one line when it is no regular file or over 2 GB. */
export function readOnnxFile(spec: string, io: CliIo): Uint8Array {
  const path = resolve(io.cwd, spec);
  const stat = statSafe(path);
  if (!stat) throw new UsageError(`${spec}: no such file`);
  if (!stat.isFile()) throw new UsageError(`${spec}: is not a file`);
  if (stat.size > MAX_ONNX_BYTES) {
    throw new UsageError(
      `${spec}: the file is larger than 2 GB, the most one protobuf message holds; save the model with its weights as external data`,
    );
  }
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${spec}: cannot read the file: ${(e as Error).message}`);
  }
}

/**
 * The bytes of a tensor stored as external data: `location` relative to the model's folder (never
 * outside it), at `offset`, `length` bytes; undefined when the file is not there.
 */
export function readExternalData(
  spec: string,
  io: CliIo,
  where: { readonly location: string; readonly offset: number; readonly length: number | undefined },
): Uint8Array | undefined {
  const dir = dirname(resolve(io.cwd, spec));
  const path = resolve(dir, where.location);
  if (where.location === '' || isAbsolute(where.location) || relative(dir, path).startsWith('..')) return undefined;
  try {
    const data = readFileSync(path);
    const end = where.length !== undefined ? where.offset + where.length : data.length;
    return end <= data.length ? data.subarray(where.offset, end) : undefined;
  } catch {
    return undefined;
  }
}

async function readModelText(spec: string, io: CliIo): Promise<{ text: string; file: string; preset?: string }> {
  if (spec === '-') return { text: await readStdinModel(io), file: '<stdin>' };
  const path = resolve(io.cwd, spec);
  if (statSafe(path)) return { text: readModelFile(spec, io, 'file'), file: spec };
  const found = findBundledOrThrow(spec);
  return { text: readFileSync(found.path, 'utf8'), file: found.path, ...(found.preset ? { preset: found.preset } : {}) };
}

export async function readStdinModel(io: CliIo): Promise<string> {
  const text = await io.readStdin();
  if (text.length > MAX_FILE_BYTES)
    throw new UsageError(`<stdin>: the model is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB; refusing it`);
  return text;
}

/** Reads a model or budget file, refusing what is not a regular file of a sane size, in one line. */
export function readModelFile(spec: string, io: CliIo, what = 'file'): string {
  const path = resolve(io.cwd, spec);
  const stat = statSafe(path);
  if (!stat) throw new UsageError(`${spec}: no such ${what}`);
  if (stat.isDirectory()) throw new UsageError(`${spec}: is a directory, not a model file`);
  if (!stat.isFile()) throw new UsageError(`${spec}: is not a file`);
  if (stat.size > MAX_FILE_BYTES) throw new UsageError(`${spec}: the file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB; refusing it`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${spec}: cannot read the file: ${(e as Error).message}`);
  }
}

/** A bundled model by name, or the one-line error that suggests close names. */
export function findBundledOrThrow(name: string): BundledModel {
  const found = findBundled(name);
  if (found) return found;
  throw new UsageError(unknownModelMessage(name));
}

export function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** `--input 3,224,224` (or `3x224x224`, or one number for flat features). */
export function parseInputShape(text: string): number[] {
  const parts = text.split(/[,x×]/).map((s) => s.trim());
  const dims = parts.map(Number);
  if ((dims.length !== 3 && dims.length !== 1) || !dims.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new UsageError(`--input ${text}: expected C,H,W of positive integers, like 3,224,224`);
  }
  return dims;
}

/**
 * `--set depth=101`: the value is read as YAML, so `true`, `101` and `[1, 2]` keep their types.
 * It is read as a model file is, under the same limits: an alias of the value that contains it
 * (`&a [*a]`, a value containing itself), an alias bomb or nesting past 200 levels is refused.
 */
export function parseSets(sets: readonly string[]): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${escapeUnprintable(s)}: expected name=value, like depth=101`);
    const name = s.slice(0, eq).trim();
    const text = s.slice(eq + 1);
    const bag = new DiagnosticBag('--set');
    // The fast reader gives a tree only where the full one reads the text without a problem.
    const located = parseYamlFast(text) ?? parseYaml(text, bag);
    const problem = bag.sorted()[0]?.message;
    if (problem !== undefined || located === undefined) {
      throw new UsageError(`--set ${escapeUnprintable(s)}: ${setProblem(text, problem)}`);
    }
    // Defined, not assigned: `__proto__=5` must reach the front end as a name, to be refused there.
    Object.defineProperty(out, name, { value: plain(located), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** What is wrong with a `--set` value, from the YAML reader's first problem. */
function setProblem(text: string, problem: string | undefined): string {
  if (problem === undefined || problem.startsWith('malformed YAML')) return 'the value is not valid YAML';
  // The reader knows no anchor inside its own node: here, an alias of the value that contains it.
  const alias = /^unknown alias \*(.+)$/.exec(problem);
  if (alias && text.includes(`&${alias[1]}`)) return `alias *${alias[1]} is inside the value it names: a value cannot contain itself`;
  return escapeUnprintable(problem);
}
