/**
 * Expectations for `cnnscope check` (docs/check.md): bounds on a model's totals, its output
 * shapes and its receptive field, at a given input, batch, dtype and optimizer. They are parsed
 * here, in the front end, from the located tree of a model's `expect` section or of a budget file,
 * so every expectation keeps the line and column it was written at and nothing after the front end
 * reads YAML again. Nothing here analyzes a model: src/check/evaluate.ts evaluates expectations
 * against a report.
 *
 * Invalid expectations (an unknown total, a bad unit, min above max) are model errors: one line
 * with file:line:col, exit 2.
 */
import { grouped, type DiagnosticBag, type SourcePos } from './diagnostics.js';
import type { Value } from './expr.js';
import { entry, plain, type Located, type MapEntry } from './source.js';
import { readLocated } from './source-fast.js';
import { didYouMean } from './suggest.js';
import { EXAMPLE, parseQuantity, type Unit } from '../quantity.js';
import { COUNT_TOTALS, DTYPES, MAX_BATCH, OPTIMIZER_STATES, TOTALS, type Dtype, type Optimizer, type TotalName } from '../vocabulary.js';

/** Keys that say where the expectations hold: the input size, batch, dtype and optimizer. */
const AT_KEYS = ['input', 'batch', 'dtype', 'optimizer'] as const;
/** Keys that say which build of the model: a preset, parameter overrides. */
const VARIANT_KEYS = ['preset', 'set'] as const;
const EXPECTATION_KEYS = [...TOTALS, 'output', 'outputs', 'receptive_field'] as const;
const GROUP_KEYS = [...VARIANT_KEYS, ...AT_KEYS, ...EXPECTATION_KEYS] as const;
const BUDGET_ENTRY_KEYS = ['models', ...VARIANT_KEYS, ...AT_KEYS, 'expect'] as const;

/** `max`: actual <= value; `min`: actual >= value; `equal`: actual == value. */
export type Relation = 'min' | 'max' | 'equal';

interface Written {
  /** The expected value as written (`30M`), or a plain number grouped (`25,557,032`). */
  readonly text: string;
  /** Where the expectation was written: the bound's key (`max`), or the metric's key for an exact value. */
  readonly pos: SourcePos;
}

export interface TotalExpectation extends Written {
  readonly kind: 'total';
  readonly metric: TotalName;
  readonly relation: Relation;
  readonly value: number;
}

/** A shape with the batch; `'N'` in the first place stands for the batch, whatever it is. */
export type ExpectedShape = readonly (number | 'N')[];

export interface OutputExpectation extends Written {
  readonly kind: 'output';
  /** The output layer's name (`outputs: {fc: ...}`), or undefined for the first output (`output: ...`). */
  readonly name?: string;
  readonly shape: ExpectedShape;
}

/** Bounds every axis of the receptive field's size: of the first output, or the last spatial field before a global one. */
export interface FieldExpectation extends Written {
  readonly kind: 'receptive_field';
  readonly relation: Relation;
  readonly value: number;
}

export type Expectation = TotalExpectation | OutputExpectation | FieldExpectation;

/** Where the expectations hold; each key absent means the default (the file's input, batch 1, fp32, sgd). */
export interface ExpectAt {
  readonly input?: readonly number[];
  readonly batch?: number;
  readonly dtype?: Dtype;
  readonly optimizer?: Optimizer;
}

/** Expectations that hold together: for one build of a model (preset, `set`), at one input, batch, dtype and optimizer. */
export interface ExpectGroup {
  /** The file the expectations were written in: the model file or a budget file. */
  readonly file: string;
  readonly pos: SourcePos;
  readonly preset?: { readonly name: string; readonly pos: SourcePos };
  /** Parameter overrides, as `--set`; each with the position of its key. */
  readonly set?: readonly { readonly name: string; readonly value: Value; readonly pos: SourcePos }[];
  readonly at: ExpectAt;
  /** Where each of `at`'s keys was written (in the group, or in its budget entry), for errors about the conditions. */
  readonly atPos?: { readonly [K in keyof ExpectAt]?: SourcePos };
  readonly items: readonly Expectation[];
}

