/**
 * The JSON report (docs/report.md). Key order is fixed by the report's construction and
 * nothing varies between runs (no timestamps, no absolute paths), so the same input gives the
 * same bytes. Arrays of scalars (shapes) are written on one line, to keep the report readable.
 *
 * The text is made and written as UTF-8 in chunks (jsonChunks): that of a report of two million
 * layers is most of a gigabyte, more than one JavaScript string may hold. Each container below
 * the top two levels (a layer's entry) is written by the engine's JSON.stringify without
 * indentation, then indented byte by byte (ByteWriter.indented): a few times faster than building the
 * indented text in JavaScript, and no string per line or per value is made.
 */

export function renderJson(value: unknown): string {
  return Buffer.concat([...jsonChunks(value)]).toString('utf8');
}

/** Bytes gathered before a chunk is given out. */
const CHUNK = 1 << 16;
/** Containers this deep and deeper are made in one piece: a layer's entry, not the list of layers. */
const PIECE_DEPTH = 2;

/**
 * The UTF-8 bytes of renderJson(value) in chunks of about 64 KiB, made as they are asked for: a
 * writer can wait for the output to drain between them, so the text never piles up in memory. A
 * chunk ends between two pieces of the text, never inside a character.
 */
export function* jsonChunks(value: unknown): Generator<Uint8Array, void, undefined> {
  const out = new ByteWriter();
  for (const _ of pieces(value, '', 0, out)) if (out.length >= CHUNK) yield out.take();
  out.text('\n');
  yield out.take();
}

/**
 * Writes the top of the tree into `out` piece by piece, pausing (a yield) after each, where a
 * chunk may end; below PIECE_DEPTH, each container in one go.
 */
function* pieces(value: unknown, indent: string, depth: number, out: ByteWriter): Generator<void, void, undefined> {
  if (depth >= PIECE_DEPTH || !isContainer(value)) {
    writeValue(value, indent, out);
    yield;
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.some(isContainer)) {
      writeValue(value, indent, out);
      yield;
    } else if (depth + 1 >= PIECE_DEPTH) {
      yield* itemsInRuns(value, indent, out);
    } else {
      out.text('[\n');
      for (let i = 0; i < value.length; i++) {
        if (i > 0) out.text(',\n');
        // A hole is an empty item, as Array.prototype.join writes it.
        if (!(i in value)) continue;
        out.text(inner);
        yield* pieces(value[i], inner, depth + 1, out);
      }
      out.text(`\n${indent}]`);
      yield;
    }
    return;
  }
  const entries: [string, unknown][] = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) {
    out.text('{}');
    yield;
    return;
  }
  out.text('{\n');
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i];
    out.text(`${i === 0 ? '' : ',\n'}${inner}${JSON.stringify(k)}: `);
    yield* pieces(v, inner, depth + 1, out);
  }
  out.text(`\n${indent}}`);
  yield;
}

/** Items of plain data stringified together: one JSON.stringify of many layers' entries costs about half as much as one each. */
const RUN = 256;

/**
 * A list whose items are written whole (below PIECE_DEPTH), as pieces would write it, its plain
 * items in runs of up to RUN: each run stringified at once and indented as the list's items.
 */
function* itemsInRuns(list: readonly unknown[], indent: string, out: ByteWriter): Generator<void, void, undefined> {
  const inner = `${indent}  `;
  out.text('[\n');
  let i = 0;
  while (i < list.length) {
    if (i > 0) out.text(',\n');
    // A hole is an empty item, as Array.prototype.join writes it.
    if (!(i in list)) {
      i++;
      continue;
    }
    let end = i;
    while (end < list.length && end - i < RUN && end in list && isContainer(list[end]) && isPlainData(list[end])) end++;
    out.text(inner);
    if (end > i) {
      out.indented(JSON.stringify(i === 0 && end === list.length ? list : list.slice(i, end)), indent, true);
      i = end;
    } else writeValue(list[i++], inner, out);
    yield;
  }
  out.text(`\n${indent}]`);
  yield;
}

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/** One value and everything in it: plain data by the engine's writer, the rest by builtText. */
function writeValue(value: unknown, indent: string, out: ByteWriter): void {
  if (value === null || typeof value !== 'object') out.text(JSON.stringify(value) ?? 'null');
  else if (isPlainData(value)) out.indented(JSON.stringify(value), indent);
  else out.text(builtText(value, indent));
}

const encoder = new TextEncoder();

const NL = 10;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;

/** Open containers while indenting: an object, a list written a line per item, a list on one line. */
const OBJECT = 0;
const BLOCK_LIST = 1;
const INLINE_LIST = 2;

/** A growing byte buffer that gives out what it holds in chunks. */
class ByteWriter {
  private buf = new Uint8Array(CHUNK * 2);
  private pos = 0;
  /** The UTF-8 of the compact text being indented. */
  private src = new Uint8Array(CHUNK);
  private open = new Uint8Array(64);

  get length(): number {
    return this.pos;
  }

