/**
 * What `cnnscope graph` draws, shared by the DOT and Mermaid renderers: the layer graph, or with a
 * depth the graph of folded rows (a block is one node; an edge joins two rows when a layer of one
 * reads a layer of the other), with the figures of the report and the scopes (block instances,
 * `sequential`, repeat groups) that enclose the nodes as nested clusters.
 */
import { foldByDepth } from '../analysis/hierarchy.js';
import type { Report } from '../analysis/report.js';
import type { Graph, LayerNode } from '../graph/graph.js';
import type { LayerCategory } from '../layers/kind.js';
import { compactNumber, shapeLabel } from './units.js';

export type NodeRole = 'input' | 'layer' | 'merge' | 'block';

export interface ViewNode {
  /** A stable identifier: `n0` for the input, `n1`... in topological order. */
  readonly id: string;
  /** The full name (`layer1.0.conv1`; `input` for the model input). */
  readonly name: string;
  /** The name inside its cluster (`conv1` in `layer1.0`), or the full name outside any. */
  readonly label: string;
  /** The layer kind, or the block kind of a folded row. */
  readonly kind: string;
  /** What the layer does (its kind's display category); absent for a folded block. */
  readonly category?: LayerCategory;
  /** `merge`: a layer joining several inputs (add, concat); `block`: a folded row of several layers. */
  readonly role: NodeRole;
  /** Layers folded into the node (1 for a layer). */
  readonly layers: number;
  /** Per-sample output shape, without the batch. */
  readonly shape: readonly number[];
  readonly params: number;
  readonly macs: number;
  /** The kind's argument detail (`3×3 /2` for a window, `g32` for groups); '' for none. */
  readonly detail: string;
  /** A model output. */
  readonly output: boolean;
  /** Read by more than one other node: a branch point. */
  readonly branch: boolean;
  /** The innermost enclosing cluster's name, if any. */
  readonly cluster?: string;
}

export interface ViewCluster {
  readonly name: string;
  /** The name inside the enclosing cluster (`branch2` in `inception3a`). */
  readonly label: string;
  readonly kind: string;
  /** The enclosing cluster's name, if any. */
  readonly parent?: string;
}

export interface GraphView {
  readonly model: string;
  /** In topological order; the input first. */
  readonly nodes: readonly ViewNode[];
  /** Ids; each pair once, in the order of their targets, then sources. */
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  /** Parents before children. */
  readonly clusters: readonly ViewCluster[];
}

/**
 * The view of a graph and its report. With `depth`, the report must have been made with the same
 * depth (its `blocks` are the nodes). Clusters holding fewer than two nodes are left out.
 */
