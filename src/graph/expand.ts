/**
 * The composition forms: lists of entries, `repeat`, `if`, `inputs` and `output`, and what an
 * entry may be besides a layer kind: `sequential`, `residual`, `gate`, `branches` and the file's blocks.
 * Shapes are inferred in the same walk, so that expressions can read the input's shape (`in.c`).
 */
import { show } from '../layers/args.js';
import { findKind, layerKinds } from '../layers/index.js';
import type { LayerKind } from '../layers/kind.js';
import { grouped, type DiagnosticBag, type SourcePos } from './diagnostics.js';
import { templateMentions, type Value } from './expr.js';
import type { LayerNode } from './graph.js';
import { Abort, COMMON_ARGS, MAX_LAYERS, type Context, type Layers, type Site } from './layer.js';
import { joinName, POISONED, type NameOrigin, type NameScope, type Names } from './names.js';
import { entry, type Located, type LocatedMap, type LocatedSeq, type MapEntry } from './source.js';
import { didYouMean } from './suggest.js';
import { Environment, shapeValue, type Values, type Who } from './values.js';

/** The most entries the expansion may visit, skipped ones included (a guard against `if: false` loops of repeats). */
const MAX_VISITS = 10_000_000;
const MAX_BLOCK_DEPTH = 64;

/** Forms the front end expands itself rather than a layer kind. */
export const STRUCTURAL: readonly string[] = ['sequential', 'residual', 'gate'];

/** A block of the file's `blocks`: a list of layers with parameters, called like a kind. */
export interface BlockDef {
  readonly name: string;
  readonly params: readonly MapEntry[];
  readonly layers: LocatedSeq;
  /** Unnamed calls splice the layers into the caller's scope instead of opening an indexed one. */
  readonly inline: boolean;
  readonly pos: SourcePos;
}

type CommonArgs = Partial<Record<'name' | 'inputs' | 'repeat' | 'if' | 'output', MapEntry>>;

/** An entry of a list as written: its kind (or form, or block), its arguments and the common ones among them. */
interface ParsedEntry {
  readonly kind: string;
  readonly args: LocatedMap | undefined;
  readonly pos: SourcePos;
  readonly common: CommonArgs;
}

export class Expander {
  /** Nodes marked `output: true`, in file order. */
  readonly markedOutputs: number[] = [];
  private visits = 0;

  constructor(
    private readonly bag: DiagnosticBag,
    private readonly values: Values,
    private readonly names: Names,
    private readonly layers: Layers,
    private readonly nodes: readonly LayerNode[],
    private readonly blocks: ReadonlyMap<string, BlockDef>,
  ) {}

  /** Expands a list of entries where each reads the previous one's output; returns the id of the last output. */
  expandList(list: LocatedSeq, ctx: Context, current: number): number {
    for (const item of list.items) current = this.expandEntry(item, ctx, current);
    return current;
  }

  /** `env` with `in`, the shape of node `inputId`, unless that node failed. */
  private withIn(env: Environment, inputId: number): Environment {
    if (inputId < 0) return env;
    const shape = this.nodes[inputId].outputShape;
    return env.withLazy('in', () => shapeValue(shape));
  }

