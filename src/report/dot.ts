/**
 * The layer graph as Graphviz DOT (`cnnscope graph --format dot | dot -Tpng -o model.png`).
 * Top to bottom; one box per layer (or per folded block) labelled with its name, kind, output
 * shape and parameters, filled by its category (src/report/style.ts); merge points drawn apart
 * (add as an ellipse, concat as an inverted trapezium); blocks as 3-D boxes; scopes (block
 * instances, stages, branches) as nested clusters.
 * The output is deterministic: the same model gives the same text.
 */
import { labelLines, viewTree, type GraphView, type ViewNode } from './graph-view.js';
import { BLOCK_STYLE, CATEGORY_STYLES } from './style.js';

export function renderDot(view: GraphView): string {
  return `${dotLines(view).join('\n')}\n`;
}

/** The lines of renderDot, without their newlines: to be written a few at a time. */
export function dotLines(view: GraphView): string[] {
  const out: string[] = [];
  out.push(`digraph ${quote(view.model)} {`);
  out.push(
    `  graph [label=${quote(view.model)}, labelloc=t, fontname="Helvetica", fontsize=16, rankdir=TB, newrank=true, ordering=in, nodesep=0.25, ranksep=0.3, compound=true];`,
    '  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", fillcolor="#ffffff", color="#555555", penwidth=1, margin="0.10,0.04", height=0.3];',
    '  edge [color="#666666", arrowsize=0.6, penwidth=1];',
  );

  const { children, members, index } = viewTree(view);

  const emit = (cluster: string | undefined, indent: string, depth: number) => {
    for (const n of members.get(cluster) ?? []) out.push(`${indent}${n.id} [${nodeAttrs(n)}];`);
    // Sibling clusters in reverse: dot's ordering then puts the first branch on the left.
    for (const c of [...(children.get(cluster) ?? [])].reverse()) {
      out.push(`${indent}subgraph cluster_${index.get(c.name)} {`);
      const inner = `${indent}  `;
      out.push(
        `${inner}label=${quote(`${c.label} · ${c.kind}`)}; labeljust=l; fontname="Helvetica"; fontsize=11; fontcolor="#444444";`,
        `${inner}style="rounded,filled"; color="#bbbbbb"; fillcolor=${quote(depth % 2 === 0 ? '#f8f8fb' : '#ffffff')};`,
      );
      emit(c.name, inner, depth + 1);
      out.push(`${indent}}`);
    }
  };
  emit(undefined, '  ', 0);

  for (const e of view.edges) out.push(`  ${e.from} -> ${e.to};`);
  out.push('}');
  return out;
}

function nodeAttrs(n: ViewNode): string {
  const attrs: string[] = [`label=${quote(labelLines(n).join('\n'))}`];
  const fill = n.category !== undefined ? CATEGORY_STYLES[n.category]?.fill : undefined;
  if (n.role === 'input') attrs.push('shape=invhouse', `fillcolor=${quote(CATEGORY_STYLES.input.fill)}`);
  else if (n.role === 'block') attrs.push('shape=box3d', 'style=filled', `fillcolor=${quote(BLOCK_STYLE.fill)}`, 'margin="0.12,0.08"');
  else if (n.role === 'merge')
    attrs.push(
      n.category === 'concat' ? 'shape=invtrapezium' : 'shape=ellipse',
      'style=filled',
      `fillcolor=${quote(fill ?? CATEGORY_STYLES.arithmetic.fill)}`,
    );
  else if (fill) attrs.push(`fillcolor=${quote(fill)}`);
  if (n.branch) attrs.push('penwidth=2');
  if (n.output) attrs.push('peripheries=2');
  return attrs.join(', ');
}

/** A DOT double-quoted string: quotes and backslashes escaped, line breaks as `\n` (centred lines). */
export function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}