export function graphView(graph: Graph, report: Report, depth?: number): GraphView {
  const outputs = new Set(graph.outputs);
  const rowOf = new Map<number, number>(); // node id -> view node index
  const raw: Omit<ViewNode, 'label' | 'branch' | 'cluster'>[] = [];
  raw.push({
    id: 'n0',
    name: 'input',
    kind: 'input',
    category: 'input',
    role: 'input',
    layers: 1,
    shape: [...graph.inputShape],
    params: 0,
    macs: 0,
    detail: '',
    output: false,
  });
  rowOf.set(0, 0);

  if (depth === undefined) {
    for (const node of graph.nodes) {
      if (node.id === 0) continue;
      const r = report.layers[node.id - 1];
      rowOf.set(node.id, raw.length);
      raw.push({
        id: `n${raw.length}`,
        name: node.name,
        kind: node.kind,
        category: node.layer.display.category,
        role: node.inputs.length > 1 ? 'merge' : 'layer',
        layers: 1,
        shape: r.output_shape.slice(1),
        params: r.params,
        macs: r.macs,
        detail: argsDetail(node),
        output: outputs.has(node.id),
      });
    }
  } else {
    const blocks = report.blocks;
    if (!blocks) throw new Error('graphView: a depth needs a report analyzed with that depth');
    foldByDepth(graph, depth).forEach((fold, i) => {
      const b = blocks[i];
      const index = raw.length;
      for (const id of fold.members) rowOf.set(id, index);
      const single = !fold.block ? graph.nodes[fold.members[0]] : undefined;
      raw.push({
        id: `n${index}`,
        name: fold.name,
        kind: fold.kind,
        ...(single ? { category: single.layer.display.category } : {}),
        role: fold.block ? 'block' : single!.inputs.length > 1 ? 'merge' : 'layer',
        layers: b.layers,
        shape: b.output_shape.slice(1),
        params: b.params,
        macs: b.macs,
        detail: single ? argsDetail(single) : '',
        output: fold.members.some((id) => outputs.has(id)),
      });
    });
  }

  const edges: { from: string; to: string }[] = [];
  const seen = new Set<string>();
  const readers = raw.map(() => new Set<number>());
  for (const node of graph.nodes) {
    const to = rowOf.get(node.id)!;
    for (const input of node.inputs) {
      const from = rowOf.get(input)!;
      if (from === to) continue;
      const key = `${from}>${to}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push({ from: raw[from].id, to: raw[to].id });
      readers[from].add(to);
    }
  }

  // Clusters: the scopes strictly enclosing a node, innermost last; kept when they hold 2+ nodes.
  const scopes = new Map(graph.scopes.map((s) => [s.name, s.kind]));
  const chains = raw.map((n) => (n.role === 'input' ? [] : enclosing(n.name, scopes)));
  const size = new Map<string, number>();
  for (const chain of chains) for (const s of chain) size.set(s, (size.get(s) ?? 0) + 1);
  const kept = (s: string) => (size.get(s) ?? 0) >= 2;
  const clusters: ViewCluster[] = [];
  const added = new Set<string>();
  for (const chain of chains) {
    let parent: string | undefined;
    for (const s of chain) {
      if (!kept(s)) continue;
      if (!added.has(s)) {
        added.add(s);
        const label = parent !== undefined ? s.slice(parent.length + 1) : s;
        clusters.push({ name: s, label, kind: scopes.get(s)!, ...(parent !== undefined ? { parent } : {}) });
      }
      parent = s;
    }
  }
  const nodes: ViewNode[] = raw.map((n, i) => {
    const cluster = chains[i].filter(kept).pop();
    const label = cluster !== undefined ? n.name.slice(cluster.length + 1) : n.name;
    return { ...n, label, branch: readers[i].size > 1, ...(cluster !== undefined ? { cluster } : {}) };
  });
  return { model: report.model, nodes, edges, clusters };
}

/** The view as a tree, for renderers that nest clusters. The key `undefined` is the top level. */
export interface ViewTree {
  /** The clusters directly inside each cluster, in view order. */
  readonly children: ReadonlyMap<string | undefined, readonly ViewCluster[]>;
  /** The nodes directly inside each cluster, in view order. */
  readonly members: ReadonlyMap<string | undefined, readonly ViewNode[]>;
  /** A cluster's position in `view.clusters`, a stable identifier. */
  readonly index: ReadonlyMap<string, number>;
}

export function viewTree(view: GraphView): ViewTree {
  const children = new Map<string | undefined, ViewCluster[]>();
  for (const c of view.clusters) pushTo(children, c.parent, c);
  const members = new Map<string | undefined, ViewNode[]>();
  for (const n of view.nodes) pushTo(members, n.cluster, n);
  return { children, members, index: new Map(view.clusters.map((c, i) => [c.name, i])) };
}

/** Appends to the list under `key`, in place (copying the list on each append is quadratic). */
function pushTo<K, V>(lists: Map<K, V[]>, key: K, value: V): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}

/** The scopes whose names are proper prefixes of `name`, outermost first. */
function enclosing(name: string, scopes: ReadonlyMap<string, string>): string[] {
  const parts = name.split('.');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    const prefix = parts.slice(0, i).join('.');
    if (scopes.has(prefix)) out.push(prefix);
  }
  return out;
}

/** What the kind shows of its arguments (src/layers/: each kind's display). */
function argsDetail(node: LayerNode): string {
  return node.layer.display.detail?.(node.args) ?? '';
}

/** The lines of a node's label, shared by DOT and Mermaid. */
export function labelLines(n: ViewNode): string[] {
  const shape = shapeLabel(n.shape);
  if (n.role === 'input') return ['input', shape];
  if (n.role === 'block') {
    return [
      n.label,
      `${n.kind} · ${n.layers} ${n.layers === 1 ? 'layer' : 'layers'}`,
      shape,
      `${compactNumber(n.params)} params · ${compactNumber(n.macs)} MACs`,
    ];
  }
  // Merge points stay on one line: their shapes (ellipse, trapezium) grow fast with more.
  if (n.role === 'merge') return [[n.label, n.kind !== n.label ? n.kind : '', shape].filter(Boolean).join(' · ')];
  const what = [n.kind !== n.label ? n.kind : '', n.detail].filter(Boolean).join(' ');
  const lines = n.kind === n.label && !n.detail ? [`${n.label} · ${shape}`] : [n.label, what ? `${what} · ${shape}` : shape];
  if (n.params > 0) lines.push(`${compactNumber(n.params)} params`);
  return lines;
}
