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
    const num = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), at });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
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

export function parseExpression(src: string): Expression {
  const tokens = tokenize(src);
  let p = 0;
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
    const test = binary(1);
    if (!isOp('?')) return test;
    const at = peek().at;
    p++;
    const then = conditional();
    expect(':');
    return { n: 'cond', test, then, else: conditional(), at };
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
      left = { n: 'binary', op: t.v, left, right, at: t.at };
    }
  }

  function unary(): Node {
    const t = peek();
    if (t.t === 'op' && (t.v === '-' || t.v === '!' || t.v === '+')) {
      p++;
      return { n: 'unary', op: t.v, arg: unary(), at: t.at };
    }
    return power();
  }

  // As in Python, ** binds tighter than a unary minus on its left (-2 ** 2 is -4) and groups to the right.
  function power(): Node {
    const base = postfix(primary());
    const t = peek();
    if (t.t !== 'op' || t.v !== '**') return base;
    p++;
    return { n: 'binary', op: '**', left: base, right: unary(), at: t.at };
  }

  function postfix(node: Node): Node {
    for (;;) {
      const t = peek();
      if (t.t === 'op' && t.v === '.') {
        p++;
        const key = peek();
        if (key.t !== 'id') throw new ExprError('expected a name after "."', key.at);
        p++;
        node = { n: 'member', obj: node, key: key.v, at: t.at };
      } else if (t.t === 'op' && t.v === '[') {
        p++;
        const index = conditional();
        expect(']');
        node = { n: 'index', obj: node, index, at: t.at };
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
          return { n: 'call', fn: t.v, args, at: t.at };
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
          return { n: 'call', fn: '__list', args: items, at: t.at };
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

const FUNCTIONS: Record<string, (args: Value[], at: number) => Value> = {
  min: (a, at) => Math.min(...nums(a, at, 'min')),
  max: (a, at) => Math.max(...nums(a, at, 'max')),
  floor: (a, at) => Math.floor(num(one(a, at, 'floor'), at, 'floor')),
  ceil: (a, at) => Math.ceil(num(one(a, at, 'ceil'), at, 'ceil')),
  round: (a, at) => Math.round(num(one(a, at, 'round'), at, 'round')),
  abs: (a, at) => Math.abs(num(one(a, at, 'abs'), at, 'abs')),
  len: (a, at) => {
    const v = one(a, at, 'len');
    if (Array.isArray(v) || typeof v === 'string') return v.length;
    throw new ExprError(`len needs a list, got ${typeName(v)}`, at);
  },
  __list: (a) => a,
};

function one(args: Value[], at: number, fn: string): Value {
  if (args.length !== 1) throw new ExprError(`${fn} takes one argument, got ${args.length}`, at);
  return args[0]!;
}

function nums(args: Value[], at: number, fn: string): number[] {
  const flat = args.length === 1 && Array.isArray(args[0]) ? (args[0] as Value[]) : args;
  if (flat.length === 0) throw new ExprError(`${fn} needs at least one number`, at);
  return flat.map((v) => num(v, at, fn));
}

export function evaluate(expr: Expression, scope: Scope): Value {
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
      case 'call':
        return FUNCTIONS[node.fn](node.args.map(ev), node.at);
      case 'unary': {
        const v = ev(node.arg);
        if (node.op === '!') return !truthy(v, node.at);
        return node.op === '-' ? -num(v, node.at, 'unary -') : num(v, node.at, 'unary +');
      }
      case 'cond':
        return truthy(ev(node.test), node.at) ? ev(node.then) : ev(node.else);
      case 'binary':
        return binaryOp(node, ev);
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

function binaryOp(node: Extract<Node, { n: 'binary' }>, ev: (n: Node) => Value): Value {
  const { op, at } = node;
  if (op === '&&') return truthy(ev(node.left), at) && truthy(ev(node.right), at);
  if (op === '||') return truthy(ev(node.left), at) || truthy(ev(node.right), at);
  const l = ev(node.left);
  const r = ev(node.right);
  if (op === '==') return equal(l, r);
  if (op === '!=') return !equal(l, r);
  if (op === '+' && (typeof l === 'string' || typeof r === 'string')) return `${scalarText(l)}${scalarText(r)}`;
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

export function evaluateTemplate(template: Template, scope: Scope): Value {
  let out = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    try {
      const v = evaluate(part.expr, scope);
      if (template.whole) return v;
      if (v !== null && typeof v === 'object') throw new ExprError(`cannot put ${typeName(v)} inside text`, 0);
      out += String(v);
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
