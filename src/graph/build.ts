/**
 * The front end: a model file's located YAML tree to a Graph. Blocks and repeats are expanded
 * and shapes inferred in the same walk, so that expressions can read the input's shape (`in.c`)
 * and every error can name the layer and point at the line that made it.
 *
 * A layer whose own arguments are wrong is reported and "poisoned": layers that read it are
 * skipped silently, so one mistake gives one error, not a cascade.
 */
import { ArgTypeError, show } from '../layers/args.js';
import { layerKinds } from '../layers/index.js';
import { formatShape, LayerError, numel, type LayerKind, type Shape } from '../layers/kind.js';
import { DiagnosticBag, ModelError, type SourcePos } from './diagnostics.js';
import { parseModelExpectations } from './expect.js';
import { evaluateTemplate, ExprError, parseTemplate, templateMentions, type Value } from './expr.js';
import type { Graph, LayerNode, ScopeInfo } from './graph.js';
import { entry, parseYaml, type Located, type MapEntry } from './source.js';
import { didYouMean } from './suggest.js';

export interface BuildOptions {
  /** Name shown in errors: the path as the user gave it, or `<stdin>`. */
  readonly file: string;
  /** Overrides the file's `input`. */
  readonly input?: Shape;
  /** `--set name=value`: values are YAML scalars or flow values, parsed by the CLI. */
  readonly set?: Readonly<Record<string, Value>>;
  /** A preset of the file's `presets`. */
  readonly preset?: string;
}

/** The largest model the front end expands: far beyond any real network, well inside memory. */
export const MAX_LAYERS = 2_000_000;
/** The most entries the expansion may visit, skipped ones included (a guard against `if: false` loops of repeats). */
const MAX_VISITS = 10_000_000;
/** The largest element count of one per-sample tensor: 2^44 floats are 64 TiB. */
export const MAX_TENSOR_ELEMENTS = 2 ** 44;
const MAX_BLOCK_DEPTH = 64;

const TOP_LEVEL_KEYS = ['name', 'description', 'source', 'family', 'params', 'presets', 'input', 'blocks', 'layers', 'expect'] as const;
/** Arguments every entry accepts, whatever its kind. */
const COMMON_ARGS = ['name', 'inputs', 'repeat', 'if', 'output'] as const;
/** Forms the front end expands itself rather than a layer kind. */
const STRUCTURAL = ['sequential', 'residual'] as const;

/** The model input: node 0, a layer kind only the front end creates. */
const modelInput: LayerKind<{ shape: Shape }> = {
  kind: 'input',
  summary: 'the model input',
  arity: { min: 0, max: 0 },
  display: { category: 'input' },
  args: {},
  resolve: (raw) => raw as { shape: Shape },
  outputShape: (_inputs, a) => a.shape,
  tensors: () => [],
  cost: () => ({ macs: 0, flops: 0 }),
  receptiveField: () => ({ type: 'pointwise' }),
  forward: () => {
    // Execute mode is given the input tensor; nothing computes it.
    throw new Error('the model input is not computed');
  },
};

/** Node id of a layer that failed: readers of it are skipped without further errors. */
const POISONED = -1;

/** Stops the whole expansion: the model is too large to build at all. */
class Abort extends Error {}

interface BlockDef {
  readonly name: string;
  readonly params: readonly MapEntry[];
  readonly layers: Located & { type: 'seq' };
  readonly inline: boolean;
  readonly pos: SourcePos;
}

/** Where generated names go: a module path prefix and the next free index (nn.Sequential's convention). */
interface NameScope {
  readonly prefix: string;
  next: number;
  readonly parent: NameScope | undefined;
}

/** Variables visible to expressions. Lexical: a block sees the file's params and its own, never its caller's. */
type Vars = ReadonlyMap<string, Value>;

interface Context {
  readonly scope: NameScope;
  readonly vars: Vars;
  /** Block names being expanded, outermost first: a block that uses itself is an error, not a hang. */
  readonly blockStack: readonly string[];
  /** The product of the enclosing repeats: how many times this list is expanded. */
  readonly multiplicity: number;
}

type LocatedMap = Located & { type: 'map' };
type LocatedSeq = Located & { type: 'seq' };

export function buildGraph(text: string, options: BuildOptions): Graph {
  const bag = new DiagnosticBag(options.file);
  const root = parseYaml(text, bag);
  bag.throwIfAny();
  const builder = new GraphBuilder(bag, options, text.split('\n'));
  const graph = builder.build(root!);
  bag.throwIfAny();
  return graph!;
}

class GraphBuilder {
  private readonly nodes: LayerNode[] = [];
  /** Full name to node id (or POISONED), for `inputs` lookups and duplicate detection. */
  private readonly byName = new Map<string, { id: number; pos: SourcePos }>();
  private readonly blocks = new Map<string, BlockDef>();
  private readonly markedOutputs: number[] = [];
  private readonly scopes: ScopeInfo[] = [];
  /** `inputs` that named nothing defined before them; checked at the end to tell a cycle from a typo. */
  private readonly unresolved: { name: string; pos: SourcePos; layer: { name: string; kind: string } }[] = [];
  private visits = 0;

  constructor(
    private readonly bag: DiagnosticBag,
    private readonly options: BuildOptions,
    /** The source lines, to place columns inside quoted expressions. */
    private readonly lines: readonly string[],
  ) {}

