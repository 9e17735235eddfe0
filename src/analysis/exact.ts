/**
 * Exact integers: every count cnnscope prints is exact, so a figure past 2^53 (where doubles
 * start skipping integers) is refused, with the file, line and column of the layer that made it.
 */
import { formatDiagnostic, type Diagnostic } from '../graph/diagnostics.js';
import type { Graph, LayerNode } from '../graph/graph.js';

/**
 * A model that is valid but cannot be analyzed exactly. With a diagnostic (the usual case) its
 * message is the positioned line; the bare string form is for summaries of several models.
 */
export class AnalysisError extends Error {
  readonly diagnostic: Diagnostic | undefined;
  constructor(problem: string | Diagnostic) {
    super(typeof problem === 'string' ? problem : formatDiagnostic(problem));
    this.name = 'AnalysisError';
    this.diagnostic = typeof problem === 'string' ? undefined : problem;
  }
}

/** 2^53 - 1, the largest integer a double holds with every integer below it. */
export const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/** An AnalysisError at `node`'s position, naming it (the input node is named by position only). */
export function layerError(graph: Graph, node: LayerNode, message: string): AnalysisError {
  return new AnalysisError(
    node.id === 0
      ? { file: graph.file, pos: node.pos, message }
      : { file: graph.file, pos: node.pos, message, layer: { name: node.name, kind: node.kind } },
  );
}
