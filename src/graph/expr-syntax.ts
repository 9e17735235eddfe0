/**
 * The syntax of the expression language (expr.ts says what it means): tokens, the parse tree,
 * and templates, the text around `${...}`. Parsing is bounded in depth so no input reaches the
 * stack's end.
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

/** The functions a file may call; expr.ts defines them (its table is typed by this list). */
export const FUNCTION_NAMES = ['min', 'max', 'floor', 'ceil', 'round', 'abs', 'len'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];
const isFunctionName = (name: string): name is FunctionName => (FUNCTION_NAMES as readonly string[]).includes(name);

export type Node =
  | { n: 'lit'; v: Value; at: number }
  | { n: 'name'; v: string; at: number }
  | { n: 'member'; obj: Node; key: string; at: number }
  | { n: 'index'; obj: Node; index: Node; at: number }
  | { n: 'call'; fn: FunctionName; args: Node[]; at: number }
  | { n: 'list'; items: Node[]; at: number }
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
          if (!isFunctionName(t.v)) throw new ExprError(`unknown function '${t.v}' (known: ${FUNCTION_NAMES.join(', ')})`, t.at);
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
          return made({ n: 'list', items, at: t.at }, items);
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

export function collectNames(node: Node, into: Set<string>): void {
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
    case 'list':
      return node.items.forEach((a) => collectNames(a, into));
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

export function templateMentions(template: Template, name: string): boolean {
  return template.parts.some((p) => typeof p !== 'string' && p.expr.mentions(name));
}
