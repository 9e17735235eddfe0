/**
 * Folding layers into blocks by their dotted names, like torchinfo's depth: at depth 1,
 * `layer1.0.conv1` belongs to `layer1`; at depth 2, to `layer1.0`. A layer whose name has no more
 * segments than the depth stays a row of its own.
 */
import type { Graph } from '../graph/graph.js';

export interface Fold {
  /** The row's name: a block prefix or a layer's full name. */
  readonly name: string;
  /** The block kind (`bottleneck`, `sequential`, `repeat`, `group`), or the layer's kind. */
  readonly kind: string;
  /** Whether the row folds several layers (a block) or is one layer. */
  readonly block: boolean;
  /** Node ids in the row, in topological order. */
  readonly members: readonly number[];
  /** The node whose output is the row's output. */
  readonly output: number;
}

/** Foldings made, by graph and depth: the report's blocks and the graph's nodes are one folding. */
const foldings = new WeakMap<Graph, Map<number, readonly Fold[]>>();

/** The rows of `graph` folded `depth` name levels deep, in the order of their first layers. Computed once per graph and depth. */
export function foldByDepth(graph: Graph, depth: number): readonly Fold[] {
  let byDepth = foldings.get(graph);
  if (!byDepth) {
    byDepth = new Map();
    foldings.set(graph, byDepth);
  }
  let folds = byDepth.get(depth);
  if (!folds) {
    folds = Object.freeze(fold(graph, depth));
    byDepth.set(depth, folds);
  }
  return folds;
}

function fold(graph: Graph, depth: number): Fold[] {
  const scopes = new Map(graph.scopes.map((s) => [s.name, s]));
  const rows: { name: string; members: number[]; block: boolean }[] = [];
  const byName = new Map<string, (typeof rows)[number]>();
  for (const node of graph.nodes) {
    if (node.id === 0) continue;
    const parts = node.name.split('.');
    const block = parts.length > depth;
    const key = block ? parts.slice(0, depth).join('.') : node.name;
    let row = byName.get(key);
    if (!row) {
      row = { name: key, members: [], block };
      byName.set(key, row);
      rows.push(row);
    }
    row.members.push(node.id);
  }
  return rows.map((r) => {
    const scope = scopes.get(r.name);
    if (!r.block) {
      const id = r.members[0];
      return { name: r.name, kind: graph.nodes[id].kind, block: false, members: r.members, output: id };
    }
    return {
      name: r.name,
      kind: scope?.kind ?? 'group',
      block: true,
      members: r.members,
      output: scope?.output ?? r.members[r.members.length - 1],
    };
  });
}
