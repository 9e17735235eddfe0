/**
 * A fast reader for the YAML that model files are written in: block maps and sequences, flow
 * collections, plain and one-line quoted scalars, comments. It gives exactly the tree parseYaml
 * (source.ts) gives, values and positions, or undefined, meaning "read it with parseYaml":
 * anything outside that subset (anchors, aliases, tags, block scalars, escapes, multi-line
 * scalars, explicit keys, documents markers, tabs, CR, a duplicate key, a resource limit
 * reached) and anything malformed. It never reports: every message, and its position, comes from
 * the full reader. The yaml package spends most of a large file's time building its CST and
 * document; this reads each character once, about 20x faster.
 *
 * Scalars are typed as yaml's YAML 1.2 core schema types them (the same regexes, in its order).
 */
import { DiagnosticBag, type SourcePos } from './diagnostics.js';
import { MAX_YAML_NODES, parseYaml, type Located, type MapEntry } from './source.js';

/** The nesting parseYaml refuses past (its convert's depth). */
const MAX_DEPTH = 200;

/** yaml's implicit keys are at most 1024 characters; longer ones it reports. */
const MAX_KEY_LENGTH = 1000;

/** Thrown to leave the subset: the caller then reads the text with the full reader. */
const OUT_OF_SUBSET: unique symbol = Symbol('outside the fast subset');

/** Characters the subset never holds: tabs, CR, other controls, BOM, line separators. */
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const UNSUPPORTED_CHARS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
/** Directives and document markers, at the start of a line. */
const DOCUMENT_MARKERS = /^(?:%|---(?:[ \n]|$)|\.\.\.(?:[ \n]|$))/m;

// yaml's core schema (yaml/dist/schema/core), tried in its order.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value under the core schema. */
export function plainScalarValue(text: string): string | number | boolean | null {
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return text[0] === 't' || text[0] === 'T';
  if (INT_OCT.test(text)) return parseInt(text.substring(2), 8);
  if (INT.test(text)) return parseInt(text, 10);
  if (INT_HEX.test(text)) return parseInt(text.substring(2), 16);
  if (FLOAT_NAN.test(text)) return text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? -Infinity : Infinity;
  if (FLOAT_EXP.test(text) || FLOAT.test(text)) return parseFloat(text);
  return text;
}

const NL = 10;
const SPACE = 32;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const COMMA = 44;
const DASH = 45;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;

/** Characters a plain scalar may not start with (`-` may, before a non-space: `-1`). */
function isIndicator(c: number): boolean {
  switch (c) {
    case 33: // !
    case DQUOTE:
    case HASH:
    case 37: // %
    case 38: // &
    case SQUOTE:
    case 42: // *
    case COMMA:
    case COLON:
    case 62: // >
    case 63: // ?
    case 64: // @
    case LBRACKET:
    case RBRACKET:
    case 96: // `
    case LBRACE:
    case 124: // |
    case RBRACE:
      return true;
    default:
      return false;
  }
}

/** Maps up to this many keys find a duplicate by a scan; larger ones build a set (a set per small map costs more). */
const SCANNED_KEYS = 16;

/** Whether a map already has `key`; `keys` is the set of a map past SCANNED_KEYS entries. */
function hasKey(entries: readonly MapEntry[], keys: Set<string> | undefined, key: string): boolean {
  if (keys) return keys.has(key);
  for (let k = 0; k < entries.length; k++) if (entries[k].key === key) return true;
  return false;
}

/** The set of a map's keys once it has SCANNED_KEYS entries, with `key` added. */
function withKey(entries: readonly MapEntry[], keys: Set<string> | undefined, key: string): Set<string> | undefined {
  if (keys) return keys.add(key);
  return entries.length >= SCANNED_KEYS ? new Set([...entries.map((e) => e.key), key]) : undefined;
}

/**
 * A collection's list at its length. V8 grows a list pushed to from empty to 17 slots at once, and
 * the tree is kept for the whole build: most of its lists hold one to five items.
 */