/** A budget file: which models (names or globs) must meet which expectations. */
export interface Budget {
  readonly file: string;
  readonly entries: readonly BudgetEntry[];
}

export interface BudgetEntry {
  readonly pos: SourcePos;
  /**
   * What the entry applies to, each a path glob (`architectures/**\/*.yaml`: anything with a `/`,
   * or ending in `.yaml`/`.yml`) or a model name (`resnet50`, `resnet*`: a preset or a file's `name`).
   */
  readonly models: readonly { readonly pattern: string; readonly pos: SourcePos }[];
  readonly groups: readonly ExpectGroup[];
}

type LocatedMap = Located & { type: 'map' };

/**
 * The `expect` section of a model file (undefined when there is none). Preset names and `set`
 * parameters are checked against the file's `presets` and `params`.
 */
export function parseModelExpectations(root: LocatedMap, bag: DiagnosticBag, file: string): ExpectGroup[] | undefined {
  const section = entry(root, 'expect');
  if (!section) return undefined;
  const presets = entry(root, 'presets');
  const params = entry(root, 'params');
  const known = {
    presets: presets?.value.type === 'map' ? presets.value.entries.map((e) => e.key) : [],
    params: params?.value.type === 'map' ? params.value.entries.map((e) => e.key) : [],
  };
  const parser = new ExpectParser(bag, file);
  const groups = parser.groups(section.value, {}, "'expect'");
  for (const g of groups) {
    if (g.preset && !known.presets.includes(g.preset.name)) {
      bag.error(
        g.preset.pos,
        `no preset '${g.preset.name}'${didYouMean(g.preset.name, known.presets)} (presets: ${known.presets.join(', ') || 'none'})`,
      );
    }
    for (const s of g.set ?? []) {
      if (!known.params.includes(s.name)) {
        bag.error(
          s.pos,
          `'set': the model has no parameter '${s.name}'${didYouMean(s.name, known.params)} (params: ${known.params.join(', ') || 'none'})`,
        );
      }
    }
  }
  return groups;
}

/** Parses a budget file (docs/check.md); throws ModelError with every problem, each at its line and column. */
export function parseBudget(text: string, file: string): Budget {
  return readLocated(text, file, (root, bag) => budgetOf(root, bag, file));
}

function budgetOf(root: Located, bag: DiagnosticBag, file: string): Budget {
  const entries: BudgetEntry[] = [];
  const parser = new ExpectParser(bag, file);
  if (root.type !== 'map') {
    bag.error(root.pos, 'a budget file is a map with `budgets`, a list of {models, expect} entries');
    bag.throwIfAny();
  }
  const map = root as LocatedMap;
  for (const e of map.entries) {
    if (e.key !== 'budgets') bag.error(e.keyPos, `unknown key '${e.key}'${didYouMean(e.key, ['budgets'])} (a budget file has: budgets)`);
  }
  const budgets = entry(map, 'budgets');
  if (!budgets) bag.error(map.pos, "missing 'budgets': a list of {models, expect} entries");
  else if (budgets.value.type !== 'seq') bag.error(budgets.value.pos, "'budgets' must be a list of {models, expect} entries");
  else {
    for (const item of budgets.value.items) {
      const parsed = parser.budgetEntry(item);
      if (parsed) entries.push(parsed);
    }
  }
  bag.throwIfAny();
  return { file, entries };
}

/** The keys a group may set besides its expectations, inherited from a budget entry. */
interface GroupDefaults {
  readonly preset?: ExpectGroup['preset'];
  readonly set?: ExpectGroup['set'];
  readonly at?: ExpectAt;
  readonly atPos?: ExpectGroup['atPos'];
}

class ExpectParser {
  constructor(
    private readonly bag: DiagnosticBag,
    private readonly file: string,
  ) {}