  private expandEntry(node: Located, ctx: Context, current: number): number {
    const parsed = this.parseEntry(node);
    if (!parsed) return POISONED;
    const { kind, pos, common } = parsed;
    const poisoned = current === POISONED;
    // Errors in the entry's own `repeat` and group name, before any copy is named.
    const who: Who = { name: this.displayName(ctx, common), kind };
    const repeat = common.repeat
      ? this.bag.quietlyIf(poisoned, () => this.values.int(common.repeat!.value, this.withIn(ctx.env, current), 0, 'repeat', who, pos))
      : 1;
    if (repeat === undefined) return POISONED;
    if (repeat > MAX_LAYERS) {
      this.bag.error(
        common.repeat!.value.pos,
        `repeat ${grouped(repeat)} is more than the ${grouped(MAX_LAYERS)} layers a model may have; refusing it`,
      );
      throw new Abort();
    }
    // Nested repeats multiply: refuse before expanding rather than after building millions of layers.
    const multiplicity = ctx.multiplicity * repeat;
    if (multiplicity > MAX_LAYERS) {
      this.bag.error(
        common.repeat!.value.pos,
        `nested repeats expand this entry ${grouped(multiplicity)} times, more than the ${grouped(MAX_LAYERS)} layers a model may have; refusing it`,
      );
      throw new Abort();
    }
    // A repeated entry whose name does not change with `i` becomes a group `name.0`, `name.1`, ... (ResNet's layer1.0).
    const nameTemplate = common.name ? this.values.template(common.name.value) : undefined;
    const isGroup = common.repeat && common.name && !(nameTemplate && templateMentions(nameTemplate, 'i'));
    const groupName = isGroup
      ? this.bag.quietlyIf(poisoned, () => this.values.name(common.name!.value, this.withIn(ctx.env, current), who))
      : undefined;
    // Every copy would fail on the same name (reported, or unknowable behind a failed input).
    if (isGroup && groupName === undefined) return POISONED;
    // A group whose name is taken is reported once, by its name, not once per layer under it.
    if (groupName !== undefined && this.names.isTaken(joinName(ctx.scope.prefix, groupName)))
      return this.names.register(joinName(ctx.scope.prefix, groupName), POISONED, pos, 'written', 'repeat');
    const groupScope: NameScope | undefined =
      groupName !== undefined ? { prefix: joinName(ctx.scope.prefix, groupName), next: 0, parent: ctx.scope } : undefined;
    let sideOutput = current;
    for (let i = 0; i < repeat; i++) {
      if (++this.visits > MAX_VISITS) {
        this.bag.error(pos, `the model expands to more than ${grouped(MAX_VISITS)} entries; refusing it`);
        throw new Abort();
      }
      const env = common.repeat ? ctx.env.with('i', i) : ctx.env;
      const itemCtx: Context = groupScope ? { ...ctx, env, multiplicity, scope: groupScope } : { ...ctx, env, multiplicity };
      const forcedName = groupScope ? String(i) : undefined;
      const out = this.expandItem(parsed, itemCtx, current, forcedName);
      if (out === 'skipped') continue;
      // `output` is read once the layer is built: it has its name (a block's or a form's output is one of its layers).
      const built = out >= 0 && this.nodes[out].pos === pos ? this.nodes[out] : undefined;
      const itemWho: Who = built ? { name: built.name, kind: built.kind } : { name: this.displayName(itemCtx, common, forcedName), kind };
      if (common.output && this.values.bool(common.output.value, this.withIn(env, current), itemWho, pos, 'output')) {
        if (out !== POISONED) this.markedOutputs.push(out);
        sideOutput = current;
        continue;
      }
      current = out;
      sideOutput = current;
    }
    if (groupScope) this.names.registerScope(groupScope.prefix, 'repeat', current, pos);
    return sideOutput;
  }