function fitted<T>(list: T[]): T[] {
  return list.length < 17 ? list.slice() : list;
}

function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE;
}

/** The tree parseYaml would give for `text`, or undefined when the full reader must read it. */
export function parseYamlFast(text: string): Located | undefined {
  if (UNSUPPORTED_CHARS.test(text) || DOCUMENT_MARKERS.test(text)) return undefined;
  try {
    return new FastReader(text).document();
  } catch (e) {
    if (e === OUT_OF_SUBSET) return undefined;
    throw e;
  }
}

/**
 * `read` run on the text's located tree, the fast reader's when it has one. When `read` reports
 * anything there (an error in its bag, a throw, `clean` false of its result), the full reader
 * reads the text too and, should its tree differ at all, `read` runs again on it: every message
 * and position is then what the full reader gives, at the cost of one more parse, not one more
 * build. The full reader's own problems are thrown as a ModelError.
 */
export function readLocated<T>(
  text: string,
  file: string,
  read: (root: Located, bag: DiagnosticBag) => T,
  clean: (result: T) => boolean = () => true,
): T {
  const fast = parseYamlFast(text);
  let outcome: { result: T } | { thrown: unknown } | undefined;
  if (fast !== undefined) {
    try {
      const bag = new DiagnosticBag(file);
      const result = read(fast, bag);
      if (bag.count === 0 && clean(result)) return result;
      outcome = { result };
    } catch (e) {
      outcome = { thrown: e };
    }
  }
  const bag = new DiagnosticBag(file);
  const root = parseYaml(text, bag);
  bag.throwIfAny();
  if (outcome && sameLocated(fast!, root!)) {
    if ('thrown' in outcome) throw outcome.thrown;
    return outcome.result;
  }
  return read(root!, bag);
}

/** Whether two located trees are equal, values and positions. */
export function sameLocated(a: Located, b: Located): boolean {
  if (a.type !== b.type || a.pos.line !== b.pos.line || a.pos.col !== b.pos.col) return false;
  if (a.type === 'scalar') return Object.is(a.value, (b as typeof a).value);
  if (a.type === 'seq') {
    const items = (b as typeof a).items;
    return a.items.length === items.length && a.items.every((item, i) => sameLocated(item, items[i]));
  }
  const entries = (b as typeof a).entries;
  return (
    a.entries.length === entries.length &&
    a.entries.every((e, i) => {
      const f = entries[i];
      return e.key === f.key && e.keyPos.line === f.keyPos.line && e.keyPos.col === f.keyPos.col && sameLocated(e.value, f.value);
    })
  );
}

function leave(): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- a sentinel, caught in parseYamlFast
  throw OUT_OF_SUBSET;
}

class FastReader {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private nodes = 0;
  private readonly end: number;
  /** Whether the last blockPlain ended at `: `, a key's colon. */
  private plainIsKey = false;
  /** Each key's text once: a model file repeats a few keys (`name`, `out`, `kernel`) on every layer. */
  private readonly keyTexts = new Map<string, string>();

  constructor(private readonly text: string) {
    this.end = text.length;
  }

  document(): Located {
    this.skipBlank();
    if (this.i >= this.end) return { type: 'scalar', value: null, pos: { line: 1, col: 1 } };
    const root = this.blockNode(-1, 0);
    this.skipBlank();
    if (this.i < this.end) leave();
    return root;
  }

  private interned(key: string): string {
    const known = this.keyTexts.get(key);
    if (known !== undefined) return known;
    this.keyTexts.set(key, key);
    return key;
  }

  private pos(): SourcePos {
    return { line: this.line, col: this.i - this.lineStart + 1 };
  }

  private count(depth: number): void {
    if (++this.nodes > MAX_YAML_NODES || depth > MAX_DEPTH) leave();
  }

  private at(offset = 0): number {
    return this.text.charCodeAt(this.i + offset);
  }

  /** Whether the character at i + offset ends a token: a space, a line break or the end. */
  private blankAt(offset: number): boolean {
    const c = this.text.charCodeAt(this.i + offset);
    return c === SPACE || c === NL || this.i + offset >= this.end;
  }

