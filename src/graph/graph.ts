/**
 * The one intermediate representation: a DAG of layer nodes in topological order. The front end
 * builds it; analyzers read it; nothing after the front end looks at YAML again.
 */
import type { LayerKind, Shape, TensorSpec } from '../layers/kind.js';
import type { SourcePos } from './diagnostics.js';
import type { Value } from './expr.js';

export interface LayerNode {
  /** Position in topological order; node 0 is the model input. */
  readonly id: number;
  /** Full dotted path, as PyTorch names modules: `layer1.0.conv1`, `features.3`. */
  readonly name: string;
  readonly kind: string;
  readonly layer: LayerKind<unknown>;
  /** Arguments as the kind resolved them (defaults applied, padding made explicit). */
  readonly args: unknown;
  /** Ids of the nodes whose outputs this node reads, in argument order. */
  readonly inputs: readonly number[];
  readonly inputShapes: readonly Shape[];
  /** Per-sample output shape, without the batch. */
  readonly outputShape: Shape;
  /** Weights, biases and buffers, with PyTorch's key suffixes. */
  readonly tensors: readonly TensorSpec[];
  /** Where the layer was written; for layers from blocks, the line inside the block. */
  readonly pos: SourcePos;
}

export interface Graph {
  readonly name: string;
  readonly description?: string;
  readonly source?: string;
  /** The file the model came from, as given (or `<stdin>`). */
  readonly file: string;
  /** Per-sample input shape [C, H, W]. */
  readonly inputShape: Shape;
  /** Topological order: every node's inputs come before it. nodes[0] is the input. */
  readonly nodes: readonly LayerNode[];
  /** Ids of the graph's outputs: the last layer first, then any marked `output: true`, in file order. */
  readonly outputs: readonly number[];
  /** Named groups of layers (block instances, `sequential`, repeat groups), sorted by name. */
  readonly scopes: readonly ScopeInfo[];
  /** Top-level parameters after presets and `--set`. */
  readonly params: Readonly<Record<string, Value>>;
}

export interface ScopeInfo {
  /** The group's full name: the prefix of its layers' names (`layer1.0`). */
  readonly name: string;
  /** The block that made it (`bottleneck`), or `sequential`, or `repeat` for a repeat group. */
  readonly kind: string;
  /** The id of the node whose output is the group's output. */
  readonly output: number;
}

/** Ids of each node's consumers, the reverse of `inputs`. */
export function consumers(graph: Graph): number[][] {
  const out: number[][] = graph.nodes.map(() => []);
  for (const node of graph.nodes) for (const i of node.inputs) out[i].push(node.id);
  return out;
}
