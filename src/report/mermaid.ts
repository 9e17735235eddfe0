/**
 * The layer graph as a Mermaid flowchart, which GitHub renders inside a ```mermaid block.
 * The same view as the DOT output: layers as rounded boxes, add as a circle, concat as a hexagon,
 * folded blocks as subroutine boxes, the input as a stadium; scopes as nested subgraphs; classes
 * by category (src/report/style.ts).
 * Node ids are `n0`, `n1`, ...; labels are quoted, with `"`, `<` and `>` as Mermaid entities.
 */
import { labelLines, viewTree, type GraphView, type ViewNode } from './graph-view.js';
import { BLOCK_STYLE, CATEGORY_STYLES, type CategoryStyle } from './style.js';

/** The class (and fill) of a node: a block's, or its category's when that has one. */
function styleOf(n: ViewNode): CategoryStyle | undefined {
  if (n.role === 'block') return BLOCK_STYLE;
  return n.category !== undefined ? CATEGORY_STYLES[n.category] : undefined;
}

export function renderMermaid(view: GraphView): string {
  return `${mermaidLines(view).join('\n')}\n`;
}

/** The lines of renderMermaid, without their newlines: to be written a few at a time. */
export function mermaidLines(view: GraphView): string[] {
  const out: string[] = ['flowchart TB'];
  const { children, members, index } = viewTree(view);

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

  const used = new Map<string, { style: CategoryStyle; ids: string[] }>();
  for (const n of view.nodes) {
    const style = styleOf(n);
    if (!style) continue;
    const entry = used.get(style.className);
    if (entry) entry.ids.push(n.id);
    else used.set(style.className, { style, ids: [n.id] });
  }
  for (const [c, { style, ids }] of [...used].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out.push(`  classDef ${c} fill:${style.fill},stroke:#555`);
    out.push(`  class ${ids.join(',')} ${c}`);
  }
  const outputs = view.nodes.filter((n) => n.output || n.branch);
  if (outputs.length > 0) {
    out.push('  classDef emphasis stroke-width:3px');
    out.push(`  class ${outputs.map((n) => n.id).join(',')} emphasis`);
  }
  return out;
}

function shape(n: ViewNode): string {
  const label = `"${labelLines(n).map(text).join('<br/>')}"`;
  if (n.role === 'input') return `([${label}])`;
  if (n.role === 'block') return `[[${label}]]`;
  if (n.role === 'merge') return n.category === 'concat' ? `{{${label}}}` : `((${label}))`;
  return `(${label})`;
}

/** Text inside a quoted Mermaid label: entities for the characters Mermaid or HTML would read. */
export function text(s: string): string {
  return s.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
