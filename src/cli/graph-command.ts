/** `cnnscope graph` (declared in graph.ts): the layer graph as Graphviz DOT or Mermaid, optionally folded into blocks. */
import { analyze } from '../analysis/report.js';
import { dotLines } from '../report/dot.js';
import { graphView } from '../report/graph-view.js';
import { mermaidLines } from '../report/mermaid.js';
import { resolveFormat } from './format.js';
import { lineChunks, writeChunks, type CliIo } from './io.js';
import { loadModel } from './load.js';
import { parseDepth } from './options.js';

export const GRAPH_FORMATS = ['dot', 'mermaid'] as const;

export interface GraphFlags {
  format?: string;
  depth?: string;
  input?: string;
  set: string[];
  preset?: string;
}

export async function graphCommand(model: string, flags: GraphFlags, io: CliIo): Promise<void> {
  const format = resolveFormat(flags, GRAPH_FORMATS, 'dot');
  const depth = flags.depth !== undefined ? parseDepth(flags.depth) : undefined;
  const graph = await loadModel(model, flags, io);
  const report = analyze(graph, depth !== undefined ? { depth } : {});
  const view = graphView(graph, report, depth);
  await writeChunks(io.stdout, lineChunks(format === 'dot' ? dotLines(view) : mermaidLines(view)));
}
