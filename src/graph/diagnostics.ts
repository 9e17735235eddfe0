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
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.pos.line}:${d.pos.col}`;
  const layer = d.layer ? `layer '${d.layer.name}' (${d.layer.kind}): ` : '';
  return `${where}: error: ${layer}${d.message}`;
}

/** The most problems a bag keeps; past it they are only counted, so a broken `repeat: 1000000` stays small. */
export const MAX_DIAGNOSTICS = 1000;

/** Thrown by the front end when a file has problems; carries them in source order, and how many more were only counted. */
export class ModelError extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    readonly omitted = 0,
  ) {
    const more = omitted > 0 ? [`... and ${omitted.toLocaleString('en-US')} more problems`] : [];
    super([...diagnostics.map(formatDiagnostic), ...more].join('\n'));
    this.name = 'ModelError';
  }
}

export class DiagnosticBag {
  private readonly items: Diagnostic[] = [];
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

  error(pos: SourcePos, message: string, layer?: { name: string; kind: string }): void {
    if (this.muted > 0) return;
    if (this.items.length >= MAX_DIAGNOSTICS) {
      this.omitted++;
      return;
    }
    this.items.push(layer ? { file: this.file, pos, message, layer } : { file: this.file, pos, message });
  }

  get count(): number {
    return this.items.length + this.omitted;
  }

  /** Sorted by position, so the output reads top to bottom like the file. */
  sorted(): Diagnostic[] {
    return [...this.items].sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  }

  throwIfAny(): void {
    if (this.count > 0) throw new ModelError(this.sorted(), this.omitted);
  }
}