  private skipSpaces(): void {
    while (this.text.charCodeAt(this.i) === SPACE) this.i++;
  }

  /** Skips spaces, comments and line breaks. */
  private skipBlank(): void {
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(this.i);
      if (c === SPACE) this.i++;
      else if (c === NL) {
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else if (c === HASH) {
        this.comment();
      } else return;
    }
  }

  /** At `#`: a comment only after a space or at a line's start. */
  private comment(): void {
    if (this.i > this.lineStart && this.text.charCodeAt(this.i - 1) !== SPACE) leave();
    const nl = this.text.indexOf('\n', this.i);
    this.i = nl < 0 ? this.end : nl;
  }

  /** After a value: only spaces and a comment may follow on its line. */
  private endOfLine(): void {
    this.skipSpaces();
    const c = this.at();
    if (c === HASH) this.comment();
    else if (c !== NL && this.i < this.end) leave();
  }

  /** The column (0-based) of i. */
  private column(): number {
    return this.i - this.lineStart;
  }

  /** A node in block context starting at i (not blank), inside a collection indented `parent`. */
  private blockNode(parent: number, depth: number): Located {
    const c = this.at();
    const indent = this.column();
    if (c === DASH && this.blankAt(1)) return this.blockSeq(indent, false, depth);
    if (c === LBRACKET || c === LBRACE) {
      const node = this.flow(parent, depth);
      this.endOfLine();
      return node;
    }
    const start = this.i;
    const startLine = this.line;
    const startOfLine = this.lineStart;
    if (c === DQUOTE || c === SQUOTE) {
      const pos = this.pos();
      const value = this.quoted();
      this.skipSpaces();
      if (this.at() === COLON && this.blankAt(1)) {
        this.i = start;
        return this.blockMap(indent, depth);
      }
      this.endOfLine();
      this.count(depth);
      return { type: 'scalar', value, pos };
    }
    const pos = this.pos();
    const plain = this.blockPlain();
    if (this.plainIsKey) {
      this.i = start;
      this.line = startLine;
      this.lineStart = startOfLine;
      return this.blockMap(indent, depth);
    }
    this.count(depth);
    return { type: 'scalar', value: plainScalarValue(plain), pos };
  }

  /**
   * A plain scalar in block context, to the end of its line, a comment, or `: ` (then it is a
   * key, and i is at the colon).
   */
  private blockPlain(): string {
    const c = this.at();
    if (isIndicator(c) || (c === DASH && this.blankAt(1))) leave();
    const text = this.text;
    const start = this.i;
    let i = start;
    let key = false;
    for (; i < this.end; i++) {
      const ch = text.charCodeAt(i);
      if (ch === NL) break;
      if (ch === HASH && text.charCodeAt(i - 1) === SPACE) break;
      if (ch === COLON) {
        const next = text.charCodeAt(i + 1);
        if (next === SPACE || next === NL || i + 1 >= this.end) {
          key = true;
          break;
        }
      }
    }
    let last = i;
    while (last > start && text.charCodeAt(last - 1) === SPACE) last--;
    this.i = key ? i : last;
    this.plainIsKey = key;
    return text.slice(start, last);
  }

  /** A one-line quoted scalar at i; i ends past its closing quote. */
  private quoted(): string {
    const text = this.text;
    const quote = text.charCodeAt(this.i);
    const start = this.i + 1;
    if (quote === DQUOTE) {
      for (let i = start; i < this.end; i++) {
        const ch = text.charCodeAt(i);
        if (ch === DQUOTE) {
          this.i = i + 1;
          return text.slice(start, i);
        }
        if (ch === 92 || ch === NL) leave(); // an escape, or a multi-line scalar
      }
      leave();
    }
    let value = '';
    let from = start;
    for (let i = start; i < this.end; i++) {
      const ch = text.charCodeAt(i);
      if (ch === NL) leave();
      if (ch === SQUOTE) {
        if (text.charCodeAt(i + 1) === SQUOTE) {
          value += text.slice(from, i + 1);
          from = i + 2;
          i++;
          continue;
        }
        this.i = i + 1;
        return value + text.slice(from, i);
      }
    }
    leave();
  }

