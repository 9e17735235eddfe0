/**
 * The small expression language of `${...}` in YAML values: arithmetic over parameters and the
 * input's shape, so that no size a tool can derive has to be written by hand. It is parsed and
 * evaluated (here; expr-syntax.ts parses it), never with JavaScript's eval.
 *
 *   literals     12  2.5  true  false  "text"  'text'
 *   names        depth  width  i  in.c  in.h  in.w  in.shape  stages[depth]
 *   operators    ?:  ||  &&  == != < <= > >=  + -  * / // %  **  unary - !
 *   functions    min(a, b, ...)  max(...)  floor(x)  ceil(x)  round(x)  abs(x)  len(list)
 *
 * `/` is true division; `//` floors, as in Python. `+` also joins strings.
 */

import { grouped } from './diagnostics.js';
import { ExprError, MAX_EXPR_DEPTH, type Expression, type FunctionName, type Node, type Template, type Value } from './expr-syntax.js';

export {
  ExprError,
  MAX_EXPR_DEPTH,
  parseExpression,
  parseTemplate,
  templateMentions,
  type Expression,
  type Template,
  type Value,
} from './expr-syntax.js';

/** The most items a value built by an expression may hold, nested ones counted (a list used twice counts twice). */
export const MAX_VALUE_ITEMS = 1_000_000;
/** The longest text an expression may build. */
export const MAX_TEXT_LENGTH = 1_000_000;

/**
 * The most list items all the expressions of one model may go through in operations on lists of
 * more than SMALL_LIST items (`min`, `max`, `==`, joining a list to text, building a list): what a
 * `repeat` multiplies stays bounded, and a model comparing shapes in every layer pays nothing.
 */
export const MAX_EVALUATION_WORK = 20_000_000;
const SMALL_LIST = 64;

/** Counts the work of the evaluations it is given to, across them. */
export class WorkMeter {
  private used = 0;

  charge(items: number, at: number): void {
    if (items <= SMALL_LIST) return;
    this.used += items;
    if (this.used > MAX_EVALUATION_WORK)
      throw new ExprError(
        `the model's expressions go through more than ${grouped(MAX_EVALUATION_WORK)} list items in all; refusing it`,
        at,
      );
  }
}

/** Names an expression may read. Returning undefined means "no such name". */
export type Scope = (name: string) => Value | undefined;

function num(v: Value, at: number, what: string): number {
  if (typeof v !== 'number') throw new ExprError(`${what} needs a number, got ${typeName(v)}`, at);
  return v;
}

