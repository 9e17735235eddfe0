/**
 * The layer graph laid out as a layered DAG by ELK (elkjs, its `layered` algorithm), top to
 * bottom, with the view's clusters as nested groups (one layout across the hierarchy, so edges
 * between groups are routed too). Coordinates are absolute (ELK's ROOT coordinates), rounded to
 * whole pixels. elkjs is loaded on the first call: commands that draw nothing never load it.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { viewTree, type GraphView, type ViewCluster, type ViewNode } from '../graph-view.js';

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PlacedNode extends Box {
  readonly node: ViewNode;
}

export interface PlacedCluster extends Box {
  readonly cluster: ViewCluster;
  /** How many clusters enclose this one (0 at the top level). */
  readonly nesting: number;
}

export interface PlacedEdge {
  readonly from: ViewNode;
  readonly to: ViewNode;
  /** The route: start, bends, end. */
  readonly points: readonly (readonly [number, number])[];
}

export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly PlacedNode[];
  /** Outer clusters before the ones they enclose (the drawing order). */
  readonly clusters: readonly PlacedCluster[];
  readonly edges: readonly PlacedEdge[];
}

/** Room above a cluster's members for its title. */
export const CLUSTER_TITLE = 20;

const ROOT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
  'elk.layered.spacing.nodeNodeBetweenLayers': '22',
  'elk.spacing.nodeNode': '14',
  'elk.layered.spacing.edgeNodeBetweenLayers': '10',
  'elk.padding': '[top=12,left=12,bottom=12,right=12]',
  // Keep the model's order of branches (the first branch on the left), as `graph` does.
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  // Layers assigned from the sources: a short branch tends to start near its block's top, not just above the merge.
  'elk.layered.layering.strategy': 'LONGEST_PATH_SOURCE',
  // Balanced alignment centres a merge under its branches (the default drifts sideways block after block).
  'elk.layered.nodePlacement.bk.fixedAlignment': 'BALANCED',
};
const CLUSTER_OPTIONS = { 'elk.padding': `[top=${CLUSTER_TITLE + 6},left=8,bottom=8,right=8]` };

type Elk = { layout(graph: ElkNode): Promise<ElkNode> };
let elk: Promise<Elk> | undefined;

function loadElk(): Promise<Elk> {
  // elk.bundled.js runs the layout in this thread (no worker); its Promise settles when done.
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => {
    const ELK = m.default as unknown as new () => Elk;
    return new ELK();
  });
  return elk;
}

export async function layoutView(view: GraphView, size: (n: ViewNode) => { width: number; height: number }): Promise<GraphLayout> {
  const { children, members } = viewTree(view);
  const clusterId = (c: ViewCluster) => `c:${c.name}`;
  const build = (cluster: string | undefined): ElkNode[] => [
    ...(members.get(cluster) ?? []).map((n) => ({ id: n.id, ...size(n) })),
    ...(children.get(cluster) ?? []).map((c) => ({ id: clusterId(c), layoutOptions: CLUSTER_OPTIONS, children: build(c.name) })),
  ];
  const edges: ElkExtendedEdge[] = view.edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] }));
  const laid = await (await loadElk()).layout({ id: 'root', layoutOptions: ROOT_OPTIONS, children: build(undefined), edges });

  const boxes = new Map<string, Box>();
  const walk = (n: ElkNode) => {
    for (const c of n.children ?? []) {
      boxes.set(c.id, { x: round(c.x), y: round(c.y), width: round(c.width), height: round(c.height) });
      walk(c);
    }
  };
  walk(laid);
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const nesting = new Map<string, number>();
  for (const c of view.clusters) nesting.set(c.name, c.parent !== undefined ? nesting.get(c.parent)! + 1 : 0);
  return {
    width: round(laid.width),
    height: round(laid.height),
    nodes: view.nodes.map((node) => ({ node, ...boxes.get(node.id)! })),
    clusters: view.clusters.map((cluster) => ({ cluster, nesting: nesting.get(cluster.name)!, ...boxes.get(clusterId(cluster))! })),
    edges: (laid.edges ?? []).map((e, i) => ({
      from: byId.get(view.edges[i].from)!,
      to: byId.get(view.edges[i].to)!,
      points: (e.sections ?? []).flatMap((s) =>
        [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => [round(p.x), round(p.y)] as const),
      ),
    })),
  };
}

function round(v: number | undefined): number {
  return Math.round((v ?? 0) * 10) / 10;
}