  /** One item of an entry (the entry itself when it has no repeat); `forcedName` is its index in a repeat group. */
  private expandItem(parsed: ParsedEntry, ctx: Context, current: number, forcedName: string | undefined): number | 'skipped' {
    const { args, pos, common } = parsed;
    let kind = parsed.kind;
    // Errors before the layer is named name it as written (or by its place, `#3`).
    const who: Who = { name: this.displayName(ctx, common, forcedName), kind };
    let inputs = [current];
    if (common.inputs) {
      const resolved = this.resolveInputs(common.inputs.value, ctx, who);
      // Unresolved inputs are reported at the end; the layer's name still exists, so readers of it stay quiet.
      inputs = resolved ?? [POISONED];
    }
    // With a failed input, what depends on its shape is unknowable and evaluated quietly; the rest is still checked.
    const poisoned = inputs.includes(POISONED);
    if (
      common.if &&
      !this.bag.quietlyIf(poisoned, () => this.values.bool(common.if!.value, this.withIn(ctx.env, inputs[0]), who, pos, 'if', poisoned))
    )
      return 'skipped';
    const localName =
      forcedName ??
      (common.name
        ? this.bag.quietlyIf(poisoned, () => this.values.name(common.name!.value, this.withIn(ctx.env, inputs[0]), who))
        : undefined);
    // A name that cannot be evaluated (reported, or unknowable behind a failed input) names nothing.
    if (common.name && localName === undefined) return POISONED;
    if (kind.includes('${')) {
      // A kind chosen by a parameter: `"${block}": {...}`.
      const chosen = this.values.materialize({ type: 'scalar', value: kind, pos }, ctx.env, who);
      if (typeof chosen !== 'string') {
        if (chosen !== undefined)
          this.bag.error(pos, `the kind ${JSON.stringify(kind)} must evaluate to a kind name, got ${show(chosen)}`, who);
        return POISONED;
      }
      kind = chosen;
    }
    const site: Site = { args, pos, ctx, inputs, localName, ...(forcedName !== undefined ? { localNameIsIndex: true } : {}) };
    const layerKind = findKind(kind);
    const branches = args ? entry(args, 'branches') : undefined;
    if (layerKind && branches && layerKind.arity.max > 1) return this.expandBranches(layerKind, branches, site);
    if (layerKind) return this.layers.add(layerKind, site);
    if (kind === 'sequential') return this.expandSequential(site);
    if (kind === 'residual') return this.expandResidual(site);
    if (kind === 'gate') return this.expandGate(site);
    const block = this.blocks.get(kind);
    if (block) return this.expandBlock(block, site);
    const known = [...Object.keys(layerKinds), ...STRUCTURAL, ...this.blocks.keys()];
    this.bag.error(
      pos,
      `unknown layer kind '${kind}'${didYouMean(kind, known)} (kinds: ${Object.keys(layerKinds).join(', ')}; forms: ${STRUCTURAL.join(', ')}${this.blocks.size ? `; blocks: ${[...this.blocks.keys()].join(', ')}` : ''})`,
      { name: who.name, kind },
    );
    return POISONED;
  }

  private parseEntry(node: Located): ParsedEntry | undefined {
    if (node.type === 'scalar' && typeof node.value === 'string') return { kind: node.value, args: undefined, pos: node.pos, common: {} };
    if (node.type === 'map' && node.entries.length === 1) {
      const [e] = node.entries as [MapEntry];
      if (e.value.type === 'map') return { kind: e.key, args: e.value, pos: e.keyPos, common: commonArgs(e.value) };
      if (e.value.type === 'scalar' && e.value.value === null) return { kind: e.key, args: undefined, pos: e.keyPos, common: {} };
      if (e.key === 'sequential' && e.value.type === 'seq') {
        return {
          kind: e.key,
          args: { type: 'map', entries: [{ key: 'layers', keyPos: e.keyPos, value: e.value }], pos: e.value.pos },
          pos: e.keyPos,
          common: {},
        };
      }
      this.bag.error(e.value.pos, `the arguments of '${e.key}' must be a map, like '${e.key}: {name: x}'`);
      return undefined;
    }
    if (node.type === 'map') {
      const keys = node.entries.map((e) => e.key);
      const stray = keys.filter((k) => COMMON_ARGS.includes(k) || k === 'kind');
      const hint = stray.length ? `; put ${stray.map((k) => `'${k}'`).join(', ')} inside the kind's arguments` : '';
      this.bag.error(
        node.pos,
        `a layer is one key, its kind, mapping to its arguments; found ${keys.length} keys: ${keys.join(', ')}${hint}`,
      );
      return undefined;
    }
    this.bag.error(
      node.pos,
      `a layer is a kind ('relu') or a kind with arguments ('conv: {out: 64, kernel: 3}'), got ${show(node.type === 'scalar' ? node.value : 'a list')}`,
    );
    return undefined;
  }