  /** A key of a block map at i; i ends past the colon. */
  private blockKey(): string {
    const start = this.i;
    let key: string;
    const c = this.at();
    if (c === DQUOTE || c === SQUOTE) {
      key = this.quoted();
      this.skipSpaces();
      if (this.at() !== COLON || !this.blankAt(1)) leave();
    } else {
      const plain = this.blockPlain();
      if (!this.plainIsKey) leave();
      key = String(plainScalarValue(plain));
    }
    if (this.i - start > MAX_KEY_LENGTH || key === '<<') leave();
    this.i++; // the colon
    return key;
  }

  private blockMap(indent: number, depth: number): Located {
    this.count(depth);
    const pos = this.pos();
    const entries: MapEntry[] = [];
    let keys: Set<string> | undefined;
    for (;;) {
      const keyPos = this.pos();
      const key = this.interned(this.blockKey());
      if (hasKey(entries, keys, key)) leave();
      keys = withKey(entries, keys, key);
      this.skipSpaces();
      let value: Located;
      const c = this.at();
      if (c === NL || c === HASH || this.i >= this.end) {
        // Nothing on the key's line: the value is below, or empty (null, where the line's text ends).
        const emptyPos = this.pos();
        this.skipBlank();
        const column = this.column();
        if (this.i < this.end && column > indent) value = this.blockNode(indent, depth + 1);
        else if (this.i < this.end && column === indent && this.at() === DASH && this.blankAt(1)) {
          value = this.blockSeq(indent, true, depth + 1);
        } else {
          // Where yaml places an empty value before a comment (`key: # note`) is left to it.
          if (c === HASH) leave();
          this.count(depth + 1);
          value = { type: 'scalar', value: null, pos: emptyPos };
        }
      } else {
        value = this.inlineValue(indent, depth + 1);
      }
      entries.push({ key, keyPos, value });
      this.skipBlank();
      if (this.i >= this.end) break;
      const column = this.column();
      if (column < indent) break;
      if (column > indent) leave();
    }
    return { type: 'map', entries: fitted(entries), pos };
  }

  /** A map's value on its key's line: a flow collection or a scalar, ending the line. */
  private inlineValue(parent: number, depth: number): Located {
    const c = this.at();
    if (c === LBRACKET || c === LBRACE) {
      const node = this.flow(parent, depth);
      this.endOfLine();
      return node;
    }
    const pos = this.pos();
    if (c === DQUOTE || c === SQUOTE) {
      const value = this.quoted();
      this.endOfLine();
      this.count(depth);
      return { type: 'scalar', value, pos };
    }
    const plain = this.blockPlain();
    if (this.plainIsKey) leave(); // `a: b: c`
    this.count(depth);
    return { type: 'scalar', value: plainScalarValue(plain), pos };
  }

  /** A block sequence whose dashes are at column `indent`; `indentless` when it is a map's value at the map's indent. */
  private blockSeq(indent: number, indentless: boolean, depth: number): Located {
    this.count(depth);
    const pos = this.pos();
    const items: Located[] = [];
    for (;;) {
      this.i++; // the dash
      this.skipSpaces();
      const c = this.at();
      if (c === NL || c === HASH || this.i >= this.end) {
        const emptyPos = this.pos();
        this.skipBlank();
        if (this.i < this.end && this.column() > indent) items.push(this.blockNode(indent, depth + 1));
        else {
          if (c === HASH) leave(); // an empty item before a comment: as for a map's value
          this.count(depth + 1);
          items.push({ type: 'scalar', value: null, pos: emptyPos });
        }
      } else {
        items.push(this.blockNode(indent, depth + 1));
      }
      this.skipBlank();
      if (this.i >= this.end) break;
      const column = this.column();
      if (column < indent) break;
      if (column > indent) leave();
      if (this.at() !== DASH || !this.blankAt(1)) {
        if (indentless) break; // the map's next key
        leave();
      }
    }
    return { type: 'seq', items: fitted(items), pos };
  }