  budgetEntry(node: Located): BudgetEntry | undefined {
    if (node.type !== 'map') {
      this.bag.error(node.pos, 'a budget entry is a map: {models: NAME or GLOB, expect: {...}}');
      return undefined;
    }
    let ok = this.onlyKeys(node, BUDGET_ENTRY_KEYS, 'a budget entry');
    const models = entry(node, 'models');
    const expect = entry(node, 'expect');
    const patterns: { pattern: string; pos: SourcePos }[] = [];
    if (!models) {
      this.bag.error(node.pos, "a budget entry needs 'models': a model name or a path glob, or a list of them");
      ok = false;
    } else {
      const items = models.value.type === 'seq' ? models.value.items : [models.value];
      for (const m of items) {
        if (m.type !== 'scalar' || typeof m.value !== 'string' || m.value.trim() === '') {
          this.bag.error(m.pos, "'models' must be a model name or a path glob (text), or a list of them");
          ok = false;
        } else patterns.push({ pattern: m.value.trim(), pos: m.pos });
      }
      if (items.length === 0) {
        this.bag.error(models.value.pos, "'models' is empty");
        ok = false;
      }
    }
    const defaults = this.defaults(node);
    if (!expect) {
      this.bag.error(node.pos, "a budget entry needs 'expect': the expectations its models must meet");
      return undefined;
    }
    const groups = this.groups(expect.value, defaults ?? {}, "'expect'");
    return ok && defaults ? { pos: node.pos, models: patterns, groups } : undefined;
  }

  /** `expect: {...}` or `expect: [{...}, ...]`: one group, or several at different inputs or builds. */
  groups(node: Located, defaults: GroupDefaults, what: string): ExpectGroup[] {
    const items = node.type === 'seq' ? node.items : [node];
    if (items.length === 0) this.bag.error(node.pos, `${what} is empty: give a map of expectations, or a list of them`);
    const out: ExpectGroup[] = [];
    for (const item of items) {
      const g = this.group(item, defaults, what);
      if (g) out.push(g);
    }
    return out;
  }

  private group(node: Located, defaults: GroupDefaults, what: string): ExpectGroup | undefined {
    if (node.type !== 'map') {
      this.bag.error(node.pos, `${what} must be a map of expectations, like {params: {max: 30M}, output: [N, 1000]}`);
      return undefined;
    }
    let ok = this.onlyKeys(node, GROUP_KEYS, 'expectations');
    const own = this.defaults(node);
    if (!own) ok = false;
    const items: Expectation[] = [];
    for (const e of node.entries) {
      if ((TOTALS as readonly string[]).includes(e.key)) {
        const metric = e.key as TotalName;
        const unit: Unit = (COUNT_TOTALS as readonly string[]).includes(metric) ? (metric as Unit) : 'bytes';
        const bounds = this.bounds(e, unit);
        if (bounds) for (const b of bounds) items.push({ kind: 'total', metric, ...b });
        else ok = false;
      } else if (e.key === 'receptive_field') {
        const bounds = this.bounds(e, 'pixels');
        if (bounds) for (const b of bounds) items.push({ kind: 'receptive_field', ...b });
        else ok = false;
      } else if (e.key === 'output') {
        const shape = this.shape(e.value, "'output'");
        if (shape) items.push({ kind: 'output', shape: shape.shape, text: shape.text, pos: e.keyPos });
        else ok = false;
      } else if (e.key === 'outputs') {
        if (e.value.type !== 'map' || e.value.entries.length === 0) {
          this.bag.error(e.value.pos, "'outputs' must map output layer names to shapes, like {fc: [N, 1000], aux1.fc2: [N, 1000]}");
          ok = false;
          continue;
        }
        for (const o of e.value.entries) {
          const shape = this.shape(o.value, `output '${o.key}'`);
          if (shape) items.push({ kind: 'output', name: o.key, shape: shape.shape, text: shape.text, pos: o.keyPos });
          else ok = false;
        }
      }
    }
    if (ok && items.length === 0) {
      this.bag.error(node.pos, `no expectations here: give at least one of ${EXPECTATION_KEYS.join(', ')}`);
      ok = false;
    }
    if (!ok || !own) return undefined;
    const preset = own.preset ?? defaults.preset;
    const set = mergeSets(defaults.set, own.set);
    const atPos = { ...defaults.atPos, ...own.atPos };
    return {
      file: this.file,
      pos: node.pos,
      ...(preset ? { preset } : {}),
      ...(set ? { set } : {}),
      at: { ...defaults.at, ...own.at },
      ...(Object.keys(atPos).length > 0 ? { atPos } : {}),
      items,
    };
  }

