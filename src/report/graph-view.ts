/**
 * What `cnnscope graph` draws, shared by the DOT and Mermaid renderers: the layer graph, or with a
 * depth the graph of folded rows (a block is one node; an edge joins two rows when a layer of one
 * reads a layer of the other), with the figures of the report and the scopes (block instances,
 * `sequential`, repeat groups) that enclose the nodes as nested clusters.
 */
import { foldByDepth } from '../analysis/hierarchy.js';
import type { Report } from '../analysis/report.js';
import type { Graph, LayerNode } from '../graph/graph.js';

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
  /** `merge`: a layer joining several inputs (add, concat); `block`: a folded row of several layers. */
  readonly role: NodeRole;
  /** Layers folded into the node (1 for a layer). */
  readonly layers: number;
  /** Per-sample output shape, without the batch. */
  readonly shape: readonly number[];
  readonly params: number;
  readonly macs: number;
  /** Window arguments of conv and pooling (`3x3 /2`), group count of a grouped conv; '' otherwise. */
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
  raw.push({ id: 'n0', name: 'input', kind: 'input', role: 'input', layers: 1, shape: [...graph.inputShape], params: 0, macs: 0, detail: '', output: false });
  rowOf.set(0, 0);

  if (depth === undefined) {
    for (const node of graph.nodes) {
      if (node.id === 0) continue;
      const r = report.layers[node.id - 1]!;
      rowOf.set(node.id, raw.length);
      raw.push({
        id: `n${raw.length}`,
        name: node.name,
        kind: node.kind,
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
      const b = blocks[i]!;
      const index = raw.length;
      for (const id of fold.members) rowOf.set(id, index);
      const single = !fold.block ? graph.nodes[fold.members[0]!]! : undefined;
      raw.push({
        id: `n${index}`,
        name: fold.name,
        kind: fold.kind,
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
      edges.push({ from: raw[from]!.id, to: raw[to]!.id });
      readers[from]!.add(to);
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
    const cluster = chains[i]!.filter(kept).pop();
    const label = cluster !== undefined ? n.name.slice(cluster.length + 1) : n.name;
    return { ...n, label, branch: readers[i]!.size > 1, ...(cluster !== undefined ? { cluster } : {}) };
  });
  return { model: report.model, nodes, edges, clusters };
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

/** `7×7 /2` for a window, `3×3 g32` for a grouped conv, `1×1` for a plain 1x1 conv. */
function argsDetail(node: LayerNode): string {
  if (!['conv', 'maxpool', 'avgpool'].includes(node.kind)) return '';
  const a = node.args as { kernel?: readonly number[]; stride?: readonly number[]; groups?: number; dilation?: readonly number[] };
  if (!a.kernel || !a.stride) return '';
  const pair = (p: readonly number[]) => (p[0] === p[1] ? String(p[0]) : `${p[0]}×${p[1]}`);
  const ones = (p: readonly number[] | undefined) => !p || (p[0] === 1 && p[1] === 1);
  const kernel = a.kernel[0] === a.kernel[1] ? `${a.kernel[0]}×${a.kernel[0]}` : `${a.kernel[0]}×${a.kernel[1]}`;
  const stride = ones(a.stride) ? '' : ` /${pair(a.stride)}`;
  const dilation = ones(a.dilation) ? '' : ` d${pair(a.dilation!)}`;
  const groups = a.groups !== undefined && a.groups > 1 ? ` g${a.groups}` : '';
  return `${kernel}${stride}${dilation}${groups}`;
}

/** Per-sample shapes as labels show them: `64×56×56`. */
export function shapeLabel(shape: readonly number[]): string {
  return shape.join('×');
}

/** `9.41K`, `25.6M`, `128`. */
export function compactCount(n: number): string {
  if (Math.abs(n) < 1000) return String(n);
  const prefixes = ['', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 999.5 && i < prefixes.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toPrecision(3)}${prefixes[i]}`;
}

/** The lines of a node's label, shared by DOT and Mermaid. */
export function labelLines(n: ViewNode): string[] {
  const shape = shapeLabel(n.shape);
  if (n.role === 'input') return ['input', shape];
  if (n.role === 'block') {
    return [n.label, `${n.kind} · ${n.layers} ${n.layers === 1 ? 'layer' : 'layers'}`, shape, `${compactCount(n.params)} params · ${compactCount(n.macs)} MACs`];
  }
  // Merge points stay on one line: their shapes (ellipse, trapezium) grow fast with more.
  if (n.role === 'merge') return [[n.label, n.kind !== n.label ? n.kind : '', shape].filter(Boolean).join(' · ')];
  const what = [n.kind !== n.label ? n.kind : '', n.detail].filter(Boolean).join(' ');
  const lines = n.kind === n.label && !n.detail ? [`${n.label} · ${shape}`] : [n.label, what ? `${what} · ${shape}` : shape];
  if (n.params > 0) lines.push(`${compactCount(n.params)} params`);
  return lines;
}
