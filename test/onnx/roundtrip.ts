/**
 * The round trip of `cnnscope export`: a YAML model written as ONNX (src/onnx/export.ts) and read
 * back by the ONNX front end gives the YAML's figures, layer by layer (export.test.ts).
 */
import { analyze, type Graph, type GraphWeights } from '../../src/index.js';
import { numel } from '../../src/layers/index.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { buildOnnxGraph } from '../../src/onnx/index.js';

/** Zero weights of the right sizes: the figures do not depend on the values, and zeros cost no random numbers. */
export function zeroWeights(graph: Graph): GraphWeights {
  const out = new Map<number, Record<string, Float32Array>>();
  for (const node of graph.nodes) {
    const floats = node.tensors.filter((t) => t.dtype === 'float');
    if (floats.length > 0) out.set(node.id, Object.fromEntries(floats.map((t) => [t.name, new Float32Array(numel(t.shape))])));
  }
  return out;
}

export interface RoundTrip {
  readonly bytes: Uint8Array;
  /** Every difference between the YAML's report and the export's read back: empty when the round trip holds. */
  readonly differences: string[];
}

export function roundTrip(graph: Graph, opset: number, weights: GraphWeights = zeroWeights(graph)): RoundTrip {
  const bytes = exportOnnx(graph, weights, { opset });
  const back = buildOnnxGraph(bytes, { file: `${graph.name}.onnx` }).graph;
  const [a, b] = [analyze(graph), analyze(back)];
  const differences: string[] = [];
  for (const k of ['macs', 'flops', 'params', 'activation_bytes'] as const) {
    if (a.totals[k] !== b.totals[k]) differences.push(`totals.${k}: ${a.totals[k]} vs ${b.totals[k]}`);
  }
  const byName = new Map(b.layers.map((l) => [l.name, l]));
  for (const l of a.layers) {
    const o = byName.get(l.name);
    if (!o) {
      differences.push(`${l.name} (${l.kind}): not read back`);
      continue;
    }
    byName.delete(l.name);
    for (const k of ['output_shape', 'receptive_field', 'macs', 'flops', 'params', 'activation_bytes'] as const) {
      if (JSON.stringify(o[k]) !== JSON.stringify(l[k]))
        differences.push(`${l.name} (${l.kind}, read as ${o.kind}): ${k} ${JSON.stringify(l[k])} vs ${JSON.stringify(o[k])}`);
    }
  }
  for (const l of byName.values()) differences.push(`${l.name} (${l.kind}): only in the export`);
  return { bytes, differences };
}
