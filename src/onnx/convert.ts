/**
 * An ONNX graph to cnnscope's graph IR: the nodes walked in their (topological) order, each value
 * tracked as one of
 *   - a constant: an initializer, a Constant node, or a shape computation folded from the known
 *     input shape (Shape, Gather, Unsqueeze, Concat, Cast and integer arithmetic), in which the
 *     dynamic batch dimension is the symbol 'N';
 *   - an activation: the output of a layer of the IR, in NCHW (or [N, F]), or seen channels-last
 *     through a Transpose [0, 2, 3, 1] (ConvNeXt's permutes around its LayerNorm and Linear);
 *   - a pending pattern: the first nodes of a multi-node form that is one layer (MatMul + Add,
 *     the Erf form of GELU, x · sigmoid(x), the decomposed LayerNorm, Pad before a convolution,
 *     the Reshape-Transpose-Reshape of a channel shuffle). The node that completes it emits the
 *     layer; any other reader makes it a layer as it stands, or refuses it when it is none.
 * This file walks the graph; each operator's converter is in ops/ (its registry ops/index.ts), the
 * state they share and `emit`, which builds a layer by its kind of src/layers/, in context.ts, and
 * the layer names in naming.ts.
 */
import type { Graph, LayerNode } from '../graph/graph.js';
import type { Shape } from '../layers/index.js';
import { modelInput } from '../graph/layer.js';
import { ConvertContext } from './context.js';
import type { OnnxModel } from './decode.js';
import { layerNames, scopes } from './naming.js';
import { findConverter, SUPPORTED_OPS } from './ops/index.js';
import type { ConvertOptions, NodeAt, WeightSource } from './values.js';

export { SUPPORTED_OPS };
export type { ConvertOptions, WeightSource };

export interface Converted {
  readonly graph: Graph;
  /** What the report should say about the file (a folded BatchNorm). */
  readonly notes: readonly string[];
  /** Per layer (by node id), where its tensors' values are in the file (execute/onnx-weights.ts reads them). */
  readonly weights: readonly (readonly WeightSource[])[];
  /** The file's names for the graph input, and for each of graph.outputs (a runtime's feeds and fetches). */
  readonly inputName: string;
  readonly outputNames: readonly string[];
  /**
   * The layer each ONNX node became, by the node's name and by its outputs' names (a runtime names
   * a fused kernel after either); a node inside a form of several nodes takes the form's layer.
   * Nodes folded away (shape computations) are absent.
   */
  readonly nodeLayers: ReadonlyMap<string, number>;
}

const NOWHERE = { line: 0, col: 0 };

export function convert(model: OnnxModel, options: ConvertOptions): Converted {
  return new Converter(model, options).run();
}

class Converter {
  private readonly cx: ConvertContext;

  constructor(model: OnnxModel, options: ConvertOptions) {
    this.cx = new ConvertContext(model, options, SUPPORTED_OPS);
  }

  run(): Converted {
    for (const t of this.cx.model.initializers) this.cx.values.set(t.name, { t: 'const', dims: t.dims, source: t });
    const inputShape = this.input();
    this.cx.model.nodes.forEach((node, index) => {
      const at = { node, index };
      if (node.domain !== '' && node.domain !== 'ai.onnx') this.cx.unsupported(at, `operator ${node.domain}.${node.opType}`);
      this.node(at);
    });
    const outputs: number[] = [];
    const outputNames: string[] = [];
    for (const o of this.cx.model.outputs) {
      const v = this.cx.values.get(o.name);
      if (!v) this.cx.fail(`graph output '${o.name}' is computed by no node`);
      if (v.t === 'const') this.cx.fail(`graph output '${o.name}' is a constant, not computed from the input`);
      const id = this.cx.act(v, undefined).id;
      if (!outputs.includes(id)) {
        outputs.push(id);
        outputNames.push(o.name);
      }
    }
    if (outputs.length === 0) this.cx.fail('the graph has no outputs');
    if (this.cx.drafts.length === 1) this.cx.fail('the graph has no layers: its output is its input');
    const graph = this.graph(inputShape, outputs);
    const notes =
      this.cx.foldedConvs > 0
        ? [
            `BatchNorm folded into convolutions by the exporter: ${this.cx.foldedConvs} convolution${this.cx.foldedConvs === 1 ? '' : 's'} hold${this.cx.foldedConvs === 1 ? 's' : ''} the folded weight and bias, and the model has no BatchNorm there (docs/onnx.md)`,
          ]
        : [];
    return {
      graph,
      notes,
      weights: this.cx.drafts.map((d) => d.weights),
      inputName: this.inputName,
      outputNames,
      nodeLayers: this.nodeLayers(),
    };
  }