  /** What was written since the last take, as its own bytes. */
  take(): Uint8Array {
    const chunk = this.buf.slice(0, this.pos);
    this.pos = 0;
    return chunk;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  text(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.room(s.length * 3);
    this.pos += encoder.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /**
   * `compact` (JSON.stringify's text without indentation) as JSON.stringify(…, null, 2) indents
   * it under `indent`, but with each list of scalars on one line (`[1, 2, 3]`): the text
   * builtText makes for the same value. Strings are copied through, escapes and all; outside them
   * only the structural characters take spaces and line breaks.
   */
  indented(compact: string, indent: string, itemsOnly = false): void {
    if (this.src.length < compact.length * 3) this.src = new Uint8Array(compact.length * 3);
    const src = this.src;
    let n = encoder.encodeInto(compact, src).written;
    const base = indent.length;
    let open = this.open;
    let depth = 0;
    // `itemsOnly`: compact is a list of containers, written as items of a list (a line each, under
    // indent + 2, apart by `,` and a line break) without its brackets: a run of a longer list.
    let from = 0;
    if (itemsOnly) {
      open[depth++] = BLOCK_LIST;
      from = 1;
      n -= 1;
    }
    let buf = this.buf;
    // Each byte becomes at most itself, a space or a line break and the indentation of one level deeper.
    let roomFor = buf.length;
    let pos = this.pos;
    for (let i = from; i < n; i++) {
      if (pos + 4 + base + 2 * depth > roomFor) {
        this.pos = pos;
        this.room(4 + base + 2 * depth + CHUNK);
        buf = this.buf;
        roomFor = buf.length;
      }
      const c = src[i];
      switch (c) {
        case QUOTE: {
          buf[pos++] = c;
          for (;;) {
            const d = src[++i];
            if (pos + 2 > roomFor) {
              this.pos = pos;
              this.room(2 + CHUNK);
              buf = this.buf;
              roomFor = buf.length;
            }
            buf[pos++] = d;
            if (d === BACKSLASH) buf[pos++] = src[++i];
            else if (d === QUOTE) break;
          }
          break;
        }
        case LBRACE:
        case LBRACKET: {
          const empty = src[i + 1] === (c === LBRACE ? RBRACE : RBRACKET);
          if (empty) {
            buf[pos++] = c;
            buf[pos++] = src[++i];
            break;
          }
          if (depth === open.length) {
            const grown = new Uint8Array(depth * 2);
            grown.set(open);
            this.open = open = grown;
          }
          const kind = c === LBRACE ? OBJECT : scalarsOnly(src, i + 1) ? INLINE_LIST : BLOCK_LIST;
          open[depth++] = kind;
          buf[pos++] = c;
          if (kind !== INLINE_LIST) pos = lineBreak(buf, pos, base, depth);
          break;
        }
        case RBRACE:
        case RBRACKET:
          if (open[--depth] !== INLINE_LIST) pos = lineBreak(buf, pos, base, depth);
          buf[pos++] = c;
          break;
        case COMMA:
          buf[pos++] = c;
          if (open[depth - 1] === INLINE_LIST) buf[pos++] = SPACE;
          else pos = lineBreak(buf, pos, base, depth);
          break;
        case COLON:
          buf[pos++] = c;
          buf[pos++] = SPACE;
          break;
        default:
          buf[pos++] = c;
      }
    }
    this.pos = pos;
  }
}

/** A line break and the indentation of `depth` levels under `base` spaces; the position after it. */
function lineBreak(buf: Uint8Array, pos: number, base: number, depth: number): number {
  buf[pos++] = NL;
  const end = pos + base + 2 * depth;
  while (pos < end) buf[pos++] = SPACE;
  return pos;
}

/** Whether the list whose items start at `i` (after its `[`) holds no container: scanned to its `]`. */
function scalarsOnly(src: Uint8Array, i: number): boolean {
  for (;;) {
    const c = src[i++];
    if (c === RBRACKET) return true;
    if (c === LBRACE || c === LBRACKET) return false;
    if (c === QUOTE) {
      for (;;) {
        const d = src[i++];
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    }
  }
}

/**
 * Whether JSON.stringify writes `value` as builtText does (then indented): only strings, numbers, booleans and
 * null in lists without holes and plain objects without toJSON (undefined members are left out
 * by both; JSON.stringify writes an undefined item as null and drops a function member).
 */
export function isPlainData(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if ('toJSON' in value) return false;
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    for (let i = 0; i < items.length; i++) if (!(i in items) || !isPlainData(items[i])) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) {
    const v = record[k];
    if (v !== undefined && !isPlainData(v)) return false;
  }
  return true;
}

/** The text of any value, container by container: for what isPlainData refuses, and the reference for the byte writer. */
export function builtText(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    const n = items.length;
    if (n === 0) return '[]';
    // Holes and what JSON writes nothing for (undefined, a function) are empty items, as Array.prototype.join writes them.
    if (allPrimitive(items)) {
      let out = '[';
      for (let i = 0; i < n; i++) {
        if (i > 0) out += ', ';
        if (i in items) out += JSON.stringify(items[i]) ?? '';
      }
      return `${out}]`;
    }
    let out = '[\n';
    for (let i = 0; i < n; i++) {
      if (i > 0) out += ',\n';
      if (i in items) out += inner + builtText(items[i], inner);
    }
    return `${out}\n${indent}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '';
  for (const k of Object.keys(record)) {
    const v = record[k];
    if (v === undefined) continue;
    out += `${out === '' ? '{\n' : ',\n'}${inner}${JSON.stringify(k)}: ${builtText(v, inner)}`;
  }
  return out === '' ? '{}' : `${out}\n${indent}}`;
}

/** Whether no item is a container (holes skipped, as Array.prototype.every skips them). */
function allPrimitive(items: readonly unknown[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (v !== null && typeof v === 'object' && i in items) return false;
  }
  return true;
}
