/**
 * `cnnscope check` as a library call (docs/check.md): which model files to check (arguments,
 * globs, directories, bundled names, or what budget files name), which builds of each the
 * expectations name (a preset, `set` overrides), and the results. Many files in one call; one
 * build per (model, preset, set, input) and one analysis per (build, batch, dtype, optimizer).
 *
 * The outside world comes in through CheckIo (files, stdin, globs), so tests run it on a map of
 * texts and the CLI on the file system. Invalid inputs do not stop the run: every one is
 * collected, each at its file:line:col, and the models that are valid are still checked.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { escapePath, isDynamicPattern } from 'tinyglobby';
import { analyze, AnalysisError, type AnalyzeOptions, type Report } from '../analysis/report.js';
import { bundledModels, unknownModelMessage, type BundledModel } from '../bundled.js';
import { buildModel } from '../graph/build.js';
import { formatDiagnostic, formatWarning, ModelError, type Diagnostic, type SourcePos } from '../graph/diagnostics.js';
import { parseBudget, type Budget, type BudgetEntry, type ExpectGroup } from '../graph/expect.js';
import type { Value } from '../graph/expr.js';
import type { Graph } from '../graph/graph.js';
import { readModelHeader, type ModelHeader } from '../graph/header.js';
import { didYouMean } from '../graph/suggest.js';
import { evaluate, expectationProblems, summarize, type CheckedModel, type CheckResult, type CheckRun } from './evaluate.js';
import { isPathPattern, namePattern } from './patterns.js';

/** What the check needs from outside. */
export interface CheckIo {
  /** Relative paths and globs are taken from here; paths inside it are shown relative to it. */
  readonly cwd: string;
  /** A model or budget file's text; `path` as given (relative to cwd) or absolute. Throws a one-line error naming the file as `what`. */
  readFile(path: string, what: 'file' | 'budget file'): string;
  readStdin(): Promise<string>;
  /** What is at an absolute path. */
  stat(path: string): 'file' | 'directory' | 'other' | undefined;
  /** The files a glob (relative to cwd) matches, as absolute paths, in any order. */
  glob(pattern: string): Promise<readonly string[]>;
  /** The bundled models bundled names and model-name patterns choose from; default the bundled zoo. */
  readonly bundled?: readonly BundledModel[];
  /** The graph of an ONNX file (a path ending in `.onnx`), at `input` when given; throws ModelError. Without it such files are refused. */
  loadOnnx?(path: string, file: string, input: readonly number[] | undefined): Graph;
}

/** A path ending in `.onnx` is an ONNX model, built by CheckIo.loadOnnx, not read as text. */
const ONNX_PATH = /\.onnx$/i;

export interface CheckRequest {
  /** Model files, globs, directories, bundled names, or `-` for stdin. Empty: the models the budgets name. */
  readonly models: readonly string[];
  /** Budget files (paths relative to cwd). */
  readonly budgets?: readonly string[];
  /** A model without expectations fails. */
  readonly strict?: boolean;
  /** Check only this shard of the model files (CI jobs splitting one repository); absent, all. */
  readonly shard?: Shard;
}

/** Shard `index` (1-based) of `count`: every count-th model file of the run, starting at the index-th. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export interface CheckOutcome {
  readonly run: CheckRun;
  /**
   * Invalid inputs, each at its file:line:col, deduplicated: a model that does not build, a
   * budget's preset or parameter the model lacks, an output it does not have, counts beyond 2^53
   * at an expectation's conditions. Any of them makes the check invalid (exit 2), whatever the results.
   */
  readonly errors: readonly Diagnostic[];
  /** Budget patterns that match no model checked. */
  readonly warnings: readonly Diagnostic[];
}

/** An argument that names nothing to check (no such file or bundled model, a glob matching nothing). */
export class CheckInputError extends Error {}

/**
 * Checks models against their expectations and budgets. Throws ModelError for an invalid budget
 * file and CheckInputError for an argument naming nothing, before anything is checked.
 */
