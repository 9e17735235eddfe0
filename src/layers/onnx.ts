/**
 * What a kind sees when it writes its ONNX form (`LayerKind.onnx`, `cnnscope export`): a neutral
 * emitter, declared here so that the kinds need nothing of src/onnx/, which implements it
 * (src/onnx/export.ts) and encodes the model.
 *
 * A layer's nodes read `inputs` and write `output`, the values the exporter named for it; the
 * layer's tensors are initializers named by their state_dict keys. Tensors are NCHW with the
 * batch first ([N, C, H, W], or [N, F] for flat features), as PyTorch's exports are.
 */
/** An attribute of a node, typed as ONNX types it (an integer and a float of equal value differ). */
export type OnnxAttr =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string };

/** Attribute constructors: `{ group: attr.int(32), kernel_shape: attr.ints([3, 3]) }`. */
export const attr = {
  int: (value: number): OnnxAttr => ({ type: 'int', value }),
  float: (value: number): OnnxAttr => ({ type: 'float', value }),
  ints: (value: readonly number[]): OnnxAttr => ({ type: 'ints', value }),
  floats: (value: readonly number[]): OnnxAttr => ({ type: 'floats', value }),
  string: (value: string): OnnxAttr => ({ type: 'string', value }),
};

export type OnnxAttrs = Readonly<Record<string, OnnxAttr>>;

export interface OnnxEmitter {
  /** The version of the default operator set being written (13 to 18). */
  readonly opset: number;
  /** The values the layer reads, in the order of its inputs. */
  readonly inputs: readonly string[];
  /** The value the layer's last node must write. */
  readonly output: string;
  /** The initializer holding the layer's tensor `name` (a TensorSpec name: `weight`, or '' for a bare parameter). */
  tensor(name: string): string;
  /**
   * Adds a node `op` reading `inputs` ('' for an absent optional input) and returns the value it
   * writes: `output` when given, else a new one. The layer's first node is named after the layer
   * (`layer1.0.conv1`), which is how a reader of the file (and cnnscope's ONNX front end) knows the
   * layer; later nodes are `<layer>/<Op>`, `<layer>/<Op>_2`.
   */
  node(op: string, inputs: readonly string[], attributes?: OnnxAttrs, output?: string): string;
  /**
   * A constant tensor for shapes, axes, pads or scalars (a Constant node `<layer>/Constant`, never
   * the layer's name): int64 or float32 values, of `dims` (default: a vector; [] for a scalar).
   */
  constant(values: readonly number[], dtype?: 'int64' | 'float', dims?: readonly number[]): string;
  /**
   * A helper node that moves data without being the layer's computation (a Transpose to or from
   * channels-last, a Shape, a Slice of it): named `<layer>/<Op>`, never the layer's name.
   */
  helper(op: string, inputs: readonly string[], attributes?: OnnxAttrs, output?: string): string;
}

/** Thrown by a kind whose arguments have no ONNX form at the opset asked for; the exporter names the layer. */
export class OnnxFormError extends Error {}

/** The perm of a Transpose from NCHW to channels-last NHWC, and back. */
export const TO_CHANNELS_LAST = [0, 2, 3, 1] as const;
export const TO_CHANNELS_FIRST = [0, 3, 1, 2] as const;

/**
 * ReduceMean over `axes`, keeping them: the axes are an attribute up to opset 17 and an input from
 * opset 18 (as Split's sizes became one at 13).
 */
export function reduceMean(e: OnnxEmitter, x: string, axes: readonly number[], output?: string): string {
  if (e.opset >= 18) return e.node('ReduceMean', [x, e.constant(axes)], { keepdims: attr.int(1) }, output);
  return e.node('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(1) }, output);
}

/** A one-node layer: `op` on the layer's inputs, writing its output. */
export function single(e: OnnxEmitter, op: string, attributes: OnnxAttrs = {}): void {
  e.node(op, e.inputs, attributes, e.output);
}