  private inputName = '';

  /**
   * Each node's layer, read from its output's value: the layer it made, or the layer a pending
   * form it began became; a node inside a form (a MatMul whose Add made the linear layer) takes
   * the layer of the first later node that reads it.
   */
  private nodeLayers(): Map<string, number> {
    const out = new Map<string, number>();
    const nodes = this.cx.model.nodes;
    const byOutput = new Map<string, number>();
    const layerOf = (name: string): number | undefined => {
      const v = this.cx.values.get(name);
      if (v?.t === 'act') return v.id;
      if (v?.t === 'pending' && v.made) return v.made.id;
      return undefined;
    };
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      let id: number | undefined;
      for (const o of node.outputs) id ??= layerOf(o);
      if (id === undefined && node.outputs.some((o) => this.cx.values.get(o)?.t === 'pending')) {
        for (const o of node.outputs) id ??= byOutput.get(o);
      }
      if (id !== undefined && id > 0) {
        for (const name of [node.name, ...node.outputs]) if (name !== '' && !out.has(name)) out.set(name, id);
        for (const input of node.inputs) if (!byOutput.has(input)) byOutput.set(input, id);
      }
    }
    return out;
  }

  /** The graph input: node 0, its per-sample shape (batch removed) from the file or `--input`. */
  private input(): Shape {
    const inits = new Set(this.cx.model.initializers.map((t) => t.name));
    const inputs = this.cx.model.inputs.filter((i) => !inits.has(i.name));
    if (inputs.length !== 1) {
      this.cx.fail(
        `the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ') || 'none'}); cnnscope analyzes models of one input`,
      );
    }
    const input = inputs[0];
    const dims = input.dims;
    if (!dims || (dims.length !== 4 && dims.length !== 2)) {
      this.cx.fail(
        `input '${input.name}' has ${dims ? `${dims.length} dimensions` : 'no shape'}; cnnscope reads images [N, C, H, W] or features [N, F]`,
      );
    }
    let shape: number[];
    if (this.cx.options.input) {
      if (this.cx.options.input.length !== dims.length - 1) {
        this.cx.fail(`--input ${this.cx.options.input.join(',')}: input '${input.name}' has ${dims.length - 1} dimensions per sample`);
      }
      shape = [...this.cx.options.input];
    } else {
      const symbolic = dims.slice(1).filter((d) => typeof d !== 'number' || d <= 0);
      if (symbolic.length > 0) {
        this.cx.fail(
          `input '${input.name}' has the symbolic dimensions [${dims.join(', ')}]: give the others than the batch with --input (${dims.length === 4 ? 'C,H,W' : 'F'})`,
        );
      }
      shape = dims.slice(1) as number[];
    }
    this.cx.drafts.push({
      kind: modelInput,
      args: { shape },
      inputs: [],
      inputShapes: [],
      outputShape: shape,
      tensors: [],
      module: '',
      op: 'input',
      suffix: '',
      weights: [],
    });
    this.inputName = input.name;
    this.cx.values.set(input.name, { t: 'act', id: 0, layout: 'nchw' });
    return shape;
  }

  private node(at: NodeAt): void {
    const convert = findConverter(at.node.opType);
    if (!convert) this.cx.unsupported(at);
    convert(this.cx, at);
  }

  private graph(inputShape: Shape, outputs: number[]): Graph {
    const names = layerNames(this.cx.drafts);
    const nodes: LayerNode[] = this.cx.drafts.map((d, id) => ({
      id,
      name: names[id],
      kind: d.kind.kind,
      layer: d.kind,
      args: d.args,
      inputs: d.inputs,
      inputShapes: d.inputShapes,
      outputShape: d.outputShape,
      tensors: d.tensors,
      pos: NOWHERE,
    }));
    const base = this.cx.file.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, '');
    return {
      name: base || this.cx.model.graphName || 'model',
      source: `ONNX opset ${this.cx.model.opset}${this.cx.model.producer ? `, exported by ${this.cx.model.producer}` : ''}`,
      file: this.cx.file,
      inputShape,
      nodes,
      // The first graph output is the one the report names first.
      outputs,
      scopes: scopes(nodes),
      params: {},
    };
  }
}
