/**
 * Every problem cnnscope finds in a model file is a Diagnostic: one line naming the file,
 * line, column and, when known, the layer. Problems are collected, not thrown one by one,
 * so that a file's errors are reported together, as a compiler does.
 */

export interface SourcePos {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
}

export interface Diagnostic {
  readonly file: string;
  readonly pos: SourcePos;
  readonly message: string;
  /** The layer at fault, by its full name and kind, when the problem belongs to one. */
  readonly layer?: { readonly name: string; readonly kind: string };
  /** How many more times the same problem was found at the same place (copies of a repeat, calls of a block). */
  readonly copies?: number;
}

/**
 * 25557032 -> "25,557,032": what `n.toLocaleString('en-US')` writes. Whole numbers are grouped
 * here: the first toLocaleString of a process loads ICU's number formatting, about 7 MB of a
 * short command's memory. Others (fractions, -0, past 2^53) are left to it.
 */
export function grouped(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/**
 * Characters that would break a one-line message or make it read other than it is: control
 * characters (C0, DEL, C1), the line and paragraph separators, and the bidirectional controls.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** User text made safe to echo in one line: each unprintable character as `\n`, `\r`, `\t` or `\uXXXX`. */
export function escapeUnprintable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The diagnostic after its position: `layer 'name' (kind): message (and N more times)`, escaped. */
export function describeDiagnostic(d: Diagnostic): string {
  const layer = d.layer ? `layer '${d.layer.name}' (${d.layer.kind}): ` : '';
  const copies = d.copies ? ` (and ${grouped(d.copies)} more ${d.copies === 1 ? 'time' : 'times'})` : '';
  return escapeUnprintable(`${layer}${d.message}${copies}`);
}

/** `file:line:col: error: ...`; a position at line 0 is none (a binary ONNX file has no lines): `file: error: ...`. */
export function formatDiagnostic(d: Diagnostic): string {
  const at = d.pos.line > 0 ? `:${d.pos.line}:${d.pos.col}` : '';
  return `${escapeUnprintable(d.file)}${at}: error: ${describeDiagnostic(d)}`;
}

/** A warning: the same line as an error, but the model still builds. */
export function formatWarning(d: Diagnostic): string {
  return `${escapeUnprintable(d.file)}:${d.pos.line}:${d.pos.col}: warning: ${describeDiagnostic(d)}`;
}

/** The most problems a bag keeps; past it they are only counted, so a broken `repeat: 1000000` stays small. */
export const MAX_DIAGNOSTICS = 1000;

/** Thrown by the front end when a file has problems; carries them in source order, and how many more were only counted. */
export class ModelError extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    readonly omitted = 0,
  ) {
    const more = omitted > 0 ? [`... and ${grouped(omitted)} more problems`] : [];
    super([...diagnostics.map(formatDiagnostic), ...more].join('\n'));
    this.name = 'ModelError';
  }
}

export class DiagnosticBag {
  private readonly items: Diagnostic[] = [];
  /** Each problem's index in `items`, by place and message: a copy of it is counted there, not added. */
  private readonly seen = new Map<string, number>();
  /** Copies counted on each item of `items`. */
  private readonly copies: number[] = [];
  /** While above zero, errors are dropped: used where a problem would only echo an earlier one. */
  private muted = 0;
  /** Problems past MAX_DIAGNOSTICS, counted but not kept. */
  private omitted = 0;
  constructor(readonly file: string) {}

  /** Runs `fn` with errors dropped. */
  quietly<T>(fn: () => T): T {
    this.muted++;
    try {
      return fn();
    } finally {
      this.muted--;
    }
  }

  /** Runs `fn` with errors dropped when `condition` holds: behind a failed layer, where errors would echo its own. */
  quietlyIf<T>(condition: boolean, fn: () => T): T {
    return condition ? this.quietly(fn) : fn();
  }

  /**
   * Records a problem. The same message at the same place again (a copy of a repeated entry, another
   * call of a block) is counted on the first one, which keeps its layer: one line per problem.
   */
  error(pos: SourcePos, message: string, layer?: { name: string; kind: string }): void {
    if (this.muted > 0) return;
    const key = `${pos.line}:${pos.col}:${message}`;
    const first = this.seen.get(key);
    if (first !== undefined) {
      this.copies[first]++;
      return;
    }
    if (this.items.length >= MAX_DIAGNOSTICS) {
      this.omitted++;
      return;
    }
    this.seen.set(key, this.items.length);
    this.copies.push(0);
    this.items.push(layer ? { file: this.file, pos, message, layer } : { file: this.file, pos, message });
  }

  /** Distinct problems so far. */
  get count(): number {
    return this.items.length + this.omitted;
  }

  /** Sorted by position, so the output reads top to bottom like the file. */
  sorted(): Diagnostic[] {
    return this.items
      .map((d, i) => (this.copies[i] ? { ...d, copies: this.copies[i] } : d))
      .sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  }

  throwIfAny(): void {
    if (this.count > 0) throw new ModelError(this.sorted(), this.omitted);
  }
}
