/**
 * The JSON report (docs/report.md). Key order is fixed by the report's construction and
 * nothing varies between runs (no timestamps, no absolute paths), so the same input gives the
 * same bytes. Arrays of numbers (shapes) are written on one line, to keep the report readable.
 *
 * The text is made and written in chunks (jsonChunks): that of a report of two million layers is
 * most of a gigabyte, more than one JavaScript string may hold.
 */

export function renderJson(value: unknown): string {
  return [...jsonChunks(value)].join('');
}

/** Characters gathered before a chunk is given out. */
const CHUNK = 1 << 16;
/** Containers this deep and deeper are made in one piece: a layer's entry, not the list of layers. */
const PIECE_DEPTH = 2;

/**
 * The text of renderJson(value) in chunks of about 64 KiB, made as they are asked for: a writer
 * can wait for the output to drain between them, so the text never piles up in memory.
 */
export function* jsonChunks(value: unknown): Generator<string, void, undefined> {
  let pending = '';
  for (const piece of pieces(value, '', 0)) {
    pending += piece;
    if (pending.length >= CHUNK) {
      yield pending;
      pending = '';
    }
  }
  yield `${pending}\n`;
}

/** The top of the tree piece by piece; below PIECE_DEPTH, each container as one string. */
function* pieces(value: unknown, indent: string, depth: number): Generator<string, void, undefined> {
  if (depth >= PIECE_DEPTH || value === null || typeof value !== 'object') {
    yield stringify(value, indent);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0 || value.every((v) => v === null || typeof v !== 'object')) {
      yield stringify(value, indent);
      return;
    }
    yield '[\n';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',\n';
      // A hole is an empty item, as Array.prototype.join writes it.
      if (!(i in value)) continue;
      yield inner;
      yield* pieces(value[i], inner, depth + 1);
    }
    yield `\n${indent}]`;
    return;
  }
  const entries: [string, unknown][] = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  yield '{\n';
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i];
    yield `${i === 0 ? '' : ',\n'}${inner}${JSON.stringify(k)}: `;
    yield* pieces(v, inner, depth + 1);
  }
  yield `\n${indent}}`;
}

/**
 * One container and everything in it, as a string: the bulk of a large report's text, so it is
 * built by appending, with no array of entries or of item texts per container.
 */
function stringify(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (nativeContainers < NATIVE_CONTAINERS && isPlainData(value)) {
    nativeContainers++;
    return nativeText(value, indent);
  }
  return builtText(value, indent);
}

/**
 * Containers written by nativeText, in the process. Measured on a layer's entry: nativeText takes
 * about 10 µs from the first call (a regex pass over the engine's text); builtText about 75 µs while
 * it is interpreted, 5 µs once compiled. A report of a few hundred layers (resnet152) is written
 * the first way, a longer one the second way past its first thousands of layers.
 */
let nativeContainers = 0;
const NATIVE_CONTAINERS = 2000;

/**
 * JSON.stringify's indented text with each list of scalars on one line, re-indented under
 * `indent`: the same text as builtText for plain data, made by the engine's own writer (a few
 * times faster, and fast from a process's first call). A `[` directly before a line break always
 * opens a list: a JSON string holds no line break.
 */
export function nativeText(value: unknown, indent: string): string {
  const text = JSON.stringify(value, null, 2).replace(SCALAR_LIST, (list) => {
    let out = '[';
    const lines = list.split('\n');
    for (let i = 1; i < lines.length - 1; i++) {
      const item = lines[i].trimStart();
      out += (i > 1 ? ', ' : '') + (item.endsWith(',') ? item.slice(0, -1) : item);
    }
    return `${out}]`;
  });
  return indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
}

/** A list of scalars as JSON.stringify indents it: one per line. */
const SCALAR_LIST =
  /\[\n(?: *(?:"(?:[^"\\\n]|\\.)*"|[-+.0-9eE]+|true|false|null),\n)* *(?:"(?:[^"\\\n]|\\.)*"|[-+.0-9eE]+|true|false|null)\n *\]/g;

/**
 * Whether JSON.stringify writes `value` as builtText does: only strings, numbers, booleans and
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

/** The text of any value, container by container: the reference for nativeText. */
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
