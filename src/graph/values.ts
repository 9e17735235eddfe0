/**
 * Values of a model file as the front end reads them: located YAML with every `${...}` evaluated
 * in an Environment of the variables in scope, and the checks on `repeat`, `if` and `name`.
 */
import { show } from '../layers/args.js';
import type { Shape } from '../layers/kind.js';
import type { DiagnosticBag, SourcePos } from './diagnostics.js';
import { evaluateTemplate, ExprError, parseTemplate, valueTooLarge, WorkMeter, type Template, type Value } from './expr.js';
import type { Located } from './source.js';

/** The layer an error belongs to, by full name and kind. */
export interface Who {
  readonly name: string;
  readonly kind: string;
}

/** The variables an Environment adds: a map, or one made when first read (Binding). */
type Variables = Pick<ReadonlyMap<string, Value>, 'get'> & Iterable<readonly [string, Value]>;

/**
 * One variable whose value is made when first read: a layer's `in` is made for every layer of a
 * file and read by few (its map and shape object, with layer.ts's map of argument positions, were
 * a fifth of what building a 100k-layer chain allocated).
 */
class Binding implements Variables {
  private value: Value | undefined;
  constructor(
    private readonly name: string,
    private readonly make: () => Value,
  ) {}

  get(name: string): Value | undefined {
    return name === this.name ? (this.value ??= this.make()) : undefined;
  }

  *[Symbol.iterator](): Generator<readonly [string, Value]> {
    yield [this.name, this.get(this.name)!];
  }
}

/**
 * The variables an expression may read. Lexical: a block sees the file's params and its own,
 * never its caller's. `with` adds one variable (a repeat's `i`, a layer's `in`) without copying.
 */
export class Environment {
  private constructor(
    private readonly vars: Variables,
    /** Variables hidden by `vars`: the environment `with` was called on. */
    private readonly outer: Environment | undefined,
    /** What a block called from here sees; undefined at the top level, where it is this environment itself. */
    private readonly file: Environment | undefined,
  ) {}

  /** The top level: the file's params. */
  static ofFile(params: ReadonlyMap<string, Value>): Environment {
    return new Environment(params, undefined, undefined);
  }

  /** The body of a block: its params over the file's (`vars` holds both), seeing nothing of its caller. */
  static ofBlock(vars: ReadonlyMap<string, Value>, file: Environment): Environment {
    return new Environment(vars, undefined, file);
  }

  with(name: string, value: Value): Environment {
    return new Environment(new Map([[name, value]]), this, this.file);
  }

  /** `with`, the value made by `make` when an expression first reads it. */
  withLazy(name: string, make: () => Value): Environment {
    return new Environment(new Binding(name, make), this, this.file);
  }

