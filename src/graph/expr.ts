/**
 * The small expression language of `${...}` in YAML values: arithmetic over parameters and the
 * input's shape, so that no size a tool can derive has to be written by hand. It is parsed and
 * evaluated here, never with JavaScript's eval.
 *
 *   literals     12  2.5  true  false  "text"  'text'
 *   names        depth  width  i  in.c  in.h  in.w  in.shape  stages[depth]
 *   operators    ?:  ||  &&  == != < <= > >=  + -  * / // %  **  unary - !
 *   functions    min(a, b, ...)  max(...)  floor(x)  ceil(x)  round(x)  abs(x)  len(list)
 *
 * `/` is true division; `//` floors, as in Python. `+` also joins strings.
 */

export type Value = number | boolean | string | null | readonly Value[] | { readonly [key: string]: Value };

/** A problem in an expression; `offset` is the character position inside the expression text. */
export class ExprError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** How deep an expression may nest (parentheses, brackets, calls and operators), and the values it builds. */
export const MAX_EXPR_DEPTH = 200;
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
        `the model's expressions go through more than ${MAX_EVALUATION_WORK.toLocaleString('en-US')} list items in all; refusing it`,
        at,
      );
  }
}

/** Names an expression may read. Returning undefined means "no such name". */
export type Scope = (name: string) => Value | undefined;

type Token =
  | { t: 'num'; v: number; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'id'; v: string; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'end'; at: number };

const OPERATORS = [
  '**',
  '//',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '!',
  '?',
  ':',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
];

// Sticky: matched where the tokenizer stands, without copying the rest of the text for each token.
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;

