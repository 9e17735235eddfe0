/**
 * Proof by two front ends: an ONNX export of a bundled torchvision model (test/fixtures/onnx/,
 * scripts/onnx_exports.py) against its YAML twin. What must agree, and what may differ and why:
 *   - MACs: equal (folding a BatchNorm into a convolution changes no multiply-accumulate);
 *   - output shape and receptive field of every layer both have (by name);
 *   - parameters: the export's are its initializers, so the YAML's less each folded BatchNorm's
 *     weight and bias, plus the bias each folded convolution gains when it had none;
 *   - activation totals: equal once the layers only one side has are taken out (eval-mode exports
 *     drop dropout and stochastic depth and fold BatchNorm; torch names some functional ops
 *     differently, `relu_1` for the YAML's `relu_out`); `missing` counts the YAML's by kind.
 * DenseNet's concatenations are compared as layers of neither: torchvision concatenates at the
 * start of each dense layer (`torch.cat(inputs, 1)` in bn_function), so the export's
 * `denselayer3.concat` is the YAML's `denselayer2.concat`, the same tensor under the next name.
 */
import { readFileSync } from 'node:fs';
import { analyze, loadBundled, type Graph, type Report } from '../../src/index.js';
import { buildOnnxGraph } from '../../src/onnx/index.js';

export interface TwinComparison {
  readonly model: string;
  readonly opset: number;
  readonly onnxMacs: number;
  readonly yamlMacs: number;
  readonly onnxParams: number;
  readonly yamlParams: number;
  /** The YAML's parameters with the export's folding applied. */
  readonly expectedParams: number;
  readonly foldedBatchNorms: number;
  /** Layers of both whose shape or receptive field differ: `name: what`. */
  readonly mismatches: readonly string[];
  readonly commonLayers: number;
  /** Kinds of the YAML layers the export has no layer for, counted: why activation totals differ. */
  readonly missing: Readonly<Record<string, number>>;
  readonly onnxActivations: number;
  readonly yamlActivations: number;
  /** Activation bytes of the layers only the export has, and only the YAML has. */
  readonly onnxOnlyActivations: number;
  readonly yamlOnlyActivations: number;
}

export function compareTwin(path: string, model: string, opset: number): TwinComparison {
  const { graph } = buildOnnxGraph(readFileSync(path), { file: path });
  const yamlGraph = loadBundled(model);
  const onnx = analyze(graph);
  const yaml = analyze(yamlGraph);
  const renamed = (kind: string) => model.startsWith('densenet') && kind === 'concat';
  const byName = new Map(onnx.layers.filter((l) => !renamed(l.kind)).map((l) => [l.name, l]));
  const yamlNames = new Set(yaml.layers.filter((l) => !renamed(l.kind)).map((l) => l.name));
  const mismatches: string[] = [];
  let common = 0;
  let yamlOnly = 0;
  const missing: Record<string, number> = {};
  for (const l of yaml.layers) {
    const o = renamed(l.kind) ? undefined : byName.get(l.name);
    if (!o) {
      missing[l.kind] = (missing[l.kind] ?? 0) + 1;
      yamlOnly += l.activation_bytes;
      continue;
    }
    common++;
    if (JSON.stringify(o.output_shape) !== JSON.stringify(l.output_shape)) {
      mismatches.push(`${l.name}: shape ${JSON.stringify(o.output_shape)} vs ${JSON.stringify(l.output_shape)}`);
    }
    if (JSON.stringify(o.receptive_field) !== JSON.stringify(l.receptive_field)) {
      mismatches.push(`${l.name}: receptive field ${JSON.stringify(o.receptive_field)} vs ${JSON.stringify(l.receptive_field)}`);
    }
  }
  const { params, folded } = foldedParams(yamlGraph, graph, yaml);
  return {
    model,
    opset,
    onnxMacs: onnx.totals.macs,
    yamlMacs: yaml.totals.macs,
    onnxParams: onnx.totals.params,
    yamlParams: yaml.totals.params,
    expectedParams: params,
    foldedBatchNorms: folded,
    mismatches,
    commonLayers: common,
    missing,
    onnxActivations: onnx.totals.activation_bytes,
    yamlActivations: yaml.totals.activation_bytes,
    onnxOnlyActivations: onnx.layers
      .filter((l) => !yamlNames.has(l.name) || renamed(l.kind))
      .reduce((sum, l) => sum + l.activation_bytes, 0),
    yamlOnlyActivations: yamlOnly,
  };
}

/**
 * The YAML model's parameters as an eval-mode export holds them: each batchnorm that reads a
 * convolution (and that the export has no layer of) is folded into it: its weight and bias go,
 * and the convolution gains a bias if it had none.
 */
function foldedParams(yamlGraph: Graph, onnxGraph: Graph, yaml: Report): { params: number; folded: number } {
  const onnxNames = new Set(onnxGraph.nodes.map((n) => n.name));
  let params = yaml.totals.params;
  let folded = 0;
  for (const n of yamlGraph.nodes) {
    if (n.kind !== 'batchnorm' || onnxNames.has(n.name)) continue;
    const conv = yamlGraph.nodes[n.inputs[0]];
    if (conv.kind !== 'conv' && conv.kind !== 'conv_transpose') continue;
    folded++;
    for (const t of n.tensors) if (t.role === 'parameter') params -= t.shape.reduce((p, d) => p * d, 1);
    if (!conv.tensors.some((t) => t.name === 'bias')) params += conv.outputShape[0];
  }
  return { params, folded };
}