  /** `inputs` names, looked up from the innermost scope outwards, then as full names. */
  private resolveInputs(node: Located, ctx: Context, who: Who): number[] | undefined {
    const value = this.values.materialize(node, ctx.env, who);
    if (value === undefined) return undefined;
    const names = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
      this.bag.error(node.pos, `'inputs' must be a layer name or a list of layer names, got ${show(value)}`, who);
      return undefined;
    }
    return this.names.resolve(names, ctx.scope, node.pos, who);
  }

  /** The layer's name for an error raised before its name is evaluated: its index in a repeat group, the written name, or its place. */
  private displayName(ctx: Context, common: CommonArgs, forcedName?: string): string {
    const written = common.name?.value;
    const local = forcedName ?? (written?.type === 'scalar' && written.value !== null ? String(written.value) : `#${ctx.scope.next}`);
    return joinName(ctx.scope.prefix, local);
  }

  /** `sequential: {name, layers}`: a named group (a scope) or, unnamed, layers spliced into the current scope. */
  private expandSequential(site: Site): number {
    const { args, pos, ctx, inputs, localName } = site;
    const who = { name: joinName(ctx.scope.prefix, localName ?? '(sequential)'), kind: 'sequential' };
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
    if (localName === undefined) return this.expandList(layers.value, ctx, inputs[0]);
    const scope: NameScope = { prefix: joinName(ctx.scope.prefix, localName), next: 0, parent: ctx.scope };
    const origin: NameOrigin = site.localNameIsIndex ? 'index' : 'written';
    if (this.names.isTaken(scope.prefix)) return this.names.register(scope.prefix, POISONED, pos, origin, 'sequential');
    const out = this.expandList(layers.value, { ...ctx, scope }, inputs[0]);
    return this.names.registerScope(scope.prefix, 'sequential', out, pos, origin);
  }

  /**
   * `residual: {body, shortcut}`: the body and the shortcut (identity when absent, empty or all
   * skipped) both read the input, and their outputs are summed by an `add` layer.
   */
  private expandResidual(site: Site): number {
    const { args, pos, ctx, inputs, localName } = site;
    const who = { name: joinName(ctx.scope.prefix, localName ?? '(residual)'), kind: 'residual' };
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
    const bodyOut = this.expandList(body.value, ctx, inputs[0]);
    const shortcutOut = shortcut?.value.type === 'seq' ? this.expandList(shortcut.value, ctx, inputs[0]) : inputs[0];
    // Unnamed, the sum is named `add` (then `add_1`, ...) rather than by index: it has no module in PyTorch.
    return this.layers.add(findKind('add')!, { args: undefined, pos, ctx, inputs: [bodyOut, shortcutOut], localName });
  }

  /**
   * `gate: {body}`: the body reads the input, and a `mul` multiplies the input by the body's output,
   * broadcasting (squeeze-and-excitation's channel weights). The same layers, in the same order and
   * with the same names, as `mul: {branches: [[], body]}`.
   */
  private expandGate(site: Site): number {
    const { args, pos, ctx, inputs, localName } = site;
    const who = { name: joinName(ctx.scope.prefix, localName ?? '(gate)'), kind: 'gate' };
    if (!this.onlyKeys(args, ['body'], 'gate', who)) return POISONED;
    const body = args ? entry(args, 'body') : undefined;
    if (!body || body.value.type !== 'seq') {
      this.bag.error(body?.value.pos ?? pos, "'gate' needs 'body', a list of layers whose output multiplies the input", who);
      return POISONED;
    }
    if (inputs.length !== 1) {
      this.bag.error(pos, `takes 1 input, got ${inputs.length}`, who);
      return POISONED;
    }
    const bodyOut = this.expandList(body.value, ctx, inputs[0]);
    return this.layers.add(findKind('mul')!, { args: undefined, pos, ctx, inputs: [inputs[0], bodyOut], localName });
  }

  /** `concat: {branches: [[...], [...]]}`: each path reads the input; the kind joins their outputs. An empty path is the input. */
  private expandBranches(kind: LayerKind<unknown>, branches: MapEntry, site: Site): number {
    const { pos, ctx, inputs, localName } = site;
    const args = site.args!;
    const who = { name: joinName(ctx.scope.prefix, localName ?? kind.kind), kind: kind.kind };
    if (branches.value.type !== 'seq' || !branches.value.items.every((b) => b.type === 'seq')) {
      this.bag.error(branches.value.pos, "'branches' must be a list of paths, each a list of layers ([] for the input itself)", who);
      return POISONED;
    }
    if (inputs.length !== 1) {
      this.bag.error(pos, `with 'branches', ${kind.kind} reads one input, got ${inputs.length}`, who);
      return POISONED;
    }
    const outs = branches.value.items.map((path) => this.expandList(path, ctx, inputs[0]));
    const rest: LocatedMap = { ...args, entries: args.entries.filter((e) => e !== branches) };
    // Like a residual's sum, the join has no module in PyTorch: unnamed, it is named by its kind, not by index.
    return this.layers.add(kind, { args: rest, pos, ctx, inputs: outs, localName });
  }

  /** A call of one of the file's blocks: its arguments evaluated in the caller's scope, its layers in its own. */
  private expandBlock(block: BlockDef, site: Site): number {
    const { args, pos, ctx, inputs, localName } = site;
    // A named block, or an unnamed one not inline, is a scope; an unnamed inline block's layers are numbered in the caller's.
    const ownScope = localName !== undefined || !block.inline;
    const scopePrefix = ownScope ? joinName(ctx.scope.prefix, localName ?? String(ctx.scope.next++)) : ctx.scope.prefix;
    const origin: NameOrigin = localName === undefined || site.localNameIsIndex ? 'index' : 'written';
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
    if (ownScope && this.names.isTaken(scopePrefix)) return this.names.register(scopePrefix, POISONED, pos, origin, block.name);
    const poisoned = inputs[0] === POISONED;
    const inShape: Value = poisoned ? null : shapeValue(this.nodes[inputs[0]].outputShape);
    const callerEnv = poisoned ? ctx.env : ctx.env.with('in', inShape);
    const paramNames = block.params.map((p) => p.key);
    const given = new Map<string, MapEntry>();
    let ok = true;
    for (const e of args?.entries ?? []) {
      if (COMMON_ARGS.includes(e.key)) continue;
      if (!paramNames.includes(e.key)) {
        this.bag.error(
          e.keyPos,
          `unknown argument '${e.key}'${didYouMean(e.key, paramNames)} (block '${block.name}' takes: ${[...paramNames, ...COMMON_ARGS].join(', ')})`,
          who,
        );
        ok = false;
      } else given.set(e.key, e);
    }
    // Block params see the file's params (lexical scope), `in`, and the params before them.
    const fileScope = ctx.env.fileScope();
    const blockVars = fileScope.toMap();
    blockVars.set('in', inShape);
    const defaultsEnv = Environment.ofBlock(blockVars, fileScope);
    for (const p of block.params) {
      const g = given.get(p.key);
      let v: Value | undefined;
      if (g) v = this.bag.quietlyIf(poisoned, () => this.values.materialize(g.value, callerEnv, who));
      else if (p.value.type === 'scalar' && p.value.value === null) {
        this.bag.error(pos, `missing argument '${p.key}' of block '${block.name}'`, who);
        ok = false;
        continue;
      } else v = this.bag.quietlyIf(poisoned, () => this.values.materialize(p.value, defaultsEnv, who));
      if (v === undefined) ok = false;
      else blockVars.set(p.key, v);
    }
    if (!ok || poisoned) {
      // The block's layers cannot be checked without its arguments and input; its name still exists.
      if (ownScope) this.names.register(scopePrefix, POISONED, pos, origin, block.name);
      return POISONED;
    }
    blockVars.delete('in');
    const scope: NameScope = ownScope ? { prefix: scopePrefix, next: 0, parent: ctx.scope } : ctx.scope;
    const innerCtx: Context = {
      scope,
      env: Environment.ofBlock(blockVars, fileScope),
      blockStack: [...ctx.blockStack, block.name],
      multiplicity: ctx.multiplicity,
    };
    const out = this.expandList(block.layers, innerCtx, inputs[0]);
    if (ownScope) this.names.registerScope(scopePrefix, block.name, out, pos, origin);
    return out;
  }

  private onlyKeys(args: LocatedMap | undefined, keys: string[], form: string, who: Who): boolean {
    let ok = true;
    for (const e of args?.entries ?? []) {
      if (COMMON_ARGS.includes(e.key) || keys.includes(e.key)) continue;
      this.bag.error(
        e.keyPos,
        `unknown argument '${e.key}'${didYouMean(e.key, keys)} ('${form}' takes: ${[...keys, ...COMMON_ARGS].join(', ')})`,
        who,
      );
      ok = false;
    }
    return ok;
  }
}

/** The arguments every entry accepts (`name`, `inputs`, `repeat`, `if`, `output`), by name. */
function commonArgs(args: LocatedMap): CommonArgs {
  const out: CommonArgs = {};
  for (const e of args.entries) if (COMMON_ARGS.includes(e.key)) out[e.key as keyof CommonArgs] = e;
  return out;
}