  get(name: string): Value | undefined {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk starts at this environment
    for (let env: Environment | undefined = this; env; env = env.outer) {
      const v = env.vars.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** The file's params, which every block sees, whatever block it is called from. */
  fileScope(): Environment {
    return this.file ?? this;
  }

  /** Every variable visible here, as one map. */
  toMap(): Map<string, Value> {
    const out = this.outer ? this.outer.toMap() : new Map<string, Value>();
    for (const [k, v] of this.vars) out.set(k, v);
    return out;
  }
}

/** What `in` reads in an expression: `in.c`, `in.h`, `in.w` of a feature map, `in.f` of flat features; `in.shape` always. */
export function shapeValue(shape: Shape): Value {
  if (shape.length === 3) return { c: shape[0], h: shape[1], w: shape[2], shape: [...shape] };
  if (shape.length === 1) return { f: shape[0], c: shape[0], shape: [...shape] };
  return { shape: [...shape] };
}

export function hasTemplate(node: Located): boolean {
  switch (node.type) {
    case 'scalar':
      return typeof node.value === 'string' && node.value.includes('${');
    case 'seq':
      return node.items.some(hasTemplate);
    case 'map':
      return node.entries.some((e) => hasTemplate(e.value));
  }
}

/** Evaluates located values, reporting each failure once at its position. */
export class Values {
  /** The work of every expression of the model, bounded in all. */
  private readonly meter = new WorkMeter();
  /** Parsed templates by text: a repeat evaluates the same text many times. */
  private readonly templates = new Map<string, Template>();

  constructor(
    private readonly bag: DiagnosticBag,
    /** The source lines, to place columns inside quoted expressions. */
    private readonly lines: readonly string[],
  ) {}

  /** The parsed template of a text scalar with `${`; undefined otherwise or when it does not parse. */
  template(node: Located): Template | undefined {
    if (node.type !== 'scalar' || typeof node.value !== 'string') return undefined;
    try {
      return this.parse(node.value);
    } catch (e) {
      if (e instanceof ExprError) return undefined;
      throw e;
    }
  }

  private parse(text: string): Template | undefined {
    let t = this.templates.get(text);
    if (t === undefined) {
      t = parseTemplate(text);
      if (t !== undefined) this.templates.set(text, t);
    }
    return t;
  }

  /** A located value as plain data, with every `${...}` evaluated. Reports and returns undefined on error. */
  materialize(node: Located, env: Environment, who: Who | undefined): Value | undefined {
    switch (node.type) {
      case 'scalar': {
        if (typeof node.value !== 'string' || !node.value.includes('${')) return node.value;
        try {
          return evaluateTemplate(this.parse(node.value)!, (name) => env.get(name), this.meter);
        } catch (e) {
          if (!(e instanceof ExprError)) throw e;
          // Point at the offending part of the expression; a quoted scalar's text starts one column later.
          const quoted = ['"', "'"].includes(this.lines[node.pos.line - 1]?.[node.pos.col - 1] ?? '') ? 1 : 0;
          const at = { line: node.pos.line, col: node.pos.col + quoted + e.offset };
          this.bag.error(at, `in ${quoteText(node.value)}: ${e.message}`, who);
          return undefined;
        }
      }
      case 'seq': {
        const out: Value[] = [];
        for (const item of node.items) {
          const v = this.materialize(item, env, who);
          if (v === undefined) return undefined;
          out.push(v);
        }
        return this.bounded(out, node, who);
      }
      case 'map': {
        const out: Record<string, Value> = {};
        for (const e of node.entries) {
          const v = this.materialize(e.value, env, who);
          if (v === undefined) return undefined;
          // A key `__proto__` is data like any other, not the object's prototype.
          Object.defineProperty(out, e.key, { value: v, enumerable: true, writable: true, configurable: true });
        }
        return this.bounded(out, node, who);
      }
    }
  }

  /** A list or map built of evaluated parts, refused when they make it too large (`[*big, *big]` over params doubling each other). */
  private bounded(value: Value, node: Located, who: Who | undefined): Value | undefined {
    const problem = valueTooLarge(value);
    if (problem === undefined) return value;
    this.bag.error(node.pos, problem, who);
    return undefined;
  }

  /** `repeat`: an integer of at least `min`. `who` is the entry, named as far as it is known. */
  int(node: Located, env: Environment, min: number, what: string, who: Who, pos: SourcePos): number | undefined {
    const v = this.materialize(node, env, who);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.bag.error(node.pos ?? pos, `'${what}' must be an integer >= ${min}, got ${show(v)}`, who);
      return undefined;
    }
    return v;
  }

  /** `if`, `output`. `fallback` is the answer when the value cannot be evaluated (an error already reported, or a failed input). */
  bool(node: Located, env: Environment, who: Who, pos: SourcePos, what: string, fallback = false): boolean {
    const v = this.materialize(node, env, who);
    if (typeof v !== 'boolean') {
      if (v !== undefined) this.bag.error(node.pos ?? pos, `'${what}' must be true or false, got ${show(v)}`, who);
      return fallback;
    }
    return v;
  }

  /** `name`: text (or a number) without spaces. */
  name(node: Located, env: Environment, who: Who): string | undefined {
    const v = this.materialize(node, env, who);
    if (v === undefined) return undefined;
    if ((typeof v !== 'string' && typeof v !== 'number') || String(v) === '' || /\s/.test(String(v))) {
      this.bag.error(node.pos, `'name' must be text without spaces, got ${show(v)}`, who);
      return undefined;
    }
    return String(v);
  }
}

/** The longest expression text quoted whole in an error; a longer one is cut (the column still points into it). */
const MAX_QUOTED = 100;

function quoteText(text: string): string {
  return text.length <= MAX_QUOTED ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, MAX_QUOTED - 20))}...`;
}
