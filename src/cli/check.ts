/**
 * `cnnscope check FILES...`: holds models to their expectations (docs/check.md), written in the
 * model file (`expect:`) or in budget files (`--budget`). Many files and globs in one process;
 * one build per (model, preset, set, input) and one analysis per (build, batch, dtype, optimizer).
 *
 * Exit 0 when every expectation holds, 1 when one fails, 2 when an input is invalid (a model,
 * an expectation or a budget file: every problem is reported, each at its file:line:col).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { escapePath, glob, isDynamicPattern } from 'tinyglobby';
import { evaluate, expectationProblems, summarize, type CheckedModel, type CheckResult } from '../analysis/check.js';
import { analyze, AnalysisError, type Report } from '../analysis/report.js';
import { buildModel, type Model } from '../graph/build.js';
import { DiagnosticBag, formatDiagnostic, ModelError, type Diagnostic, type SourcePos } from '../graph/diagnostics.js';
import { parseBudget, type Budget, type BudgetEntry, type ExpectGroup } from '../graph/expect.js';
import type { Value } from '../graph/expr.js';
import type { Graph } from '../graph/graph.js';
import { entry, parseYaml } from '../graph/source.js';
import { didYouMean } from '../graph/suggest.js';
import { CHECK_FORMATS, githubAnnotations, renderCheck, type CheckFormat } from '../report/check.js';
import { colourFor } from '../report/style.js';
import { bundledModels } from './bundled.js';
import { resolveFormat } from './format.js';
import { type CliIo, Failed, UsageError } from './io.js';
import { collect } from './options.js';
import { findBundledOrThrow, readModelFile, readStdinModel, statSafe } from './load.js';


interface CheckFlags {
  budget?: string[];
  format?: string;
  json?: boolean;
  strict?: boolean;
  quiet?: boolean;
}

/** The largest model or budget file read, as `analyze`. */

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
  $ cnnscope check --budget budget.yaml --format junit > cnnscope.xml`,
    )
    .action(async (models: string[], flags: CheckFlags) => {
      const format = resolveFormat<CheckFormat>(flags, CHECK_FORMATS, 'table');
      const budgetFiles = flags.budget ?? [];
      if (models.length === 0 && budgetFiles.length === 0) {
        throw new UsageError('nothing to check: give model files, globs or bundled names, or --budget FILE (see cnnscope check --help)');
      }
      const checker = new Checker(io);
      const budgets = budgetFiles.map((b) => checker.readBudget(b));
      const specs = models.length > 0 ? await checker.specsFromArguments(models) : await checker.specsFromBudgets(budgets);
      const checked = await checker.run(specs, budgets);
      const run = summarize(checked, flags.strict === true);
      io.stdout.write(renderCheck(run, format, colourFor(io.stdout, io.env), { quiet: flags.quiet === true }));
      checker.finish(format);
      if (!run.summary.ok) throw new Failed(`${run.summary.failed} expectations failed`);
    });
}

/** A model file to check: from the command line (`explicit`), or found through a budget file. */
interface Spec {
  /** Identity: the absolute path, or `<stdin>`. */
  readonly key: string;
  /** The path shown in output: as given, or relative to the current directory. */
  readonly file: string;
  readonly text: string;
  /** Given on the command line: it is checked even when no expectation names it. */
  readonly explicit: boolean;
  /** A bundled name that is a preset (`resnet50`): the model is the file built with it. */
  readonly preset?: string;
}

/** What a model file offers for name matching: its `name`, presets and params. */
interface ModelInfo {
  readonly name: string;
  readonly presets: readonly string[];
  readonly params: readonly string[];
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

class Checker {
  private readonly errors = new Map<string, Diagnostic>();
  private readonly problems: string[] = [];
  private readonly warnings: Diagnostic[] = [];
  /** Path globs of budget files, expanded once: pattern -> absolute paths. */
  private readonly globbed = new Map<string, ReadonlySet<string>>();

  constructor(private readonly io: CliIo) {}

  readBudget(path: string): Budget {
    const text = readModelFile(path, this.io, 'budget file');
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
        add({ key: '<stdin>', file: '<stdin>', text: await readStdinModel(this.io), explicit: true });
        continue;
      }
      const path = resolve(this.io.cwd, arg);
      const stat = statSafe(path);
      if (stat?.isFile()) {
        add({ key: path, file: this.display(path), text: readModelFile(arg, this.io), explicit: true });
        continue;
      }
      if (stat?.isDirectory() || isDynamicPattern(arg)) {
        const pattern = stat?.isDirectory() ? `${escapePath(arg.replace(/[\\/]+$/, ''))}/**/*.{yaml,yml}` : arg;
        const found = await this.glob(pattern);
        if (found.length === 0) throw new UsageError(`${arg}: no model files match`);
        for (const p of found) add({ key: p, file: this.display(p), text: readModelFile(p, this.io), explicit: true });
        continue;
      }
      const bundled = findBundledOrThrow(arg);
      add({ key: bundled.path, file: this.display(bundled.path), text: readFileSync(bundled.path, 'utf8'), explicit: true, ...(bundled.preset ? { preset: bundled.preset } : {}) });
    }
    return specs;
  }

  /** Without files on the command line: the files budget globs match, and every bundled file for model-name patterns. */
  async specsFromBudgets(budgets: readonly Budget[]): Promise<Spec[]> {
    const specs = new Map<string, Spec>();
    for (const b of budgets) {
      for (const e of b.entries) {
        for (const m of e.models) {
          if (!isPathPattern(m.pattern)) continue;
          for (const p of await this.globPattern(m.pattern)) {
            if (!specs.has(p)) specs.set(p, { key: p, file: this.display(p), text: readModelFile(p, this.io), explicit: false });
          }
        }
      }
    }
    const names = budgets.some((b) => b.entries.some((e) => e.models.some((m) => !isPathPattern(m.pattern))));
    if (names) {
      for (const m of bundledModels()) {
        if (!specs.has(m.path)) specs.set(m.path, { key: m.path, file: this.display(m.path), text: readFileSync(m.path, 'utf8'), explicit: false });
      }
    }
    return [...specs.values()];
  }

  private async glob(pattern: string): Promise<string[]> {
    const found = await glob(pattern, { cwd: this.io.cwd, onlyFiles: true, absolute: true, expandDirectories: false });
    return found.map((p) => resolve(p)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private async globPattern(pattern: string): Promise<ReadonlySet<string>> {
    let found = this.globbed.get(pattern);
    if (!found) this.globbed.set(pattern, (found = new Set(await this.glob(pattern))));
    return found;
  }

  async run(specs: readonly Spec[], budgets: readonly Budget[]): Promise<CheckedModel[]> {
    const matched = new Set<string>();
    const targets: Target[] = [];
    for (const spec of specs) {
      // Names, presets and params are needed only to apply budgets.
      const info = budgets.length > 0 ? modelInfo(spec.text) : undefined;
      // Which budget groups apply to this file, and to which build of it.
      const fromBudgets: { group: ExpectGroup; preset?: string }[] = [];
      for (const b of budgets) {
        for (const e of b.entries) {
          const presets = await this.match(e, spec, info);
          for (const { pattern, preset } of presets) {
            matched.add(patternKey(b, pattern));
            for (const group of e.groups) fromBudgets.push({ group, ...(preset !== undefined ? { preset } : {}) });
          }
        }
      }
      if (!spec.explicit && fromBudgets.length === 0) continue;
      // The file's own expectations, from its build (the front end parses them).
      const built = this.build(spec, spec.preset, undefined, undefined);
      if (!built) continue;
      const base = built.graph;
      const mine: Target[] = [];
      const targetFor = (preset: string | undefined, set: ExpectGroup['set']): Target => {
        const key = setKey(set);
        let t = mine.find((x) => x.preset === preset && setKey(x.set) === key);
        if (!t) {
          const same = preset === spec.preset && (!set || set.length === 0);
          mine.push((t = { spec, ...(preset !== undefined ? { preset } : {}), ...(set && set.length > 0 ? { set } : {}), groups: [], ...(same ? { base } : {}) }));
        }
        return t;
      };
      for (const g of built.expectations ?? []) {
        if (spec.preset !== undefined && g.preset && g.preset.name !== spec.preset) continue;
        targetFor(g.preset?.name ?? spec.preset, g.set).groups.push(g);
      }
      for (const { group, preset } of fromBudgets) {
        if (!this.validVariant(group, spec, info)) continue;
        const t = targetFor(group.preset?.name ?? preset ?? spec.preset, group.set);
        if (!t.groups.includes(group)) t.groups.push(group);
      }
      if (mine.length === 0) mine.push({ spec, ...(spec.preset !== undefined ? { preset: spec.preset } : {}), groups: [], base });
      targets.push(...mine);
    }
    for (const b of budgets) {
      for (const e of b.entries) {
        for (const m of e.models) {
          if (matched.has(patternKey(b, m))) continue;
          const names = isPathPattern(m.pattern) ? [] : bundledModels().map((x) => x.name);
          this.warnings.push({ file: b.file, pos: m.pos, message: `'${m.pattern}' matches no model checked here${didYouMean(m.pattern, names)}` });
        }
      }
    }
    const out: CheckedModel[] = [];
    for (const t of targets) {
      const checked = this.checkTarget(t);
      if (checked) out.push(checked);
    }
    return out;
  }

  /** The builds of `spec` an entry's patterns name: the file itself (path globs, its `name`) or its presets. */
  private async match(e: BudgetEntry, spec: Spec, info: ModelInfo | undefined): Promise<{ pattern: BudgetEntry['models'][number]; preset: string | undefined }[]> {
    const out: { pattern: BudgetEntry['models'][number]; preset: string | undefined }[] = [];
    for (const m of e.models) {
      if (isPathPattern(m.pattern)) {
        if ((await this.globPattern(m.pattern)).has(spec.key)) out.push({ pattern: m, preset: spec.preset });
        continue;
      }
      if (!info) continue;
      const re = namePattern(m.pattern);
      const candidates: { name: string; preset: string | undefined }[] =
        spec.preset !== undefined ? [{ name: spec.preset, preset: spec.preset }] : [{ name: info.name, preset: undefined }, ...info.presets.map((p) => ({ name: p, preset: p }))];
      for (const c of candidates) if (re.test(c.name)) out.push({ pattern: m, preset: c.preset });
    }
    return out;
  }

  /** A budget group's preset and `set` must exist in the model they are applied to. */
  private validVariant(group: ExpectGroup, spec: Spec, info: ModelInfo | undefined): boolean {
    if (!info) return true; // the build reports what is wrong with the file
    let ok = true;
    if (group.preset && !info.presets.includes(group.preset.name)) {
      this.error({ file: group.file, pos: group.preset.pos, message: `${spec.file} has no preset '${group.preset.name}'${didYouMean(group.preset.name, info.presets)} (presets: ${info.presets.join(', ') || 'none'})` });
      ok = false;
    }
    for (const s of group.set ?? []) {
      if (!info.params.includes(s.name)) {
        this.error({ file: group.file, pos: s.pos, message: `'set': ${spec.file} has no parameter '${s.name}'${didYouMean(s.name, info.params)} (params: ${info.params.join(', ') || 'none'})` });
        ok = false;
      }
    }
    return ok;
  }

  /** Builds a model; a model error is recorded (exit 2) and the build skipped. */
  private build(spec: Spec, preset: string | undefined, set: ExpectGroup['set'], input: readonly number[] | undefined): Model | undefined {
    try {
      return buildModel(spec.text, {
        file: spec.file,
        ...(preset !== undefined ? { preset } : {}),
        ...(set && set.length > 0 ? { set: Object.fromEntries(set.map((s) => [s.name, s.value])) as Record<string, Value> } : {}),
        ...(input ? { input: [...input] } : {}),
      });
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      for (const d of e.diagnostics) this.error(d);
      return undefined;
    }
  }

  /** Evaluates a target's groups: one build per input, one analysis per (input, batch, dtype, optimizer). */
  private checkTarget(t: Target): CheckedModel | undefined {
    const builds = new Map<string, Graph | undefined>(t.base ? [['null', t.base]] : []);
    const reports = new Map<string, Report | undefined>();
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
      if (!reports.has(reportKey)) reports.set(reportKey, this.analyze(graph, options, name));
      const report = reports.get(reportKey);
      if (!report) {
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

  private analyze(graph: Graph, options: Parameters<typeof analyze>[1], name: string): Report | undefined {
    try {
      return analyze(graph, options);
    } catch (e) {
      if (!(e instanceof AnalysisError)) throw e;
      this.problems.push(`${name}: ${e.message}`);
      return undefined;
    }
  }

  private error(d: Diagnostic): void {
    const text = formatDiagnostic(d);
    if (!this.errors.has(text)) this.errors.set(text, d);
  }

  /** After the results: warnings, then every invalid input, which makes the exit code 2. */
  finish(format: CheckFormat): void {
    const errors = [...this.errors.values()];
    if (format === 'github') this.io.stdout.write(githubAnnotations(errors, 'error') + githubAnnotations(this.warnings, 'warning'));
    for (const w of this.warnings) this.io.stderr.write(`${w.file}:${w.pos.line}:${w.pos.col}: warning: ${w.message}\n`);
    if (this.problems.length > 0) {
      for (const p of this.problems) this.io.stderr.write(`cnnscope: error: ${p}\n`);
      if (errors.length === 0) throw new AnalysisError(`${this.problems.length} model(s) could not be analyzed`);
    }
    if (errors.length > 0) throw new ModelError(errors);
  }
}

/** Budget patterns with a path separator or a `.yaml`/`.yml` ending are path globs; others are model names. */
export function isPathPattern(pattern: string): boolean {
  return /[/\\]/.test(pattern) || /\.ya?ml$/.test(pattern);
}

/** A model-name pattern: `*` any text, `?` one character, `{a,b}` either; the rest literal. */
export function namePattern(pattern: string): RegExp {
  let re = '';
  let depth = 0;
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '{') {
      re += '(?:';
      depth++;
    } else if (ch === '}' && depth > 0) {
      re += ')';
      depth--;
    } else if (ch === ',' && depth > 0) re += '|';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  while (depth-- > 0) re += ')';
  return new RegExp(`^${re}$`);
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

/** A file's `name`, presets and params, read without building it (for model-name patterns). */
function modelInfo(text: string): ModelInfo | undefined {
  const root = parseYaml(text, new DiagnosticBag('')); // a malformed file is reported by its build
  if (!root || root.type !== 'map') return undefined;
  const keys = (k: string) => {
    const e = entry(root, k);
    return e?.value.type === 'map' ? e.value.entries.map((x) => x.key) : [];
  };
  const name = entry(root, 'name');
  return {
    name: name?.value.type === 'scalar' && typeof name.value.value === 'string' ? name.value.value : 'model',
    presets: keys('presets'),
    params: keys('params'),
  };
}
