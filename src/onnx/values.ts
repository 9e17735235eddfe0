/**
 * What the ONNX converter tracks for each value of the graph (see convert.ts): a constant, an
 * activation (the output of a layer of the IR), or a pending multi-node form.
 */
import type { LayerKind, Shape, TensorSpec } from '../layers/index.js';
import type { OnnxNode, OnnxTensor } from './decode.js';

/** A dimension of a folded shape: a number, or the batch. */
export type Dim = number | 'N';

export interface Const {
  readonly t: 'const';
  readonly dims: readonly number[];
  /** The initializer it is (or is an Identity of): what a layer's parameters are. */
  readonly source?: OnnxTensor;
  /** The values, when known; an external initializer's are read only when needed. */
  values?: Dim[];
  /** A 2-D weight read through Transpose [1, 0]: the constant it transposes (whose values a layer then reads as they are stored). */
  readonly transposeOf?: Const;
}

export interface Act {
  readonly t: 'act';
  readonly id: number;
  /** NCHW (or flat [N, F]); `nhwc`: the same feature map seen channels-last, [N, H, W, C]. */
  readonly layout: 'nchw' | 'nhwc';
}

/** The first nodes of a multi-node form. `make` turns it into a layer as it stands (or refuses). */
export interface Pending {
  readonly t: 'pending';
  readonly form: string;
  readonly x: Act;
  readonly at: NodeAt;
  readonly data: Readonly<Record<string, unknown>>;
  readonly make: () => Act;
  made?: Act;
}

export type Value = Const | Act | Pending;

/** A weight matrix stored [F, out] (MatMul's, Gemm's with transB 0): the layer's tensor is its transpose, PyTorch's [out, F]. */
export interface Transposed {
  readonly t: 'transposed';
  readonly of: Const;
}

/** What a layer reads as one of its tensors: a constant as stored, or a matrix transposed. */
export type Param = Const | Transposed;

/**
 * Which constant fills a layer's tensor (TensorSpec name), and how: `as-is` (the same shape),
 * `reshaped` (the same values in another shape, a LayerNorm scale [1, C] for [C]) or `transposed`
 * (a [F, out] matrix for a [out, F] weight). Execute mode reads the weights of an ONNX file by these.
 */
export interface WeightSource {
  readonly tensor: string;
  /** The initializer (or Constant node's tensor) holding the values; absent when the constant was folded. */
  readonly initializer?: OnnxTensor;
  /** The values of a folded constant (a Constant node's value_floats), when there is no initializer. */
  readonly values?: readonly Dim[];
  /** The constant's shape as stored. */
  readonly dims: readonly number[];
  readonly layout: 'as-is' | 'reshaped' | 'transposed';
}

/** A node and where it is, for names and messages. */
export interface NodeAt {
  readonly node: OnnxNode;
  readonly index: number;
}

export interface Draft {
  readonly kind: LayerKind<unknown>;
  readonly args: unknown;
  readonly inputs: readonly number[];
  readonly inputShapes: readonly Shape[];
  readonly outputShape: Shape;
  readonly tensors: readonly TensorSpec[];
  /** Module path and operator part of the node's name, for naming. */
  readonly module: string;
  readonly op: string;
  readonly suffix: string;
  /** Where each of its tensors' values are in the file, in the order of `tensors`. */
  readonly weights: readonly WeightSource[];
}

export interface ConvertOptions {
  readonly file: string;
  /** `--input`: the per-sample input shape, for symbolic (or other) dimensions. */
  readonly input?: Shape;
  /** The bytes of an initializer stored as external data, when a shape computation needs its values. */
  readonly external?: (t: OnnxTensor) => Uint8Array | undefined;
}

export function sameAct(a: Act, b: Act): boolean {
  return a.id === b.id && a.layout === b.layout;
}

/** Whether a value is the activation `x`: it, or a pending form already made into it (a sigmoid read by a SiLU's Sigmoid). */
export function readsAs(v: Value, x: Act): boolean {
  const a = v.t === 'act' ? v : v.t === 'pending' ? v.made : undefined;
  return a !== undefined && sameAct(a, x);
}

export function describe(at: NodeAt): string {
  const name = at.node.name || at.node.outputs[0] || '';
  return `node ${at.index} '${name}' (${at.node.opType})`;
}