  /** Spaces, line breaks and comments inside a flow collection; its lines must be indented past `parent`. */
  private skipFlowBlank(parent: number): void {
    const line = this.line;
    this.skipBlank();
    if (this.line !== line && this.column() <= parent) leave();
  }

  /** A flow collection at i (`[` or `{`), inside a block collection indented `parent`. */
  private flow(parent: number, depth: number): Located {
    this.count(depth);
    const pos = this.pos();
    if (this.at() === LBRACKET) {
      this.i++;
      const items: Located[] = [];
      for (;;) {
        this.skipFlowBlank(parent);
        if (this.at() === RBRACKET) break;
        items.push(this.flowNode(parent, depth + 1));
        this.skipFlowBlank(parent);
        const c = this.at();
        if (c === COMMA) this.i++;
        else if (c === RBRACKET) break;
        else leave();
      }
      this.i++;
      return { type: 'seq', items: fitted(items), pos };
    }
    this.i++;
    const entries: MapEntry[] = [];
    let keys: Set<string> | undefined;
    for (;;) {
      this.skipFlowBlank(parent);
      if (this.at() === RBRACE) break;
      const keyPos = this.pos();
      const k = this.at();
      let key: string;
      if (k === DQUOTE || k === SQUOTE) key = this.quoted();
      else key = String(plainScalarValue(this.flowPlain()));
      key = this.interned(key);
      if (key === '<<' || hasKey(entries, keys, key)) leave();
      keys = withKey(entries, keys, key);
      this.skipSpaces();
      let value: Located;
      if (this.at() === COLON) {
        if (!this.blankAt(1)) leave();
        this.i++;
        this.skipSpaces();
        const c = this.at();
        if (c === COMMA || c === RBRACE) {
          this.count(depth + 1);
          value = { type: 'scalar', value: null, pos: this.pos() };
        } else {
          if (c === NL || c === HASH) leave(); // a value on a later line
          value = this.flowNode(parent, depth + 1);
        }
      } else {
        const c = this.at();
        if (c !== COMMA && c !== RBRACE) leave();
        this.count(depth + 1);
        value = { type: 'scalar', value: null, pos: keyPos };
      }
      entries.push({ key, keyPos, value });
      this.skipFlowBlank(parent);
      const c = this.at();
      if (c === COMMA) this.i++;
      else if (c === RBRACE) break;
      else leave();
    }
    this.i++;
    return { type: 'map', entries: fitted(entries), pos };
  }

  /** A node inside a flow collection: a nested one or a scalar. */
  private flowNode(parent: number, depth: number): Located {
    const c = this.at();
    if (c === LBRACKET || c === LBRACE) return this.flow(parent, depth);
    this.count(depth);
    const pos = this.pos();
    if (c === DQUOTE || c === SQUOTE) return { type: 'scalar', value: this.quoted(), pos };
    return { type: 'scalar', value: plainScalarValue(this.flowPlain()), pos };
  }

  /**
   * A plain scalar inside a flow collection, on one line: it ends at a flow indicator, a colon, a
   * comment or the line's end (any colon in it leaves the subset: `a:b` is one scalar there).
   */
  private flowPlain(): string {
    const c = this.at();
    if (isIndicator(c) || (c === DASH && (this.blankAt(1) || isFlowIndicator(this.at(1))))) leave();
    const text = this.text;
    const start = this.i;
    let i = start;
    for (; i < this.end; i++) {
      const ch = text.charCodeAt(i);
      if (ch === NL || isFlowIndicator(ch)) break;
      if (ch === HASH && text.charCodeAt(i - 1) === SPACE) break;
      if (ch === COLON) {
        if (!(text.charCodeAt(i + 1) === SPACE || i + 1 >= this.end)) leave();
        break;
      }
    }
    let last = i;
    while (last > start && text.charCodeAt(last - 1) === SPACE) last--;
    this.i = last;
    return text.slice(start, last);
  }
}