  /** The preset, `set` and where-keys of a map; undefined when one of them is invalid. */
  private defaults(node: LocatedMap): GroupDefaults | undefined {
    let ok = true;
    const out: {
      preset?: ExpectGroup['preset'];
      set?: ExpectGroup['set'];
      at: { -readonly [K in keyof ExpectAt]: ExpectAt[K] };
      atPos: { -readonly [K in keyof ExpectAt]?: SourcePos };
    } = { at: {}, atPos: {} };
    for (const e of node.entries) {
      const v = e.value;
      if ((AT_KEYS as readonly string[]).includes(e.key)) out.atPos[e.key as keyof ExpectAt] = e.keyPos;
      switch (e.key) {
        case 'preset':
          if (v.type === 'scalar' && typeof v.value === 'string' && v.value !== '') out.preset = { name: v.value, pos: v.pos };
          else ok = this.fail(v.pos, "'preset' must be the name of one of the model's presets");
          break;
        case 'set':
          if (v.type === 'map') out.set = v.entries.map((s) => ({ name: s.key, value: (plain(s.value) ?? null) as Value, pos: s.keyPos }));
          else ok = this.fail(v.pos, "'set' must map parameter names to values, like {depth: 101}");
          break;
        case 'input': {
          const dims = v.type === 'seq' ? v.items.map((d) => (d.type === 'scalar' ? d.value : undefined)) : [];
          if (
            v.type === 'seq' &&
            (dims.length === 3 || dims.length === 1) &&
            dims.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d > 0)
          ) {
            out.at.input = dims as number[];
          } else ok = this.fail(v.pos, "'input' must be [channels, height, width] (or [features]) of positive integers, without the batch");
          break;
        }
        case 'batch':
          if (v.type === 'scalar' && typeof v.value === 'number' && Number.isSafeInteger(v.value) && v.value >= 1 && v.value <= MAX_BATCH)
            out.at.batch = v.value;
          else ok = this.fail(v.pos, `'batch' must be an integer from 1 to ${grouped(MAX_BATCH)}`);
          break;
        case 'dtype':
        case 'optimizer': {
          const choices = Object.keys(e.key === 'dtype' ? DTYPES : OPTIMIZER_STATES);
          const text = v.type === 'scalar' ? String(v.value) : '';
          if (v.type === 'scalar' && typeof v.value === 'string' && choices.includes(v.value)) {
            if (e.key === 'dtype') out.at.dtype = v.value as Dtype;
            else out.at.optimizer = v.value as Optimizer;
          } else
            ok = this.fail(
              v.pos,
              `'${e.key}' must be one of ${choices.join(', ')}${v.type === 'scalar' ? `, got '${text}'${didYouMean(text, choices)}` : ''}`,
            );
          break;
        }
      }
    }
    return ok ? out : undefined;
  }

  /** `params: 25557032` (exact) or `params: {min: 1M, max: 30M}` (either or both). */
  private bounds(e: MapEntry, unit: Unit): { relation: Relation; value: number; text: string; pos: SourcePos }[] | undefined {
    const v = e.value;
    if (v.type === 'scalar') {
      const q = this.quantity(v, unit, e.key);
      return q ? [{ relation: 'equal', ...q, pos: e.keyPos }] : undefined;
    }
    if (v.type !== 'map') {
      this.bag.error(v.pos, `'${e.key}' must be a value (exactly) or {min: ..., max: ...}, like {max: ${EXAMPLE[unit]}}`);
      return undefined;
    }
    let ok = this.onlyKeys(v, ['min', 'max'], `'${e.key}'`);
    const out: { relation: Relation; value: number; text: string; pos: SourcePos }[] = [];
    for (const b of v.entries) {
      if (b.key !== 'min' && b.key !== 'max') continue;
      const q = this.quantity(b.value, unit, e.key);
      if (q) out.push({ relation: b.key, ...q, pos: b.keyPos });
      else ok = false;
    }
    if (ok && out.length === 0) {
      this.bag.error(v.pos, `'${e.key}' needs min, max or both, like {max: ${EXAMPLE[unit]}}`);
      return undefined;
    }
    const min = out.find((b) => b.relation === 'min');
    const max = out.find((b) => b.relation === 'max');
    if (min && max && min.value > max.value) {
      this.bag.error(min.pos, `'${e.key}': min ${min.text} is above max ${max.text}`);
      return undefined;
    }
    return ok ? out : undefined;
  }

  /** A non-negative whole number, plain or with a unit suited to the metric (docs/check.md). */
  private quantity(node: Located, unit: Unit, metric: string): { value: number; text: string } | undefined {
    if (node.type !== 'scalar' || (typeof node.value !== 'number' && typeof node.value !== 'string')) {
      this.bag.error(node.pos, `'${metric}' bound must be a number like ${EXAMPLE[unit]}`);
      return undefined;
    }
    if (typeof node.value === 'number') {
      if (!Number.isSafeInteger(node.value) || node.value < 0) {
        this.bag.error(node.pos, `'${metric}' bound must be a whole number >= 0, got ${node.value}`);
        return undefined;
      }
      return { value: node.value, text: grouped(node.value) };
    }
    const parsed = parseQuantity(node.value, unit);
    if (typeof parsed === 'string') {
      this.bag.error(node.pos, `'${metric}': ${parsed}`);
      return undefined;
    }
    return { value: parsed, text: node.value.trim() };
  }

  /** A shape with the batch: [N, 1000] or [1, 1000, 7, 7]; `N` (first only) stands for the batch. */
  private shape(node: Located, what: string): { shape: ExpectedShape; text: string } | undefined {
    const ok =
      node.type === 'seq' &&
      node.items.length >= 2 &&
      node.items.every(
        (d, i) =>
          d.type === 'scalar' &&
          ((typeof d.value === 'number' && Number.isSafeInteger(d.value) && d.value > 0) || (i === 0 && d.value === 'N')),
      );
    if (!ok) {
      this.bag.error(
        node.pos,
        `${what} must be a shape with the batch, like [N, 1000] or [1, 64, 56, 56] (N, first only, stands for the batch)`,
      );
      return undefined;
    }
    const shape = node.items.map((d) => (d as { value: number | 'N' }).value);
    return { shape, text: `[${shape.join(', ')}]` };
  }

  private onlyKeys(node: LocatedMap, keys: readonly string[], what: string): boolean {
    let ok = true;
    for (const e of node.entries) {
      if (keys.includes(e.key)) continue;
      ok = this.fail(e.keyPos, `unknown key '${e.key}' in ${what}${didYouMean(e.key, keys)} (valid: ${keys.join(', ')})`);
    }
    return ok;
  }

  private fail(pos: SourcePos, message: string): false {
    this.bag.error(pos, message);
    return false;
  }
}

function mergeSets(a: ExpectGroup['set'], b: ExpectGroup['set']): ExpectGroup['set'] {
  if (!a) return b;
  if (!b) return a;
  return [...a.filter((x) => !b.some((y) => y.name === x.name)), ...b];
}
