/**
 * The layer graph as a Mermaid flowchart, which GitHub renders inside a ```mermaid block.
 * The same view as the DOT output: layers as rounded boxes, add as a circle, concat as a hexagon,
 * folded blocks as subroutine boxes, the input as a stadium; scopes as nested subgraphs.
 * Node ids are `n0`, `n1`, ...; labels are quoted, with `"`, `<` and `>` as Mermaid entities.
 */
import { labelLines, type GraphView, type ViewCluster, type ViewNode } from './graph-view.js';

const CLASSES: Readonly<Record<string, string>> = {
  conv: 'fill:#dceaf7,stroke:#555',
  linear: 'fill:#fde3c8,stroke:#555',
  pool: 'fill:#dff0d8,stroke:#555',
  norm: 'fill:#f2f2f2,stroke:#555',
  add: 'fill:#ffe8a3,stroke:#555',
  concat: 'fill:#f7d4ec,stroke:#555',
  block: 'fill:#e7e3f6,stroke:#555',
  input: 'fill:#e6e6e6,stroke:#555',
};

function classOf(n: ViewNode): string | undefined {
  if (n.role === 'input') return 'input';
  if (n.role === 'block') return 'block';
  if (n.kind === 'conv' || n.kind === 'linear' || n.kind === 'add' || n.kind === 'concat') return n.kind;
  if (/pool$/.test(n.kind)) return 'pool';
  if (n.kind === 'batchnorm' || n.kind === 'lrn') return 'norm';
  return undefined;
}

export function renderMermaid(view: GraphView): string {
  const out: string[] = ['flowchart TB'];
  const children = new Map<string | undefined, ViewCluster[]>();
  for (const c of view.clusters) children.set(c.parent, [...(children.get(c.parent) ?? []), c]);
  const members = new Map<string | undefined, ViewNode[]>();
  for (const n of view.nodes) members.set(n.cluster, [...(members.get(n.cluster) ?? []), n]);
  const index = new Map(view.clusters.map((c, i) => [c.name, i]));

  const emit = (cluster: string | undefined, indent: string) => {
    for (const n of members.get(cluster) ?? []) out.push(`${indent}${n.id}${shape(n)}`);
    for (const c of children.get(cluster) ?? []) {
      out.push(`${indent}subgraph c${index.get(c.name)}["${text(`${c.label} · ${c.kind}`)}"]`);
      emit(c.name, `${indent}  `);
      out.push(`${indent}end`);
    }
  };
  emit(undefined, '  ');
  for (const e of view.edges) out.push(`  ${e.from} --> ${e.to}`);

  const used = new Map<string, string[]>();
  for (const n of view.nodes) {
    const c = classOf(n);
    if (c) used.set(c, [...(used.get(c) ?? []), n.id]);
  }
  for (const [c, ids] of [...used].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out.push(`  classDef ${c} ${CLASSES[c]}`);
    out.push(`  class ${ids.join(',')} ${c}`);
  }
  const outputs = view.nodes.filter((n) => n.output || n.branch);
  if (outputs.length > 0) {
    out.push('  classDef emphasis stroke-width:3px');
    out.push(`  class ${outputs.map((n) => n.id).join(',')} emphasis`);
  }
  return `${out.join('\n')}\n`;
}

function shape(n: ViewNode): string {
  const label = `"${labelLines(n).map(text).join('<br/>')}"`;
  if (n.role === 'input') return `([${label}])`;
  if (n.role === 'block') return `[[${label}]]`;
  if (n.role === 'merge') return n.kind === 'concat' ? `{{${label}}}` : `((${label}))`;
  return `(${label})`;
}

/** Text inside a quoted Mermaid label: entities for the characters Mermaid or HTML would read. */
export function text(s: string): string {
  return s.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