export async function checkModels(request: CheckRequest, io: CheckIo): Promise<CheckOutcome> {
  const planner = new Planner(io);
  const budgets = (request.budgets ?? []).map((b) => planner.readBudget(b));
  const specs = request.models.length > 0 ? await planner.specsFromArguments(request.models) : await planner.specsFromBudgets(budgets);
  const checked = await planner.run(specs, budgets, request.shard);
  return { run: summarize(checked, request.strict === true), errors: [...planner.errors.values()], warnings: planner.warnings };
}

/** A model file to check: from the arguments (`explicit`), or found through a budget file. */
interface Spec {
  /** Identity: the absolute path, or `<stdin>`. */
  readonly key: string;
  /** The path shown in output: as given, or relative to the current directory. */
  readonly file: string;
  readonly text: string;
  /** Given as an argument: it is checked even when no expectation names it. */
  readonly explicit: boolean;
  /** A bundled name that is a preset (`resnet50`): the model is the file built with it. */
  readonly preset?: string;
}

/** One build of a model that expectations name: a spec with a preset and parameter overrides. */
interface Target {
  readonly spec: Spec;
  readonly preset?: string;
  readonly set?: ExpectGroup['set'];
  readonly groups: ExpectGroup[];
  /** The spec's own build at the file's input, when this target is that build: not built twice. */
  readonly base?: Graph;
}

type Pattern = BudgetEntry['models'][number];

class Planner {
  /** Keyed by the formatted line, so a problem met by several builds is reported once. */
  readonly errors = new Map<string, Diagnostic>();
  readonly warnings: Diagnostic[] = [];
  /** The models' warnings already in `warnings`, as printed. */
  private readonly modelWarnings = new Set<string>();
  /** Path globs of budget files, expanded once: pattern -> absolute paths. */
  private readonly globbed = new Map<string, ReadonlySet<string>>();
  private readonly bundled: readonly BundledModel[];

  constructor(private readonly io: CheckIo) {
    this.bundled = io.bundled ?? bundledModels();
  }

  readBudget(path: string): Budget {
    const text = this.io.readFile(path, 'budget file');
    return parseBudget(text, this.display(resolve(this.io.cwd, path)));
  }

  /** Paths relative to the current directory when inside it (what CI annotations expect), absolute otherwise. */
  private display(absolute: string): string {
    const rel = relative(this.io.cwd, absolute);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : absolute;
  }

  async specsFromArguments(args: readonly string[]): Promise<Spec[]> {
    const specs: Spec[] = [];
    const add = (s: Spec) => {
      if (!specs.some((x) => x.key === s.key && x.preset === s.preset)) specs.push(s);
    };
    for (const arg of args) {
      if (arg === '-') {
        add({ key: '<stdin>', file: '<stdin>', text: await this.io.readStdin(), explicit: true });
        continue;
      }
      const path = resolve(this.io.cwd, arg);
      const stat = this.io.stat(path);
      if (stat === 'file') {
        add({ key: path, file: this.display(path), text: ONNX_PATH.test(path) ? '' : this.io.readFile(arg, 'file'), explicit: true });
        continue;
      }
      if (stat === 'directory' || isDynamicPattern(arg)) {
        const pattern = stat === 'directory' ? `${escapePath(arg.replace(/[\\/]+$/, ''))}/**/*.{yaml,yml}` : arg;
        const found = await this.glob(pattern);
        if (found.length === 0) throw new CheckInputError(`${arg}: no model files match`);
        for (const p of found)
          add({ key: p, file: this.display(p), text: ONNX_PATH.test(p) ? '' : this.io.readFile(p, 'file'), explicit: true });
        continue;
      }
      const bundled = this.bundled.find((m) => m.name === arg);
      if (!bundled) throw new CheckInputError(unknownModelMessage(arg, this.bundled));
      add({
        key: bundled.path,
        file: this.display(bundled.path),
        text: this.io.readFile(bundled.path, 'file'),
        explicit: true,
        ...(bundled.preset ? { preset: bundled.preset } : {}),
      });
    }
    return specs;
  }