  build(root: Located): Graph | undefined {
    if (root.type !== 'map') {
      this.bag.error(root.pos, 'a model file is a map with at least `input` and `layers`');
      return undefined;
    }
    for (const e of root.entries) {
      if (!(TOP_LEVEL_KEYS as readonly string[]).includes(e.key)) {
        this.bag.error(e.keyPos, `unknown top-level key '${e.key}'${didYouMean(e.key, TOP_LEVEL_KEYS)} (valid: ${TOP_LEVEL_KEYS.join(', ')})`);
      }
    }
    // `expect` is for `cnnscope check` (src/graph/expect.ts); parsed here so its errors are model errors.
    const expectations = parseModelExpectations(root, this.bag, this.options.file);
    // A model loaded through a preset is called by the preset: `resnet50`, not `resnet`.
    const name = this.options.preset ?? this.optionalString(root, 'name') ?? 'model';
    const params = this.topLevelParams(root);
    if (!params) return undefined;
    this.collectBlocks(root);
    const inputShape = this.inputShape(root, params);
    const layers = entry(root, 'layers');
    if (!layers) {
      this.bag.error(root.pos, "missing 'layers': the list of the model's layers");
      return undefined;
    }
    if (layers.value.type !== 'seq') {
      this.bag.error(layers.value.pos, "'layers' must be a list of layers");
      return undefined;
    }
    if (!inputShape) return undefined;
    const inputNode: LayerNode = {
      id: 0, name: 'input', kind: 'input', layer: modelInput as LayerKind<unknown>, args: { shape: inputShape },
      inputs: [], inputShapes: [], outputShape: inputShape, tensors: [], pos: entry(root, 'input')?.keyPos ?? root.pos,
    };
    this.nodes.push(inputNode);
    this.byName.set('input', { id: 0, pos: inputNode.pos });
    const ctx: Context = { scope: { prefix: '', next: 0, parent: undefined }, vars: params, blockStack: [], multiplicity: 1 };
    let last: number;
    try {
      last = this.expandList(layers.value, ctx, 0);
    } catch (e) {
      if (e instanceof Abort) return undefined;
      throw e;
    }
    this.reportUnresolved();
    if (this.bag.count > 0) return undefined;
    const outputs = [last, ...this.markedOutputs.filter((id) => id !== last)];
    const description = this.optionalString(root, 'description');
    const source = this.optionalString(root, 'source');
    return {
      name,
      ...(description !== undefined ? { description } : {}),
      ...(source !== undefined ? { source } : {}),
      file: this.options.file,
      inputShape,
      nodes: this.nodes,
      outputs,
      scopes: [...this.scopes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      params: Object.fromEntries(params),
      ...(expectations !== undefined ? { expectations } : {}),
    };
  }

  // ---- top level -------------------------------------------------------------------------

  private optionalString(root: LocatedMap, key: string): string | undefined {
    const e = entry(root, key);
    if (!e) return undefined;
    if (e.value.type !== 'scalar' || typeof e.value.value !== 'string') {
      this.bag.error(e.value.pos, `'${key}' must be text`);
      return undefined;
    }
    return e.value.value;
  }

  /** Params in file order; presets and `--set` replace the written value before it is evaluated, so derived params follow. */
  private topLevelParams(root: LocatedMap): Map<string, Value> | undefined {
    const written = entry(root, 'params');
    const entries = written?.value.type === 'map' ? written.value.entries : [];
    if (written && written.value.type !== 'map') this.bag.error(written.value.pos, "'params' must be a map of names to values");
    const names = entries.map((e) => e.key);
    const overrides = new Map<string, Value>();
    if (this.options.preset !== undefined) {
      const presets = entry(root, 'presets');
      const preset = presets?.value.type === 'map' ? entry(presets.value, this.options.preset) : undefined;
      if (!preset) {
        const known = presets?.value.type === 'map' ? presets.value.entries.map((e) => e.key) : [];
        this.bag.error(presets?.keyPos ?? root.pos, `no preset '${this.options.preset}'${didYouMean(this.options.preset, known)} (presets: ${known.join(', ') || 'none'})`);
        return undefined;
      }
      if (preset.value.type !== 'map') {
        this.bag.error(preset.value.pos, `preset '${preset.key}' must be a map of parameter values`);
        return undefined;
      }
      for (const e of preset.value.entries) {
        if (!names.includes(e.key)) {
          this.bag.error(e.keyPos, `preset '${preset.key}' sets '${e.key}', which is not a parameter${didYouMean(e.key, names)} (params: ${names.join(', ')})`);
          continue;
        }
        const v = this.materialize(e.value, new Map(), undefined);
        if (v !== undefined) overrides.set(e.key, v);
      }
    }
    for (const [key, value] of Object.entries(this.options.set ?? {})) {
      if (!names.includes(key)) {
        this.bag.error({ line: 1, col: 1 }, `--set ${key}: the model has no parameter '${key}'${didYouMean(key, names)} (params: ${names.join(', ') || 'none'})`);
        continue;
      }
      overrides.set(key, value);
    }
    const vars = new Map<string, Value>();
    for (const e of entries) {
      const v = overrides.has(e.key) ? overrides.get(e.key)! : this.materialize(e.value, vars, undefined);
      if (v === undefined) return undefined;
      vars.set(e.key, v);
    }
    return this.bag.count > 0 ? undefined : vars;
  }

  private collectBlocks(root: LocatedMap): void {
    const blocks = entry(root, 'blocks');
    if (!blocks) return;
    if (blocks.value.type !== 'map') {
      this.bag.error(blocks.value.pos, "'blocks' must be a map from block names to definitions");
      return;
    }
    for (const b of blocks.value.entries) {
      if (layerKinds[b.key] || (STRUCTURAL as readonly string[]).includes(b.key)) {
        this.bag.error(b.keyPos, `block '${b.key}' has the name of a layer kind; choose another`);
        continue;
      }
      if (b.value.type !== 'map') {
        this.bag.error(b.value.pos, `block '${b.key}' must be a map with 'layers' (and optional 'params', 'inline')`);
        continue;
      }
      for (const e of b.value.entries) {
        if (!['params', 'layers', 'inline', 'description'].includes(e.key)) {
          this.bag.error(e.keyPos, `unknown key '${e.key}' in block '${b.key}' (valid: params, layers, inline, description)`);
        }
      }
      const params = entry(b.value, 'params');
      const layers = entry(b.value, 'layers');
      const inline = entry(b.value, 'inline');
      if (params && params.value.type !== 'map') this.bag.error(params.value.pos, `'params' of block '${b.key}' must be a map of names to defaults (null: required)`);
      if (!layers || layers.value.type !== 'seq') {
        this.bag.error(layers?.value.pos ?? b.keyPos, `block '${b.key}' needs 'layers', a list`);
        continue;
      }
      const inlineValue = inline?.value.type === 'scalar' && inline.value.value === true;
      this.blocks.set(b.key, {
        name: b.key,
        params: params?.value.type === 'map' ? params.value.entries : [],
        layers: layers.value as LocatedSeq,
        inline: inlineValue,
        pos: b.keyPos,
      });
    }
  }

  private inputShape(root: LocatedMap, params: Vars): Shape | undefined {
    if (this.options.input) return this.options.input;
    const e = entry(root, 'input');
    if (!e) {
      this.bag.error(root.pos, "missing 'input': the per-sample input shape, e.g. [3, 224, 224]");
      return undefined;
    }
    const v = this.materialize(e.value, params, undefined);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || (v.length !== 3 && v.length !== 1) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d > 0)) {
      this.bag.error(e.value.pos, `'input' must be [channels, height, width] (or [features]) of positive integers, got ${show(v)}`);
      return undefined;
    }
    return this.checkTensorSize(v as number[], e.value.pos, undefined) ? (v as number[]) : undefined;
  }

  // ---- expansion -------------------------------------------------------------------------

  /** Expands a list of entries where each reads the previous one's output; returns the id of the last output. */
  private expandList(list: LocatedSeq, ctx: Context, current: number): number {
    for (const item of list.items) current = this.expandEntry(item, ctx, current);
    return current;
  }

  private expandEntry(node: Located, ctx: Context, current: number): number {
    const parsed = this.parseEntry(node);
    if (!parsed) return POISONED;
    const { kind, args, pos } = parsed;
    const common = this.commonArgs(args);
    const quietIfPoisoned = <T>(fn: () => T): T => (current === POISONED ? this.bag.quietly(fn) : fn());
    const repeat = common.repeat ? quietIfPoisoned(() => this.evalInt(common.repeat!.value, ctx.vars, current, 0, 'repeat', kind, pos)) : 1;
    if (repeat === undefined) return POISONED;
    if (repeat > MAX_LAYERS) {
      this.bag.error(common.repeat!.value.pos, `repeat ${repeat.toLocaleString('en-US')} is more than the ${MAX_LAYERS.toLocaleString('en-US')} layers a model may have; refusing it`);
      throw new Abort();
    }
    // Nested repeats multiply: refuse before expanding rather than after building millions of layers.
    const multiplicity = ctx.multiplicity * repeat;
    if (multiplicity > MAX_LAYERS) {
      this.bag.error(common.repeat!.value.pos, `nested repeats expand this entry ${multiplicity.toLocaleString('en-US')} times, more than the ${MAX_LAYERS.toLocaleString('en-US')} layers a model may have; refusing it`);
      throw new Abort();
    }
    // A repeated entry whose name does not change with `i` becomes a group `name.0`, `name.1`, ... (ResNet's layer1.0).
    const nameTemplate = common.name ? this.template(common.name.value) : undefined;
    const groupName = common.repeat && common.name && !(nameTemplate && typeof nameTemplate !== 'string' && templateMentions(nameTemplate, 'i'))
      ? quietIfPoisoned(() => this.evalName(common.name!.value, ctx.vars, current, kind, pos))
      : undefined;
    let groupScope: NameScope | undefined;
    if (groupName !== undefined) groupScope = { prefix: this.join(ctx.scope.prefix, groupName), next: 0, parent: ctx.scope };
    let sideOutput = current;
    for (let i = 0; i < repeat; i++) {
      if (++this.visits > MAX_VISITS) {
        this.bag.error(pos, `the model expands to more than ${MAX_VISITS.toLocaleString('en-US')} entries; refusing it`);
        throw new Abort();
      }
      const vars = common.repeat ? withVar(ctx.vars, 'i', i) : ctx.vars;
      const itemCtx: Context = groupScope ? { ...ctx, vars, multiplicity, scope: groupScope } : { ...ctx, vars, multiplicity };
      const out = this.expandItem(kind, args, pos, common, itemCtx, current, groupScope ? String(i) : undefined);
      if (out === 'skipped') continue;
      if (common.output && this.evalBool(common.output.value, vars, current, kind, pos, 'output')) {
        if (out !== POISONED) this.markedOutputs.push(out);
        sideOutput = current;
        continue;
      }
      current = out;
      sideOutput = current;
    }
    if (groupScope && groupName !== undefined) this.registerScope(groupScope.prefix, 'repeat', current, pos);
    return sideOutput;
  }

  /** One item of an entry (the entry itself when it has no repeat). */
  private expandItem(
    kind: string,
    args: LocatedMap | undefined,
    pos: SourcePos,
    common: CommonArgs,
    ctx: Context,
    current: number,
    forcedName: string | undefined,
  ): number | 'skipped' {
    let inputs = [current];
    if (common.inputs) {
      const resolved = this.resolveInputs(common.inputs.value, ctx, { name: this.displayName(ctx, common), kind });
      // Unresolved inputs are reported at the end; the layer's name still exists, so readers of it stay quiet.
      inputs = resolved ?? [POISONED];
    }
    // With a failed input, what depends on its shape is unknowable and evaluated quietly; the rest is still checked.
    const poisoned = inputs.includes(POISONED);
    const maybeQuiet = <T>(fn: () => T): T => (poisoned ? this.bag.quietly(fn) : fn());
    if (common.if && !maybeQuiet(() => this.evalBool(common.if!.value, ctx.vars, inputs[0]!, kind, pos, 'if', poisoned))) return 'skipped';
    let localName = forcedName ?? (common.name ? maybeQuiet(() => this.evalName(common.name!.value, ctx.vars, inputs[0]!, kind, pos)) : undefined);
    if (common.name && localName === undefined) {
      if (!poisoned) return POISONED;
      localName = this.displayName(ctx, common).split('.').pop()!;
    }
    if (kind.includes('${')) {
      // A kind chosen by a parameter: `"${block}": {...}`.
      const chosen = this.materialize({ type: 'scalar', value: kind, pos }, ctx.vars, undefined);
      if (typeof chosen !== 'string') {
        if (chosen !== undefined) this.bag.error(pos, `the kind ${JSON.stringify(kind)} must evaluate to a kind name, got ${show(chosen)}`);
        return POISONED;
      }
      kind = chosen;
    }
    const layerKind = layerKinds[kind];
    const branches = args ? entry(args, 'branches') : undefined;
    if (layerKind && branches && layerKind.arity.max > 1) return this.expandBranches(layerKind, args!, branches, pos, ctx, inputs, localName);
    if (layerKind) return this.addLayer(layerKind, args, pos, ctx, inputs, localName);
    if (kind === 'sequential') return this.expandSequential(args, pos, ctx, inputs, localName);
    if (kind === 'residual') return this.expandResidual(args, pos, ctx, inputs, localName);
    const block = this.blocks.get(kind);
    if (block) return this.expandBlock(block, args, pos, ctx, inputs, localName);
    const known = [...Object.keys(layerKinds), ...STRUCTURAL, ...this.blocks.keys()];
    this.bag.error(pos, `unknown layer kind '${kind}'${didYouMean(kind, known)} (kinds: ${Object.keys(layerKinds).join(', ')}; forms: ${STRUCTURAL.join(', ')}${this.blocks.size ? `; blocks: ${[...this.blocks.keys()].join(', ')}` : ''})`);
    return POISONED;
  }

  private parseEntry(node: Located): { kind: string; args: LocatedMap | undefined; pos: SourcePos } | undefined {
    if (node.type === 'scalar' && typeof node.value === 'string') return { kind: node.value, args: undefined, pos: node.pos };
    if (node.type === 'map' && node.entries.length === 1) {
      const [e] = node.entries as [MapEntry];
      if (e.value.type === 'map') return { kind: e.key, args: e.value, pos: e.keyPos };
      if (e.value.type === 'scalar' && e.value.value === null) return { kind: e.key, args: undefined, pos: e.keyPos };
      if (e.key === 'sequential' && e.value.type === 'seq') {
        return { kind: e.key, args: { type: 'map', entries: [{ key: 'layers', keyPos: e.keyPos, value: e.value }], pos: e.value.pos }, pos: e.keyPos };
      }
      this.bag.error(e.value.pos, `the arguments of '${e.key}' must be a map, like '${e.key}: {name: x}'`);
      return undefined;
    }
    if (node.type === 'map') {
      const keys = node.entries.map((e) => e.key);
      const stray = keys.filter((k) => (COMMON_ARGS as readonly string[]).includes(k) || k === 'kind');
      const hint = stray.length ? `; put ${stray.map((k) => `'${k}'`).join(', ')} inside the kind's arguments` : '';
      this.bag.error(node.pos, `a layer is one key, its kind, mapping to its arguments; found ${keys.length} keys: ${keys.join(', ')}${hint}`);
      return undefined;
    }
    this.bag.error(node.pos, `a layer is a kind ('relu') or a kind with arguments ('conv: {out: 64, kernel: 3}'), got ${show(node.type === 'scalar' ? node.value : 'a list')}`);
    return undefined;
  }

  private commonArgs(args: LocatedMap | undefined): CommonArgs {
    const out: Partial<Record<(typeof COMMON_ARGS)[number], MapEntry>> = {};
    for (const e of args?.entries ?? []) if ((COMMON_ARGS as readonly string[]).includes(e.key)) out[e.key as (typeof COMMON_ARGS)[number]] = e;
    return out;
  }

  private addLayer(kind: LayerKind<unknown>, args: LocatedMap | undefined, pos: SourcePos, ctx: Context, inputs: number[], localName: string | undefined): number {
    const name = this.join(ctx.scope.prefix, localName ?? String(ctx.scope.next++));
    const who = { name, kind: kind.kind };
    const poisoned = inputs.includes(POISONED);
    const inputShapes = poisoned ? [] : inputs.map((id) => this.nodes[id]!.outputShape);
    if (inputs.length < kind.arity.min || inputs.length > kind.arity.max) {
      const want = kind.arity.min === kind.arity.max ? `${kind.arity.min}` : kind.arity.max === Infinity ? `at least ${kind.arity.min}` : `${kind.arity.min} to ${kind.arity.max}`;
      this.bag.error(pos, `takes ${want} input${want === '1' ? '' : 's'}, got ${inputs.length}`, who);
      return this.register(name, POISONED, pos);
    }
    const inVars = poisoned ? ctx.vars : withVar(ctx.vars, 'in', shapeValue(inputShapes[0]!));
    const raw: Record<string, unknown> = {};
    const argPos = new Map<string, SourcePos>();
    let ok = true;
    for (const e of args?.entries ?? []) {
      if ((COMMON_ARGS as readonly string[]).includes(e.key)) continue;
      const spec = kind.args[e.key];
      if (!spec) {
        const valid = Object.keys(kind.args);
        this.bag.error(e.keyPos, `unknown argument '${e.key}'${didYouMean(e.key, valid)} (${kind.kind} takes: ${[...valid, ...COMMON_ARGS].join(', ')})`, who);
        ok = false;
        continue;
      }
      // Behind a failed input only literal values can be checked.
      if (poisoned && hasTemplate(e.value)) continue;
      const value = this.materialize(e.value, inVars, who);
      if (value === undefined) {
        ok = false;
        continue;
      }
      try {
        raw[e.key] = spec.parse(value);
        argPos.set(e.key, e.value.pos);
      } catch (err) {
        if (!(err instanceof ArgTypeError)) throw err;
        this.bag.error(e.value.pos, `argument '${e.key}' ${err.message}`, who);
        ok = false;
      }
    }
    const missing = Object.entries(kind.args).filter(([k, spec]) => spec.required && !(k in raw) && !args?.entries.some((e) => e.key === k));
    if (missing.length > 0) {
      this.bag.error(pos, `missing argument${missing.length > 1 ? 's' : ''} ${missing.map(([k, s]) => `'${k}' (${s.type})`).join(', ')}`, who);
      ok = false;
    }
    if (!ok || poisoned) return this.register(name, POISONED, pos);
    for (const [k, spec] of Object.entries(kind.args)) if (!(k in raw) && !spec.required) raw[k] = spec.default;
    try {
      const resolved = kind.resolve(raw, inputShapes);
      const outputShape = kind.outputShape(inputShapes, resolved);
      if (!this.checkTensorSize(outputShape, pos, who)) return this.register(name, POISONED, pos);
      const tensors = kind.tensors(inputShapes, resolved);
      for (const t of tensors) if (!this.checkTensorSize(t.shape, pos, who)) return this.register(name, POISONED, pos);
      if (this.nodes.length >= MAX_LAYERS) {
        this.bag.error(pos, `the model expands to more than ${MAX_LAYERS.toLocaleString('en-US')} layers; refusing it`);
        throw new Abort();
      }
      const id = this.nodes.length;
      this.nodes.push({ id, name, kind: kind.kind, layer: kind, args: resolved, inputs, inputShapes, outputShape, tensors, pos });
      return this.register(name, id, pos);
    } catch (err) {
      if (!(err instanceof LayerError)) throw err;
      this.bag.error((err.arg && argPos.get(err.arg)) || pos, err.message, who);
      return this.register(name, POISONED, pos);
    }
  }

  /** `sequential: {name, layers}`: a named group (a scope) or, unnamed, layers spliced into the current scope. */
  private expandSequential(args: LocatedMap | undefined, pos: SourcePos, ctx: Context, inputs: number[], localName: string | undefined): number {
    const who = { name: this.join(ctx.scope.prefix, localName ?? '(sequential)'), kind: 'sequential' };
    if (!this.onlyKeys(args, ['layers'], 'sequential', who)) return POISONED;
    const layers = args ? entry(args, 'layers') : undefined;
    if (!layers || layers.value.type !== 'seq') {
      this.bag.error(layers?.value.pos ?? pos, "'sequential' needs 'layers', a list", who);
      return POISONED;
    }
    if (inputs.length !== 1) {
      this.bag.error(pos, `takes 1 input, got ${inputs.length}`, who);
      return POISONED;
    }
    if (localName === undefined) return this.expandList(layers.value, ctx, inputs[0]!);
    const scope: NameScope = { prefix: this.join(ctx.scope.prefix, localName), next: 0, parent: ctx.scope };
    const out = this.expandList(layers.value, { ...ctx, scope }, inputs[0]!);
    return this.registerScope(scope.prefix, 'sequential', out, pos);
  }

  /**
   * `residual: {body, shortcut}`: the body and the shortcut (identity when absent, empty or all
   * skipped) both read the input, and their outputs are summed by an `add` layer.
   */
  private expandResidual(args: LocatedMap | undefined, pos: SourcePos, ctx: Context, inputs: number[], localName: string | undefined): number {
    const who = { name: this.join(ctx.scope.prefix, localName ?? '(residual)'), kind: 'residual' };
    if (!this.onlyKeys(args, ['body', 'shortcut'], 'residual', who)) return POISONED;
    const body = args ? entry(args, 'body') : undefined;
    const shortcut = args ? entry(args, 'shortcut') : undefined;
    if (!body || body.value.type !== 'seq') {
      this.bag.error(body?.value.pos ?? pos, "'residual' needs 'body', a list of layers", who);
      return POISONED;
    }
    if (shortcut && shortcut.value.type !== 'seq' && !(shortcut.value.type === 'scalar' && shortcut.value.value === null)) {
      this.bag.error(shortcut.value.pos, "'shortcut' must be a list of layers (leave it out for the identity)", who);
      return POISONED;
    }
    if (inputs.length !== 1) {
      this.bag.error(pos, `takes 1 input, got ${inputs.length}`, who);
      return POISONED;
    }
    const bodyOut = this.expandList(body.value, ctx, inputs[0]!);
    const shortcutOut = shortcut?.value.type === 'seq' ? this.expandList(shortcut.value, ctx, inputs[0]!) : inputs[0]!;
    // The sum is named `add` (then `add_1`, ...) rather than by index: it has no module in PyTorch.
    return this.addLayer(layerKinds['add']!, undefined, pos, ctx, [bodyOut, shortcutOut], localName ?? this.freshName(ctx.scope, 'add'));
  }

  /** `concat: {branches: [[...], [...]]}`: each path reads the input; the kind joins their outputs. An empty path is the input. */
  private expandBranches(kind: LayerKind<unknown>, args: LocatedMap, branches: MapEntry, pos: SourcePos, ctx: Context, inputs: number[], localName: string | undefined): number {
    const who = { name: this.join(ctx.scope.prefix, localName ?? kind.kind), kind: kind.kind };
    if (branches.value.type !== 'seq' || !branches.value.items.every((b) => b.type === 'seq')) {
      this.bag.error(branches.value.pos, "'branches' must be a list of paths, each a list of layers ([] for the input itself)", who);
      return POISONED;
    }
    if (inputs.length !== 1) {
      this.bag.error(pos, `with 'branches', ${kind.kind} reads one input, got ${inputs.length}`, who);
      return POISONED;
    }
    const outs = branches.value.items.map((path) => this.expandList(path as LocatedSeq, ctx, inputs[0]!));
    const rest: LocatedMap = { ...args, entries: args.entries.filter((e) => e !== branches) };
    // Like a residual's sum, the join has no module in PyTorch: it is named by its kind, not by index.
    return this.addLayer(kind, rest, pos, ctx, outs, localName ?? this.freshName(ctx.scope, kind.kind));
  }

  private expandBlock(block: BlockDef, args: LocatedMap | undefined, pos: SourcePos, ctx: Context, inputs: number[], localName: string | undefined): number {
    const scopePrefix = localName !== undefined || !block.inline ? this.join(ctx.scope.prefix, localName ?? String(ctx.scope.next++)) : ctx.scope.prefix;
    const who = { name: scopePrefix || block.name, kind: block.name };
    if (ctx.blockStack.includes(block.name)) {
      this.bag.error(pos, `block '${block.name}' uses itself (${[...ctx.blockStack, block.name].join(' -> ')})`, who);
      throw new Abort();
    }
    if (ctx.blockStack.length >= MAX_BLOCK_DEPTH) {
      this.bag.error(pos, `blocks nest more than ${MAX_BLOCK_DEPTH} deep`, who);
      throw new Abort();
    }
    if (inputs.length !== 1) {
      this.bag.error(pos, `a block takes 1 input, got ${inputs.length}`, who);
      return POISONED;
    }
    const poisoned = inputs[0] === POISONED;
    const inShape: Value = poisoned ? null : shapeValue(this.nodes[inputs[0]!]!.outputShape);
    const callerVars = poisoned ? ctx.vars : withVar(ctx.vars, 'in', inShape);
    const paramNames = block.params.map((p) => p.key);
    const given = new Map<string, MapEntry>();
    let ok = true;
    for (const e of args?.entries ?? []) {
      if ((COMMON_ARGS as readonly string[]).includes(e.key)) continue;
      if (!paramNames.includes(e.key)) {
        this.bag.error(e.keyPos, `unknown argument '${e.key}'${didYouMean(e.key, paramNames)} (block '${block.name}' takes: ${[...paramNames, ...COMMON_ARGS].join(', ')})`, who);
        ok = false;
      } else given.set(e.key, e);
    }
    // Block params see the file's params (lexical scope) and the params before them.
    const fileVars = this.fileVars(ctx);
    const blockVars = new Map<string, Value>(fileVars);
    blockVars.set('in', inShape);
    for (const p of block.params) {
      const g = given.get(p.key);
      let v: Value | undefined;
      if (g) v = poisoned ? this.bag.quietly(() => this.materialize(g.value, callerVars, who)) : this.materialize(g.value, callerVars, who);
      else if (p.value.type === 'scalar' && p.value.value === null) {
        this.bag.error(pos, `missing argument '${p.key}' of block '${block.name}'`, who);
        ok = false;
        continue;
      } else v = poisoned ? this.bag.quietly(() => this.materialize(p.value, blockVars, who)) : this.materialize(p.value, blockVars, who);
      if (v === undefined) ok = false;
      else blockVars.set(p.key, v);
    }
    if (!ok || poisoned) {
      // The block's layers cannot be checked without its arguments and input; its name still exists.
      if (scopePrefix !== ctx.scope.prefix) this.register(scopePrefix, POISONED, pos);
      return POISONED;
    }
    blockVars.delete('in');
    const scope: NameScope = scopePrefix === ctx.scope.prefix ? ctx.scope : { prefix: scopePrefix, next: 0, parent: ctx.scope };
    const innerCtx: Context = { scope, vars: Object.assign(blockVars, { fileVars }) as Vars, blockStack: [...ctx.blockStack, block.name], multiplicity: ctx.multiplicity };
    const out = this.expandList(block.layers, innerCtx, inputs[0]!);
    if (scope !== ctx.scope) this.registerScope(scopePrefix, block.name, out, pos);
    return out;
  }

  /** The file's params, which every block sees, whatever block it is called from. */
  private fileVars(ctx: Context): Vars {
    return (ctx.vars as Vars & { fileVars?: Vars }).fileVars ?? ctx.vars;
  }

  private onlyKeys(args: LocatedMap | undefined, keys: string[], form: string, who: { name: string; kind: string }): boolean {
    let ok = true;
    for (const e of args?.entries ?? []) {
      if ((COMMON_ARGS as readonly string[]).includes(e.key) || keys.includes(e.key)) continue;
      this.bag.error(e.keyPos, `unknown argument '${e.key}'${didYouMean(e.key, keys)} ('${form}' takes: ${[...keys, ...COMMON_ARGS].join(', ')})`, who);
      ok = false;
    }
    return ok;
  }

  // ---- names -----------------------------------------------------------------------------

  private join(prefix: string, name: string): string {
    return prefix ? `${prefix}.${name}` : name;
  }

  private freshName(scope: NameScope, base: string): string {
    for (let k = 0; ; k++) {
      const local = k === 0 ? base : `${base}_${k}`;
      if (!this.byName.has(this.join(scope.prefix, local))) return local;
    }
  }

  /** The layer's name for an error raised before its name is evaluated: the written name, or its place. */
  private displayName(ctx: Context, common: CommonArgs): string {
    const written = common.name?.value;
    const local = written?.type === 'scalar' && written.value !== null ? String(written.value) : `#${ctx.scope.next}`;
    return this.join(ctx.scope.prefix, local);
  }

  /** A named group of layers (block instance, sequential, repeat group), for folding reports by depth. */
  private registerScope(fullName: string, kind: string, output: number, pos: SourcePos): number {
    const id = this.register(fullName, output, pos);
    if (id >= 0) this.scopes.push({ name: fullName, kind, output: id });
    return id;
  }

  private register(fullName: string, id: number, pos: SourcePos): number {
    const seen = this.byName.get(fullName);
    if (seen) {
      const kind = id >= 0 ? this.nodes[id]!.kind : 'layer';
      this.bag.error(pos, `duplicate name '${fullName}' (first used at line ${seen.pos.line})`, { name: fullName, kind });
      return POISONED;
    }
    this.byName.set(fullName, { id, pos });
    return id;
  }

  /** `inputs` names, looked up from the innermost scope outwards, then as full names. */
  private resolveInputs(node: Located, ctx: Context, who: { name: string; kind: string }): number[] | undefined {
    const value = this.materialize(node, ctx.vars, who);
    if (value === undefined) return undefined;
    const names = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
      this.bag.error(node.pos, `'inputs' must be a layer name or a list of layer names, got ${show(value)}`);
      return undefined;
    }
    const ids: number[] = [];
    for (const n of names as string[]) {
      let found: { id: number } | undefined;
      for (let s: NameScope | undefined = ctx.scope; s && !found; s = s.parent) found = this.byName.get(this.join(s.prefix, n));
      if (!found) {
        this.unresolved.push({ name: n, pos: node.pos, layer: who });
        return undefined;
      }
      ids.push(found.id);
    }
    return ids;
  }

  private reportUnresolved(): void {
    for (const u of this.unresolved) {
      const later = [...this.byName.keys()].find((k) => k === u.name || k.endsWith(`.${u.name}`));
      if (later) {
        this.bag.error(u.pos, `input '${u.name}' is defined after this layer (line ${this.byName.get(later)!.pos.line}): a layer may only read earlier layers, so this would make a cycle`, u.layer);
      } else {
        const others = [...this.byName.keys()].filter((k) => k !== u.layer.name).map((k) => k.split('.').pop()!);
        this.bag.error(u.pos, `no layer named '${u.name}'${didYouMean(u.name, others)}`, u.layer);
      }
    }
  }

  // ---- values ----------------------------------------------------------------------------

  private template(node: Located) {
    return node.type === 'scalar' && typeof node.value === 'string' ? parseTemplateSafe(node.value) : undefined;
  }

  /** A located value as plain data, with every `${...}` evaluated. Reports and returns undefined on error. */
  private materialize(node: Located, vars: Vars, who: { name: string; kind: string } | undefined): Value | undefined {
    switch (node.type) {
      case 'scalar': {
        if (typeof node.value !== 'string' || !node.value.includes('${')) return node.value;
        try {
          const t = parseTemplate(node.value)!;
          return evaluateTemplate(t, (name) => vars.get(name));
        } catch (e) {
          if (!(e instanceof ExprError)) throw e;
          // Point at the offending part of the expression; a quoted scalar's text starts one column later.
          const quoted = ['"', "'"].includes(this.lines[node.pos.line - 1]?.[node.pos.col - 1] ?? '') ? 1 : 0;
          const at = { line: node.pos.line, col: node.pos.col + quoted + e.offset };
          this.bag.error(at, `in ${JSON.stringify(node.value)}: ${e.message}`, who);
          return undefined;
        }
      }
      case 'seq': {
        const out: Value[] = [];
        for (const item of node.items) {
          const v = this.materialize(item, vars, who);
          if (v === undefined) return undefined;
          out.push(v);
        }
        return out;
      }
      case 'map': {
        const out: Record<string, Value> = {};
        for (const e of node.entries) {
          const v = this.materialize(e.value, vars, who);
          if (v === undefined) return undefined;
          out[e.key] = v;
        }
        return out;
      }
    }
  }

  private scopeWithIn(vars: Vars, inputId: number): Vars {
    return inputId >= 0 ? withVar(vars, 'in', shapeValue(this.nodes[inputId]!.outputShape)) : vars;
  }

  private evalInt(node: Located, vars: Vars, inputId: number, min: number, what: string, kind: string, pos: SourcePos): number | undefined {
    const v = this.materialize(node, this.scopeWithIn(vars, inputId), { name: '?', kind });
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.bag.error(node.pos ?? pos, `'${what}' must be an integer >= ${min}, got ${show(v)}`);
      return undefined;
    }
    return v;
  }

  /** `fallback` is the answer when the value cannot be evaluated (an error already reported, or a failed input). */
  private evalBool(node: Located, vars: Vars, inputId: number, kind: string, pos: SourcePos, what: string, fallback = false): boolean {
    const v = this.materialize(node, this.scopeWithIn(vars, inputId), { name: '?', kind });
    if (typeof v !== 'boolean') {
      if (v !== undefined) this.bag.error(node.pos ?? pos, `'${what}' must be true or false, got ${show(v)}`);
      return fallback;
    }
    return v;
  }

  private evalName(node: Located, vars: Vars, inputId: number, kind: string, _pos: SourcePos): string | undefined {
    const v = this.materialize(node, this.scopeWithIn(vars, inputId), { name: '?', kind });
    if (v === undefined) return undefined;
    if ((typeof v !== 'string' && typeof v !== 'number') || String(v) === '' || /\s/.test(String(v))) {
      this.bag.error(node.pos, `'name' must be text without spaces, got ${show(v)}`);
      return undefined;
    }
    return String(v);
  }

  private checkTensorSize(shape: readonly number[], pos: SourcePos, who: { name: string; kind: string } | undefined): boolean {
    if (numel(shape) > MAX_TENSOR_ELEMENTS) {
      this.bag.error(pos, `a tensor of shape ${formatShape(shape)} has more than 2^44 elements per sample and cannot fit in memory; refusing it`, who);
      return false;
    }
    return true;
  }
}

