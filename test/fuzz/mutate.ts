/**
 * Mutations of model files: structural edits of the YAML tree (a key dropped, duplicated or
 * renamed, siblings swapped, a value replaced by a hostile one) and textual edits of the bytes
 * (truncation, byte flips, snippets, deep nesting). Each mutation is a plain value (indices and
 * choices), applied by `applyMutations`, so a failing case prints and shrinks like any other.
 */
import fc from 'fast-check';
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, Scalar, type Document } from 'yaml';

/** Values that have broken parsers before: zero, negatives, huge, fractional, the wrong type, inherited names. */
export const HOSTILE_VALUES: readonly unknown[] = [
  0,
  -1,
  1,
  1e9,
  2.5,
  -0.5,
  2 ** 53,
  2 ** 60,
  1e300,
  'x',
  '',
  'conv',
  null,
  true,
  [],
  [1, 2],
  [0, 0, 0],
  {},
  { a: 1 },
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  '${in.c}',
  '${i}',
  '${1 / 0}',
  '${2 ** 1000}',
  '${[1, 2][5]}',
  '${x}',
  '${in.shape[9]}',
  '${-in.c}',
  '${in.c * 1e9}',
  '${max([])}',
];

/** Key names that exist on every JavaScript object. */
export const INHERITED_NAMES: readonly string[] = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  'length',
  '__defineGetter__',
];

const KEYS = [
  ...INHERITED_NAMES,
  'conv',
  'relu',
  'repeat',
  'name',
  'inputs',
  'if',
  'output',
  'layers',
  'blocks',
  'params',
  'kernel',
  'stride',
  'padding',
  'out',
  'x',
];

export type Mutation =
  | { readonly op: 'drop' | 'duplicate' | 'swap'; readonly at: number; readonly other: number }
  | { readonly op: 'replace'; readonly at: number; readonly value: number }
  | { readonly op: 'rename'; readonly at: number; readonly key: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'flip'; readonly at: number; readonly bits: number }
  | { readonly op: 'insert'; readonly at: number; readonly snippet: number }
  | { readonly op: 'nest'; readonly at: number; readonly depth: number; readonly style: number };

const SNIPPETS = [
  '',
  ' ',
  '\n',
  ':',
  '- ',
  '[',
  ']',
  '{',
  '}',
  '"',
  '${',
  '*a',
  '&a ',
  '0',
  '-1',
  '99999999999',
  'x',
  '\t',
  '#',
  '? ',
  '!!map ',
  '<<: ',
  '\u0000',
  '\ufeff',
  '${in.c',
  '${(1',
];

const index = fc.nat({ max: 1_000_000 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constantFrom('drop' as const, 'duplicate' as const, 'swap' as const), at: index, other: index }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('replace' as const), at: index, value: fc.nat({ max: HOSTILE_VALUES.length - 1 }) }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rename' as const), at: index, key: fc.nat({ max: KEYS.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: index }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flip' as const), at: index, bits: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: index, snippet: fc.nat({ max: SNIPPETS.length - 1 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('nest' as const),
      at: index,
      depth: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(1000, 3000)),
      style: fc.nat({ max: 3 }),
    }),
  },
);

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

/** Applies the mutations in order; structural ones on the YAML tree (when the text still parses), textual ones on the text. */
export function applyMutations(text: string, ms: readonly Mutation[]): string {
  let out = text;
  for (const m of ms) out = applyOne(out, m);
  return out;
}

function applyOne(text: string, m: Mutation): string {
  switch (m.op) {
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'flip': {
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length === 0) return text;
      bytes[m.at % bytes.length] ^= m.bits;
      return bytes.toString('utf8');
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + SNIPPETS[m.snippet] + text.slice(at);
    }
    case 'nest':
      return nest(text, m.at, m.depth, m.style);
    default:
      return structural(text, m);
  }
}

/** Deep nesting at a value: flow lists, flow maps, parenthesised or unary expressions. */
function nest(text: string, at: number, depth: number, style: number): string {
  const lines = text.split('\n');
  const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /:\s*\S/.test(l) && !/^\s*#/.test(l));
  if (candidates.length === 0) return text;
  const [line, i] = candidates[at % candidates.length];
  const colon = line.indexOf(': ');
  if (colon < 0) return text;
  const value = line.slice(colon + 2).trim() || '1';
  const inner = /^[\d.]+$/.test(value) ? value : '1';
  const deep =
    style === 0
      ? '['.repeat(depth) + value + ']'.repeat(depth)
      : style === 1
        ? '{a: '.repeat(depth) + value + '}'.repeat(depth)
        : style === 2
          ? `"\${${'('.repeat(depth)}${inner}${')'.repeat(depth)}}"`
          : `"\${${'-'.repeat(depth)}${inner}}"`;
  lines[i] = line.slice(0, colon + 2) + deep;
  return lines.join('\n');
}

interface Slot {
  /** The collection holding the item. */
  readonly parent: { items: unknown[] };
  readonly index: number;
}

/** Every item of every map and sequence in the document, in document order. */
function slots(doc: Document): Slot[] {
  const out: Slot[] = [];
  const visit = (node: unknown, depth: number) => {
    if (depth > 64) return;
    if (isMap(node) || isSeq(node)) {
      node.items.forEach((item, index) => {
        out.push({ parent: node, index });
        visit(isPair(item) ? item.value : item, depth + 1);
      });
    }
  };
  visit(doc.contents, 0);
  return out;
}

function structural(text: string, m: Exclude<Mutation, { op: 'truncate' | 'flip' | 'insert' | 'nest' }>): string {
  let doc: Document;
  try {
    doc = parseDocument(text, { uniqueKeys: false });
  } catch {
    return text;
  }
  if (doc.errors.length > 0) return text;
  const all = slots(doc);
  if (all.length === 0) return text;
  const slot = all[m.at % all.length];
  const items = slot.parent.items;
  const item = items[slot.index];
  switch (m.op) {
    case 'drop':
      items.splice(slot.index, 1);
      break;
    case 'duplicate':
      items.splice(slot.index, 0, isPair(item) ? doc.createPair(clone(item.key), clone(item.value)) : clone(item));
      break;
    case 'swap': {
      const j = m.other % items.length;
      [items[slot.index], items[j]] = [items[j], items[slot.index]];
      break;
    }
    case 'replace': {
      const value = doc.createNode(HOSTILE_VALUES[m.value]);
      if (isPair(item)) item.value = value;
      else items[slot.index] = value;
      break;
    }
    case 'rename': {
      const key = KEYS[m.key];
      if (isPair(item)) item.key = new Scalar(key);
      else if (isScalar(item) || isAlias(item)) items[slot.index] = new Scalar(key);
      else items[slot.index] = doc.createNode({ [key]: null });
      break;
    }
  }
  try {
    return doc.toString({ lineWidth: 0 });
  } catch {
    return text;
  }
}

function clone(x: unknown): unknown {
  return x && typeof x === 'object' && 'clone' in x && typeof x.clone === 'function' ? (x as { clone(): unknown }).clone() : x;
}