function matchAt(re: RegExp, src: string, i: number): RegExpExecArray | null {
  re.lastIndex = i;
  return re.exec(src);
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const at = i;
    const num = matchAt(NUMBER, src, i);
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), at });
      i += num[0].length;
      continue;
    }
    const id = matchAt(IDENTIFIER, src, i);
    if (id) {
      out.push({ t: 'id', v: id[0], at });
      i += id[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const end = src.indexOf(ch, i + 1);
      if (end < 0) throw new ExprError('unterminated string', at);
      out.push({ t: 'str', v: src.slice(i + 1, end), at });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected character '${ch}'`, at);
    out.push({ t: 'op', v: op, at });
    i += op.length;
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

type Node =
  | { n: 'lit'; v: Value; at: number }
  | { n: 'name'; v: string; at: number }
  | { n: 'member'; obj: Node; key: string; at: number }
  | { n: 'index'; obj: Node; index: Node; at: number }
  | { n: 'call'; fn: string; args: Node[]; at: number }
  | { n: 'unary'; op: string; arg: Node; at: number }
  | { n: 'binary'; op: string; left: Node; right: Node; at: number }
  | { n: 'cond'; test: Node; then: Node; else: Node; at: number };

const BINARY_PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '//': 6,
  '%': 6,
};

/** A parsed expression, reusable across evaluations (a repeat evaluates the same text N times). */
export interface Expression {
  readonly source: string;
  readonly root: Node;
  /** Whether the expression mentions a name (used to tell whether a name varies with `i`). */
  mentions(name: string): boolean;
}

const TOO_DEEP = `the expression nests more than ${MAX_EXPR_DEPTH} levels deep; refusing it`;

export function parseExpression(src: string): Expression {
  const tokens = tokenize(src);
  let p = 0;
  // Two bounds keep parsing and evaluating off the stack's end: `nesting` counts the parser's own
  // recursion (parentheses make no node), `depths` the tree's (a chain `a + b + c` is a tree too).
  let nesting = 0;
  const enter = (at: number) => {
    if (++nesting > MAX_EXPR_DEPTH) throw new ExprError(TOO_DEEP, at);
  };
  const depths = new WeakMap<Node, number>();
  const made = <T extends Node>(node: T, children: readonly Node[]): T => {
    let depth = 1;
    for (const c of children) depth = Math.max(depth, (depths.get(c) ?? 1) + 1);
    if (depth > MAX_EXPR_DEPTH) throw new ExprError(TOO_DEEP, node.at);
    depths.set(node, depth);
    return node;
  };
  const peek = () => tokens[p];
  const isOp = (v: string) => {
    const t = peek();
    return t.t === 'op' && t.v === v;
  };
  const expect = (v: string) => {
    if (!isOp(v)) throw new ExprError(`expected '${v}'`, peek().at);
    p++;
  };

  function conditional(): Node {
    enter(peek().at);
    const test = binary(1);
    if (!isOp('?')) {
      nesting--;
      return test;
    }
    const at = peek().at;
    p++;
    const then = conditional();
    expect(':');
    const otherwise = conditional();
    nesting--;
    return made({ n: 'cond', test, then, else: otherwise, at }, [test, then, otherwise]);
  }

  function binary(minPrec: number): Node {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t.t !== 'op') return left;
      const prec = BINARY_PRECEDENCE[t.v];
      if (prec === undefined || prec < minPrec) return left;
      p++;
      const right = binary(prec + 1);
      left = made({ n: 'binary', op: t.v, left, right, at: t.at }, [left, right]);
    }
  }

  function unary(): Node {
    const t = peek();
    if (t.t === 'op' && (t.v === '-' || t.v === '!' || t.v === '+')) {
      p++;
      enter(t.at);
      const arg = unary();
      nesting--;
      return made({ n: 'unary', op: t.v, arg, at: t.at }, [arg]);
    }
    return power();
  }

  // As in Python, ** binds tighter than a unary minus on its left (-2 ** 2 is -4) and groups to the right.
  function power(): Node {
    const base = postfix(primary());
    const t = peek();
    if (t.t !== 'op' || t.v !== '**') return base;
    p++;
    enter(t.at);
    const right = unary();
    nesting--;
    return made({ n: 'binary', op: '**', left: base, right, at: t.at }, [base, right]);
  }

  function postfix(node: Node): Node {
    for (;;) {
      const t = peek();
      if (t.t === 'op' && t.v === '.') {
        p++;
        const key = peek();
        if (key.t !== 'id') throw new ExprError('expected a name after "."', key.at);
        p++;
        node = made({ n: 'member', obj: node, key: key.v, at: t.at }, [node]);
      } else if (t.t === 'op' && t.v === '[') {
        p++;
        const index = conditional();
        expect(']');
        node = made({ n: 'index', obj: node, index, at: t.at }, [node, index]);
      } else {
        return node;
      }
    }
  }

  function primary(): Node {
    const t = peek();
    p++;
    switch (t.t) {
      case 'num':
        return { n: 'lit', v: t.v, at: t.at };
      case 'str':
        return { n: 'lit', v: t.v, at: t.at };
      case 'id':
        if (t.v === 'true' || t.v === 'false') return { n: 'lit', v: t.v === 'true', at: t.at };
        if (t.v === 'null') return { n: 'lit', v: null, at: t.at };
        if (isOp('(')) {
          p++;
          const args: Node[] = [];
          if (!isOp(')')) {
            do args.push(conditional());
            while (isOp(',') && ++p);
          }
          expect(')');
          if (!Object.hasOwn(FUNCTIONS, t.v))
            throw new ExprError(`unknown function '${t.v}' (known: ${Object.keys(FUNCTIONS).join(', ')})`, t.at);
          return made({ n: 'call', fn: t.v, args, at: t.at }, args);
        }
        return { n: 'name', v: t.v, at: t.at };
      case 'op':
        if (t.v === '(') {
          const inner = conditional();
          expect(')');
          return inner;
        }
        if (t.v === '[') {
          const items: Node[] = [];
          if (!isOp(']')) {
            do items.push(conditional());
            while (isOp(',') && ++p);
          }
          expect(']');
          return made({ n: 'call', fn: '__list', args: items, at: t.at }, items);
        }
        throw new ExprError(`unexpected '${t.v}'`, t.at);
      case 'end':
        throw new ExprError('unexpected end of expression', t.at);
    }
  }

  const root = conditional();
  if (peek().t !== 'end') throw new ExprError(`unexpected '${describe(peek())}' after the expression`, peek().at);
  const names = new Set<string>();
  collectNames(root, names);
  return { source: src, root, mentions: (name) => names.has(name) };
}

function describe(t: Token): string {
  return t.t === 'end' ? 'end' : String(t.v);
}

function collectNames(node: Node, into: Set<string>): void {
  switch (node.n) {
    case 'name':
      into.add(node.v);
      return;
    case 'lit':
      return;
    case 'member':
      return collectNames(node.obj, into);
    case 'index':
      collectNames(node.obj, into);
      return collectNames(node.index, into);
    case 'call':
      return node.args.forEach((a) => collectNames(a, into));
    case 'unary':
      return collectNames(node.arg, into);
    case 'binary':
      collectNames(node.left, into);
      return collectNames(node.right, into);
    case 'cond':
      collectNames(node.test, into);
      collectNames(node.then, into);
      return collectNames(node.else, into);
  }
}

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

const FUNCTIONS: Record<string, (args: Value[], at: number) => Value> = {
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
  __list: (a, at) => built(a, at),
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
    return `the value holds more than ${MAX_VALUE_ITEMS.toLocaleString('en-US')} items (a list used twice counts twice); refusing it`;
  if (depth > MAX_EXPR_DEPTH) return `the value nests more than ${MAX_EXPR_DEPTH} levels deep; refusing it`;
  return undefined;
}

/** A list or text an expression built, refused when too large. */
function built<T extends Value>(v: T, at: number): T {
  if (typeof v === 'string') {
    if (v.length > MAX_TEXT_LENGTH)
      throw new ExprError(`the text is longer than ${MAX_TEXT_LENGTH.toLocaleString('en-US')} characters; refusing it`, at);
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
        // `min(xs)` goes through the list, `[a, b]` through its items; arithmetic on numbers is free.
        if (args.length === 1 && Array.isArray(args[0])) meter.charge(args[0].length, node.at);
        else if (node.fn === '__list') meter.charge(args.length, node.at);
        return FUNCTIONS[node.fn](args, node.at);
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

/** Text containing `${...}`, split into literal parts and expressions. */
export interface Template {
  /** When the whole text is one `${...}`, its value keeps its type (a number stays a number). */
  readonly whole: Expression | undefined;
  readonly parts: readonly (string | { expr: Expression; offset: number })[];
}

/** Returns undefined for text without `${`. Offsets in errors are relative to the text. */
export function parseTemplate(text: string): Template | undefined {
  if (!text.includes('${')) return undefined;
  const parts: (string | { expr: Expression; offset: number })[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) {
      parts.push(text.slice(i));
      break;
    }
    if (start > i) parts.push(text.slice(i, start));
    const end = findClose(text, start + 2);
    if (end < 0) throw new ExprError('"${" without its closing "}"', start);
    try {
      parts.push({ expr: parseExpression(text.slice(start + 2, end)), offset: start + 2 });
    } catch (e) {
      if (e instanceof ExprError) throw new ExprError(e.message, e.offset + start + 2);
      throw e;
    }
    i = end + 1;
  }
  const only = parts.length === 1 && typeof parts[0] !== 'string' ? parts[0] : undefined;
  return { whole: only?.expr, parts };
}

function findClose(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
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

export function templateMentions(template: Template, name: string): boolean {
  return template.parts.some((p) => typeof p !== 'string' && p.expr.mentions(name));
}

/** A value as text joins it: scalars as String() writes them, lists and maps as their JSON. */
function scalarText(v: Value): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}
