/**
 * Layer construction: one entry of a kind the registry knows, with its arguments evaluated and
 * checked, to a node of the graph with its output shape and tensors. A layer whose arguments
 * are wrong is reported and registered as POISONED.
 */
import { ArgParser, ArgTypeError } from '../layers/args.js';
import { formatShape, LayerError, numel, type LayerKind, type Shape } from '../layers/kind.js';
import { grouped, type DiagnosticBag, type SourcePos } from './diagnostics.js';
import type { LayerNode } from './graph.js';
import { didYouMean } from './suggest.js';
import { joinName, POISONED, type NameOrigin, type NameScope, type Names } from './names.js';
import type { LocatedMap } from './source.js';
import { hasTemplate, shapeValue, type Environment, type Values, type Who } from './values.js';

/** The largest model the front end expands: hundreds of times the largest bundled (densenet201, 708), and one
 * that `analyze --json`, `graph` and a `diff` of two such models run in well under 2 GB (docs/format.md, bench). */
export const MAX_LAYERS = 250_000;
/** The largest element count of one per-sample tensor: 2^44 floats are 64 TiB. */
export const MAX_TENSOR_ELEMENTS = 2 ** 44;

/** Arguments every entry accepts, whatever its kind. */
export const COMMON_ARGS: readonly string[] = ['name', 'inputs', 'repeat', 'if', 'output'];

/** Stops the whole expansion: the model is too large to build at all. */
export class Abort extends Error {}

/** Where a list of entries is expanded. */
export interface Context {
  readonly scope: NameScope;
  readonly env: Environment;
  /** Block names being expanded, outermost first: a block that uses itself is an error, not a hang. */
  readonly blockStack: readonly string[];
  /** The product of the enclosing repeats: how many times this list is expanded. */
  readonly multiplicity: number;
}

/** One item to build: its arguments as written, where, in which context, reading which nodes, under which local name. */
export interface Site {
  readonly args: LocatedMap | undefined;
  readonly pos: SourcePos;
  readonly ctx: Context;
  /** Node ids, POISONED for a failed one. */
  readonly inputs: readonly number[];
  /** Undefined: the next index of the scope, or for a join its kind (`add`, `add_1`, ...). */
  readonly localName: string | undefined;
  /** The local name is a copy's index in its repeat group, which the front end chose. */
  readonly localNameIsIndex?: boolean;
}

/** A kind that joins paths (add, concat, mul): like torch.cat or `+` it is no module in PyTorch, so it takes no index. */
export function isJoin(kind: LayerKind<unknown>): boolean {
  return kind.arity.max > 1;
}