type CommonArgs = Partial<Record<(typeof COMMON_ARGS)[number], MapEntry>>;

function hasTemplate(node: Located): boolean {
  switch (node.type) {
    case 'scalar':
      return typeof node.value === 'string' && node.value.includes('${');
    case 'seq':
      return node.items.some(hasTemplate);
    case 'map':
      return node.entries.some((e) => hasTemplate(e.value));
  }
}

function parseTemplateSafe(text: string) {
  try {
    return parseTemplate(text);
  } catch {
    return undefined;
  }
}

function withVar(vars: Vars, name: string, value: Value): Vars {
  const next = new Map(vars);
  next.set(name, value);
  const fileVars = (vars as Vars & { fileVars?: Vars }).fileVars;
  return fileVars ? Object.assign(next, { fileVars }) : next;
}

/** What `in` reads in an expression: `in.c`, `in.h`, `in.w` of a feature map, `in.f` of flat features; `in.shape` always. */
function shapeValue(shape: Shape): Value {
  if (shape.length === 3) return { c: shape[0]!, h: shape[1]!, w: shape[2]!, shape: [...shape] };
  if (shape.length === 1) return { f: shape[0]!, c: shape[0]!, shape: [...shape] };
  return { shape: [...shape] };
}

export { ModelError };

/** The graph and the file's expectations (its `expect` section), apart. */
export function buildModel(text: string, options: BuildOptions): { graph: Graph; expectations: readonly import('./expect.js').ExpectGroup[] | undefined } {
  const graph = buildGraph(text, options);
  return { graph, expectations: graph.expectations };
}