  /** Without files in the arguments: the files budget globs match, and every bundled file for model-name patterns. */
  async specsFromBudgets(budgets: readonly Budget[]): Promise<Spec[]> {
    const specs = new Map<string, Spec>();
    for (const b of budgets) {
      for (const e of b.entries) {
        for (const m of e.models) {
          if (!isPathPattern(m.pattern)) continue;
          for (const p of await this.globPattern(m.pattern)) {
            if (!specs.has(p))
              specs.set(p, { key: p, file: this.display(p), text: ONNX_PATH.test(p) ? '' : this.io.readFile(p, 'file'), explicit: false });
          }
        }
      }
    }
    const names = budgets.some((b) => b.entries.some((e) => e.models.some((m) => !isPathPattern(m.pattern))));
    if (names) {
      for (const m of this.bundled) {
        if (!specs.has(m.path))
          specs.set(m.path, { key: m.path, file: this.display(m.path), text: this.io.readFile(m.path, 'file'), explicit: false });
      }
    }
    return [...specs.values()];
  }

  private async glob(pattern: string): Promise<string[]> {
    const found = await this.io.glob(pattern);
    return found.map((p) => resolve(p)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private async globPattern(pattern: string): Promise<ReadonlySet<string>> {
    let found = this.globbed.get(pattern);
    if (!found) this.globbed.set(pattern, (found = new Set(await this.glob(pattern))));
    return found;
  }

  /** The targets of every spec, then each target checked. */
  async run(specs: readonly Spec[], budgets: readonly Budget[], shard?: Shard): Promise<CheckedModel[]> {
    const matched = new Set<string>();
    // The specs this run checks (an explicit argument, or one a budget matches), before sharding.
    const toCheck: { spec: Spec; header: ModelHeader | undefined; fromBudgets: { group: ExpectGroup; preset?: string }[] }[] = [];
    const targets: Target[] = [];
    for (const spec of specs) {
      // Names, presets and params are needed only to apply budgets.
      const header = budgets.length > 0 && !ONNX_PATH.test(spec.key) ? readModelHeader(spec.text) : undefined;
      // Which budget groups apply to this file, and to which build of it.
      const fromBudgets: { group: ExpectGroup; preset?: string }[] = [];
      for (const b of budgets) {
        for (const e of b.entries) {
          for (const { pattern, preset } of await this.match(e, spec, header)) {
            matched.add(patternKey(b, pattern));
            for (const group of e.groups) fromBudgets.push({ group, ...(preset !== undefined ? { preset } : {}) });
          }
        }
      }
      if (!spec.explicit && fromBudgets.length === 0) continue;
      toCheck.push({ spec, header, fromBudgets });
    }
    // A shard checks every n-th model file of the whole run's list, so the shards together check
    // what one job would, each file in exactly one; matching above ran over all of them.
    for (const [k, c] of toCheck.entries()) {
      if (shard && k % shard.count !== shard.index - 1) continue;
      targets.push(...this.targets(c.spec, c.header, c.fromBudgets));
    }
    // Patterns that match nothing are the whole run's to warn about: the first shard does.
    if (shard && shard.index !== 1) return this.checkTargets(targets);
    for (const b of budgets) {
      for (const e of b.entries) {
        for (const m of e.models) {
          if (matched.has(patternKey(b, m))) continue;
          const names = isPathPattern(m.pattern) ? [] : this.bundled.map((x) => x.name);
          this.warnings.push({
            file: b.file,
            pos: m.pos,
            message: `'${m.pattern}' matches no model checked here${didYouMean(m.pattern, names)}`,
          });
        }
      }
    }
    return this.checkTargets(targets);
  }

  private checkTargets(targets: readonly Target[]): CheckedModel[] {
    const out: CheckedModel[] = [];
    for (const t of targets) {
      const checked = this.checkTarget(t);
      if (checked) out.push(checked);
    }
    return out;
  }

  /** The builds of a spec its own expectations and the budget groups name, each with its groups. */
  private targets(spec: Spec, header: ModelHeader | undefined, fromBudgets: readonly { group: ExpectGroup; preset?: string }[]): Target[] {
    // The file's own expectations come with its build (the front end parses them).
    const built = this.build(spec, spec.preset, undefined, undefined);
    if (!built) return [];
    const base = built.graph;
    const mine: Target[] = [];
    const targetFor = (preset: string | undefined, set: ExpectGroup['set']): Target => {
      const key = setKey(set);
      let t = mine.find((x) => x.preset === preset && setKey(x.set) === key);
      if (!t) {
        const same = preset === spec.preset && (!set || set.length === 0);
        mine.push(
          (t = {
            spec,
            ...(preset !== undefined ? { preset } : {}),
            ...(set && set.length > 0 ? { set } : {}),
            groups: [],
            ...(same ? { base } : {}),
          }),
        );
      }
      return t;
    };
    for (const g of built.expectations ?? []) {
      if (spec.preset !== undefined && g.preset && g.preset.name !== spec.preset) continue;
      targetFor(g.preset?.name ?? spec.preset, g.set).groups.push(g);
    }
    for (const { group, preset } of fromBudgets) {
      if (!this.validVariant(group, spec, header)) continue;
      const t = targetFor(group.preset?.name ?? preset ?? spec.preset, group.set);
      if (!t.groups.includes(group)) t.groups.push(group);
    }
    if (mine.length === 0) mine.push({ spec, ...(spec.preset !== undefined ? { preset: spec.preset } : {}), groups: [], base });
    return mine;
  }

  /** The builds of `spec` an entry's patterns name: the file itself (path globs, its `name`) or its presets. */
  private async match(
    e: BudgetEntry,
    spec: Spec,
    header: ModelHeader | undefined,
  ): Promise<{ pattern: Pattern; preset: string | undefined }[]> {
    const out: { pattern: Pattern; preset: string | undefined }[] = [];
    for (const m of e.models) {
      if (isPathPattern(m.pattern)) {
        if ((await this.globPattern(m.pattern)).has(spec.key)) out.push({ pattern: m, preset: spec.preset });
        continue;
      }
      if (!header) continue;
      const re = namePattern(m.pattern);
      const candidates: { name: string; preset: string | undefined }[] =
        spec.preset !== undefined
          ? [{ name: spec.preset, preset: spec.preset }]
          : [{ name: header.name ?? 'model', preset: undefined }, ...header.presets.map((p) => ({ name: p, preset: p }))];
      for (const c of candidates) if (re.test(c.name)) out.push({ pattern: m, preset: c.preset });
    }
    return out;
  }

  /** A budget group's preset and `set` must exist in the model they are applied to. */
  private validVariant(group: ExpectGroup, spec: Spec, header: ModelHeader | undefined): boolean {
    if (!header) return true; // the build reports what is wrong with the file
    let ok = true;
    if (group.preset && !header.presets.includes(group.preset.name)) {
      this.error({
        file: group.file,
        pos: group.preset.pos,
        message: `${spec.file} has no preset '${group.preset.name}'${didYouMean(group.preset.name, header.presets)} (presets: ${header.presets.join(', ') || 'none'})`,
      });
      ok = false;
    }
    for (const s of group.set ?? []) {
      if (!header.params.includes(s.name)) {
        this.error({
          file: group.file,
          pos: s.pos,
          message: `'set': ${spec.file} has no parameter '${s.name}'${didYouMean(s.name, header.params)} (params: ${header.params.join(', ') || 'none'})`,
        });
        ok = false;
      }
    }
    return ok;
  }

  /** Builds a model; a model error is recorded and the build skipped. */
  private build(
    spec: Spec,
    preset: string | undefined,
    set: ExpectGroup['set'],
    input: readonly number[] | undefined,
  ): ReturnType<typeof buildModel> | undefined {
    try {
      if (ONNX_PATH.test(spec.key)) {
        if (!this.io.loadOnnx) throw new CheckInputError(`${spec.file}: ONNX models are not read here`);
        return { graph: this.io.loadOnnx(spec.key, spec.file, input), expectations: undefined, warnings: [] };
      }
      const model = buildModel(spec.text, {
        file: spec.file,
        ...(preset !== undefined ? { preset } : {}),
        ...(set && set.length > 0 ? { set: Object.fromEntries(set.map((s) => [s.name, s.value])) } : {}),
        ...(input ? { input: [...input] } : {}),
      });
      // A file built more than once (presets, inputs) warns once.
      for (const w of model.warnings) {
        const text = formatWarning(w);
        if (this.modelWarnings.has(text)) continue;
        this.modelWarnings.add(text);
        this.warnings.push(w);
      }
      return model;
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      for (const d of e.diagnostics) this.error(d);
      return undefined;
    }
  }

  /** Evaluates a target's groups: one build per input, one analysis per (input, batch, dtype, optimizer). */
  private checkTarget(t: Target): CheckedModel | undefined {
    const builds = new Map<string, Graph | undefined>(t.base ? [['null', t.base]] : []);
    /** A report, or why there is none (counts beyond 2^53). */
    const reports = new Map<string, Report | AnalysisError>();
    const results: CheckResult[] = [];
    let name: string | undefined;
    let broken = false;
    for (const g of t.groups) {
      const inputKey = JSON.stringify(g.at.input ?? null);
      if (!builds.has(inputKey)) builds.set(inputKey, this.build(t.spec, t.preset, t.set, g.at.input)?.graph);
      const graph = builds.get(inputKey);
      if (!graph) {
        broken = true;
        continue;
      }
      name ??= modelName(graph, t);
      const options = { batch: g.at.batch ?? 1, dtype: g.at.dtype ?? 'fp32', optimizer: g.at.optimizer ?? 'sgd' } as const;
      const reportKey = JSON.stringify([inputKey, options.batch, options.dtype, options.optimizer]);
      if (!reports.has(reportKey)) reports.set(reportKey, analyzeOrError(graph, options));
      const report = reports.get(reportKey)!;
      if (report instanceof AnalysisError) {
        // Named at the line that set the batch (or the input): that is what to change.
        this.error({
          file: g.file,
          pos: g.atPos?.batch ?? g.atPos?.input ?? g.pos,
          message: `${name} at batch ${options.batch.toLocaleString('en-US')}: ${analysisProblem(report)}`,
        });
        broken = true;
        continue;
      }
      const problems = expectationProblems(report, g);
      if (problems.length > 0) {
        for (const p of problems) this.error(p);
        continue;
      }
      results.push(...evaluate(report, g, { name, file: t.spec.file }));
    }
    if (t.groups.length === 0) {
      const graph = t.base ?? this.build(t.spec, t.preset, t.set, undefined)?.graph;
      if (!graph) return undefined;
      name = modelName(graph, t);
    }
    if (name === undefined || (broken && results.length === 0)) return undefined;
    return { model: name, file: t.spec.file, results };
  }

  private error(d: Diagnostic): void {
    const text = formatDiagnostic(d);
    if (!this.errors.has(text)) this.errors.set(text, d);
  }
}

/** The problem without its own `file:line:col: error:` prefix: the layer and its place follow the budget's. */
function analysisProblem(e: AnalysisError): string {
  const d = e.diagnostic;
  if (!d) return e.message;
  const layer = d.layer ? `layer '${d.layer.name}' (${d.layer.kind}) at ` : '';
  return `${layer}${d.file}:${d.pos.line}:${d.pos.col}: ${d.message}`;
}

function analyzeOrError(graph: Graph, options: AnalyzeOptions): Report | AnalysisError {
  try {
    return analyze(graph, options);
  } catch (e) {
    if (e instanceof AnalysisError) return e;
    throw e;
  }
}

function patternKey(b: Budget, m: { pos: SourcePos }): string {
  return `${b.file}:${m.pos.line}:${m.pos.col}`;
}

function setKey(set: ExpectGroup['set']): string {
  return JSON.stringify([...(set ?? [])].map((s) => [s.name, s.value]).sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)));
}

/** The model's name in results: the preset's, or the file's; a build with `set` names its overrides. */
function modelName(graph: Graph, t: Target): string {
  if (!t.set || t.set.length === 0) return graph.name;
  const show = (v: Value) => (typeof v === 'string' ? v : JSON.stringify(v));
  return `${graph.name} (${t.set.map((s) => `${s.name}=${show(s.value)}`).join(', ')})`;
}