/** The model input: node 0, a layer kind only the front ends create (the ONNX one too). */
export const modelInput: LayerKind<{ shape: Shape }> = {
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

export class Layers {
  constructor(
    private readonly bag: DiagnosticBag,
    private readonly values: Values,
    private readonly names: Names,
    private readonly nodes: LayerNode[],
  ) {}

  /** Node 0, named `input`. */
  addInput(shape: Shape, pos: SourcePos): void {
    this.nodes.push({
      id: 0,
      name: 'input',
      kind: 'input',
      layer: modelInput,
      args: { shape },
      inputs: [],
      inputShapes: [],
      outputShape: shape,
      tensors: [],
      pos,
    });
    this.names.register('input', 0, pos);
  }

  /** Adds a layer of `kind`; returns its node id, or POISONED (reported, unless behind a failed input). */
  add(kind: LayerKind<unknown>, site: Site): number {
    const { args, pos, ctx, inputs } = site;
    const join = isJoin(kind);
    let local = site.localName;
    let origin: NameOrigin = site.localNameIsIndex ? 'index' : 'written';
    if (local === undefined)
      [local, origin] = join ? [this.names.fresh(ctx.scope, kind.kind), 'join'] : [String(ctx.scope.next++), 'index'];
    const name = joinName(ctx.scope.prefix, local);
    const register = (id: number) => this.names.register(name, id, pos, origin);
    const who = { name, kind: kind.kind };
    const poisoned = inputs.includes(POISONED);
    const inputShapes = poisoned ? [] : inputs.map((id) => this.nodes[id].outputShape);
    if (inputs.length < kind.arity.min || inputs.length > kind.arity.max) {
      const want =
        kind.arity.min === kind.arity.max
          ? `${kind.arity.min}`
          : kind.arity.max === Infinity
            ? `at least ${kind.arity.min}`
            : `${kind.arity.min} to ${kind.arity.max}`;
      this.bag.error(pos, `takes ${want} input${want === '1' ? '' : 's'}, got ${inputs.length}`, who);
      return register(POISONED);
    }
    const env = poisoned ? ctx.env : ctx.env.withLazy('in', () => shapeValue(inputShapes[0]));
    const parser = new ArgParser(kind.args);
    let ok = true;
    for (const e of args?.entries ?? []) {
      if (COMMON_ARGS.includes(e.key)) continue;
      const spec = parser.write(e.key);
      if (!spec) {
        const valid = parser.names;
        this.bag.error(
          e.keyPos,
          `unknown argument '${e.key}'${didYouMean(e.key, valid)} (${kind.kind} takes: ${[...valid, ...COMMON_ARGS].join(', ')})`,
          who,
        );
        ok = false;
        continue;
      }
      // Behind a failed input only literal values can be checked.
      if (poisoned && hasTemplate(e.value)) continue;
      const value = this.values.materialize(e.value, env, who);
      if (value === undefined) {
        ok = false;
        continue;
      }
      try {
        parser.parse(e.key, spec, value);
      } catch (err) {
        if (!(err instanceof ArgTypeError)) throw err;
        this.bag.error(e.value.pos, err.message, who);
        ok = false;
      }
    }
    const missing = parser.missing();
    if (missing.length > 0) {
      this.bag.error(
        pos,
        `missing argument${missing.length > 1 ? 's' : ''} ${missing.map(([k, s]) => `'${k}' (${s.type})`).join(', ')}`,
        who,
      );
      ok = false;
    }
    if (!ok || poisoned) return register(POISONED);
    try {
      const resolved = kind.resolve(parser.complete(), inputShapes);
      const outputShape = kind.outputShape(inputShapes, resolved);
      if (!checkTensorSize(this.bag, outputShape, pos, who)) return register(POISONED);
      const tensors = kind.tensors(inputShapes, resolved);
      for (const t of tensors) if (!checkTensorSize(this.bag, t.shape, pos, who)) return register(POISONED);
      if (this.nodes.length >= MAX_LAYERS) {
        this.bag.error(pos, `the model expands to more than ${grouped(MAX_LAYERS)} layers; refusing it`);
        throw new Abort();
      }
      const id = this.nodes.length;
      this.nodes.push({ id, name, kind: kind.kind, layer: kind, args: resolved, inputs, inputShapes, outputShape, tensors, pos });
      return register(id);
    } catch (err) {
      if (!(err instanceof LayerError)) throw err;
      // The argument at fault where it is written (it parsed: resolve saw it), found only now.
      const at = err.arg && !COMMON_ARGS.includes(err.arg) ? args?.entries.find((e) => e.key === err.arg)?.value.pos : undefined;
      this.bag.error(at ?? pos, err.message, who);
      return register(POISONED);
    }
  }
}

/** Whether a tensor of `shape` fits in memory; reports it when it does not. */
export function checkTensorSize(bag: DiagnosticBag, shape: readonly number[], pos: SourcePos, who: Who | undefined): boolean {
  if (numel(shape) > MAX_TENSOR_ELEMENTS) {
    bag.error(
      pos,
      `a tensor of shape ${formatShape(shape)} has more than 2^44 elements per sample and cannot fit in memory; refusing it`,
      who,
    );
    return false;
  }
  return true;
}