function typeName(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

/** The items a list or map holds, for the work meter: none for a scalar. */
const itemsOf = (v: Value): number => (v !== null && typeof v === 'object' ? measure(v).items : 0);

const FUNCTIONS: Record<FunctionName, (args: Value[], at: number) => Value> = {
  // A loop, not Math.min(...list): spreading a long list overflows the stack.
  min: (a, at) => nums(a, at, 'min').reduce((m, x) => Math.min(m, x)),
  max: (a, at) => nums(a, at, 'max').reduce((m, x) => Math.max(m, x)),
  floor: (a, at) => Math.floor(num(one(a, at, 'floor'), at, 'floor')),
  ceil: (a, at) => Math.ceil(num(one(a, at, 'ceil'), at, 'ceil')),
  round: (a, at) => Math.round(num(one(a, at, 'round'), at, 'round')),
  abs: (a, at) => Math.abs(num(one(a, at, 'abs'), at, 'abs')),
  len: (a, at) => {
    const v = one(a, at, 'len');
    if (Array.isArray(v) || typeof v === 'string') return v.length;
    throw new ExprError(`len needs a list, got ${typeName(v)}`, at);
  },
};

/** Items and nesting depth of each list or map measured, so that a value built from shared parts is measured in their number. */
const measured = new WeakMap<object, { readonly items: number; readonly depth: number }>();

/** How many items `v` holds, nested ones counted (a part used twice counts twice), and how deep it nests. */
export function measure(v: Value): { readonly items: number; readonly depth: number } {
  if (v === null || typeof v !== 'object') return { items: 1, depth: 0 };
  const known = measured.get(v);
  if (known) return known;
  let items = 1;
  let depth = 0;
  // Values reach here built bottom-up (each part measured already) or read from YAML (nested at most 200 levels).
  for (const item of Array.isArray(v) ? (v as readonly Value[]) : Object.values(v)) {
    const m = measure(item);
    items = Math.min(items + m.items, Number.MAX_SAFE_INTEGER);
    depth = Math.max(depth, m.depth);
  }
  const result = { items, depth: depth + 1 };
  measured.set(v, result);
  return result;
}

/** Why a list or map built from parts is too large to keep, or undefined. */
export function valueTooLarge(v: Value): string | undefined {
  const { items, depth } = measure(v);
  if (items > MAX_VALUE_ITEMS)
    return `the value holds more than ${grouped(MAX_VALUE_ITEMS)} items (a list used twice counts twice); refusing it`;
  if (depth > MAX_EXPR_DEPTH) return `the value nests more than ${MAX_EXPR_DEPTH} levels deep; refusing it`;
  return undefined;
}

/** A list or text an expression built, refused when too large. */
function built<T extends Value>(v: T, at: number): T {
  if (typeof v === 'string') {
    if (v.length > MAX_TEXT_LENGTH) throw new ExprError(`the text is longer than ${grouped(MAX_TEXT_LENGTH)} characters; refusing it`, at);
    return v;
  }
  const problem = valueTooLarge(v);
  if (problem) throw new ExprError(problem, at);
  return v;
}

function one(args: Value[], at: number, fn: string): Value {
  if (args.length !== 1) throw new ExprError(`${fn} takes one argument, got ${args.length}`, at);
  return args[0]!;
}

function nums(args: Value[], at: number, fn: string): number[] {
  const flat = args.length === 1 && Array.isArray(args[0]) ? (args[0] as Value[]) : args;
  if (flat.length === 0) throw new ExprError(`${fn} needs at least one number`, at);
  return flat.map((v) => num(v, at, fn));
}

export function evaluate(expr: Expression, scope: Scope, meter = new WorkMeter()): Value {
  const ev = (node: Node): Value => {
    switch (node.n) {
      case 'lit':
        return node.v;
      case 'name': {
        const v = scope(node.v);
        if (v === undefined) throw new ExprError(`unknown name '${node.v}'`, node.at);
        return v;
      }
      case 'member': {
        const obj = ev(node.obj);
        // Own keys only: `in.constructor` is no field, whatever JavaScript objects inherit.
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || !Object.hasOwn(obj, node.key)) {
          const keys = obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? ` (has ${Object.keys(obj).join(', ')})` : '';
          throw new ExprError(`no field '${node.key}'${keys}`, node.at);
        }
        return (obj as Record<string, Value>)[node.key]!;
      }
      case 'index': {
        const obj = ev(node.obj);
        const key = ev(node.index);
        if (Array.isArray(obj)) {
          const i = num(key, node.at, 'indexing a list');
          if (!Number.isInteger(i) || i < -obj.length || i >= obj.length)
            throw new ExprError(`index ${i} is outside the list of ${obj.length}`, node.at);
          return (obj as Value[])[i < 0 ? obj.length + i : i]!;
        }
        if (obj !== null && typeof obj === 'object') {
          const k = scalarText(key);
          if (!Object.hasOwn(obj, k)) throw new ExprError(`no entry ${JSON.stringify(k)} (has ${Object.keys(obj).join(', ')})`, node.at);
          return (obj as Record<string, Value>)[k]!;
        }
        throw new ExprError(`cannot index ${typeName(obj)}`, node.at);
      }
      case 'call': {
        const args = node.args.map(ev);
        // `min(xs)` goes through the list; arithmetic on numbers is free.
        if (args.length === 1 && Array.isArray(args[0])) meter.charge(args[0].length, node.at);
        return FUNCTIONS[node.fn](args, node.at);
      }
      case 'list': {
        // `[a, b]` goes through its items.
        const items = node.items.map(ev);
        meter.charge(items.length, node.at);
        return built(items, node.at);
      }
      case 'unary': {
        const v = ev(node.arg);
        if (node.op === '!') return !truthy(v, node.at);
        return node.op === '-' ? -num(v, node.at, 'unary -') : num(v, node.at, 'unary +');
      }
      case 'cond':
        return truthy(ev(node.test), node.at) ? ev(node.then) : ev(node.else);
      case 'binary':
        return binaryOp(node, ev, meter);
    }
  };
  const result = ev(expr.root);
  if (typeof result === 'number' && !Number.isFinite(result)) throw new ExprError('the result is not a finite number', 0);
  return result;
}

function truthy(v: Value, at: number): boolean {
  if (typeof v !== 'boolean') throw new ExprError(`a condition needs true or false, got ${typeName(v)}`, at);
  return v;
}

function binaryOp(node: Extract<Node, { n: 'binary' }>, ev: (n: Node) => Value, meter: WorkMeter): Value {
  const { op, at } = node;
  if (op === '&&') return truthy(ev(node.left), at) && truthy(ev(node.right), at);
  if (op === '||') return truthy(ev(node.left), at) || truthy(ev(node.right), at);
  const l = ev(node.left);
  const r = ev(node.right);
  // Comparing or joining lists writes them out whole.
  if (op === '==' || op === '!=' || op === '+') {
    meter.charge(itemsOf(l) + itemsOf(r), at);
  }
  if (op === '==') return equal(l, r);
  if (op === '!=') return !equal(l, r);
  if (op === '+' && (typeof l === 'string' || typeof r === 'string')) return built(`${scalarText(l)}${scalarText(r)}`, at);
  const a = num(l, at, `'${op}'`);
  const b = num(r, at, `'${op}'`);
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
    case '//':
    case '%':
      if (b === 0) throw new ExprError('division by zero', at);
      return op === '/' ? a / b : op === '//' ? Math.floor(a / b) : a - b * Math.floor(a / b);
    case '**':
      return a ** b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
  throw new ExprError(`unknown operator '${op}'`, at);
}

function equal(a: Value, b: Value): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function evaluateTemplate(template: Template, scope: Scope, meter = new WorkMeter()): Value {
  let out = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    try {
      const v = evaluate(part.expr, scope, meter);
      if (template.whole) return v;
      if (v !== null && typeof v === 'object') throw new ExprError(`cannot put ${typeName(v)} inside text`, 0);
      out = built(out + String(v), 0);
    } catch (e) {
      if (e instanceof ExprError) throw new ExprError(e.message, e.offset + part.offset);
      throw e;
    }
  }
  return out;
}

/** A value as text joins it: scalars as String() writes them, lists and maps as their JSON. */
function scalarText(v: Value): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}
