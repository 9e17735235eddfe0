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

/** Thrown by the front end when a file has problems; carries all of them, in source order. */
export class ModelError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'ModelError';
  }
}

export class DiagnosticBag {
  private readonly items: Diagnostic[] = [];
  /** While above zero, errors are dropped: used where a problem would only echo an earlier one. */
  private muted = 0;
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
    this.items.push(layer ? { file: this.file, pos, message, layer } : { file: this.file, pos, message });
  }

  get count(): number {
    return this.items.length;
  }

  /** Sorted by position, so the output reads top to bottom like the file. */
  sorted(): Diagnostic[] {
    return [...this.items].sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  }

  throwIfAny(): void {
    if (this.items.length > 0) throw new ModelError(this.sorted());
  }
}
