/**
 * cnnscope's graph IR and its weights to an ONNX model (`cnnscope export`, docs/onnx.md): each
 * layer written by its kind's `onnx` form (src/layers/<kind>.ts) through the emitter here, the
 * weights as float32 initializers named by their state_dict keys, a dynamic batch, and the model's
 * metadata; encoded by protobufjs from the same descriptor the front end decodes with, so that
 * what is written is read back (the round trip of test/onnx/export.test.ts).
 *
 * The same graph, weights and options give the same bytes: nothing here depends on time or place.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';
import { ModelError } from '../graph/diagnostics.js';
import type { Graph, LayerNode } from '../graph/graph.js';
import { numel, type LayerWeights, type Shape } from '../layers/index.js';
import { OnnxFormError, type OnnxAttr, type OnnxAttrs, type OnnxEmitter } from '../layers/onnx.js';
import { ONNX_DESCRIPTOR } from './descriptor.js';

/** The opsets cnnscope writes: 13 (torch's long-time default) to 18; 17 by default, the first with LayerNormalization. */
export const EXPORT_OPSETS = { min: 13, max: 18, default: 17 } as const;

/** The IR version written: ONNX 1.10 to 1.13's (8), which every opset written here fits. */
const IR_VERSION = 8;

/** Per node id, the node's float tensors: execute mode's GraphWeights (src/execute/weights.ts), by its shape. */
export type ExportWeights = ReadonlyMap<number, LayerWeights>;

export interface ExportOptions {
  /** The default-domain opset, EXPORT_OPSETS.min to .max; EXPORT_OPSETS.default when absent. */
  readonly opset?: number;
  /** The model's file as the metadata names it (`source`); the graph's `file` when absent. */
  readonly source?: string;
}

/** What cannot be exported whatever the layer: an opset out of range, weights that do not fit, a file past 2 GB. */
export class OnnxExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxExportError';
  }
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** TensorProto.DataType of the tensors written (decode.ts's DTYPE; that module loads protobufjs on import). */
const DTYPE = { FLOAT: 1, INT64: 7 } as const;

/** The most bytes one protobuf message holds (decode.ts's MAX_ONNX_BYTES). */
const MAX_ONNX_BYTES = 2 ** 31 - 1;

let types: { model: protobuf.Type; graph: protobuf.Type; tensor: protobuf.Type } | undefined;

/**
 * The messages written, built on the first export: protobufjs is required then, synchronously (it
 * is CommonJS), so that the library (src/index.ts re-exports exportOnnx) loads it only for ONNX.
 */
function protos(): { model: protobuf.Type; graph: protobuf.Type; tensor: protobuf.Type } {
  if (!types) {
    const pb = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
    const root = pb.Root.fromJSON(ONNX_DESCRIPTOR);
    types = {
      model: root.lookupType('onnx.ModelProto'),
      graph: root.lookupType('onnx.GraphProto'),
      tensor: root.lookupType('onnx.TensorProto'),
    };
  }
  return types;
}

/** Field numbers of the fields framed here rather than by protobufjs (onnx.proto). */
const FIELD = { modelGraph: 7, graphInitializer: 5, tensorRawData: 9 } as const;

/**
 * A length-delimited field (wire type 2): tag, length, bytes. The weights are framed this way and
 * appended to the rest of their message, which protobufjs encodes: a message is the concatenation
 * of its fields, in any order, and protobufjs copies large bytes fields byte by byte.
 */
function delimited(field: number, parts: readonly Uint8Array[]): Uint8Array[] {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return [Uint8Array.from([...varint((field << 3) | 2), ...varint(length)]), ...parts];
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function encoded(type: protobuf.Type, message: Proto): Uint8Array {
  return type.encode(type.fromObject(message)).finish();
}

/**
 * The state_dict key of a layer's tensor, as execute mode's stateDictKey (src/execute/weights.ts,
 * which onnx/ may not import): `<layer>.<tensor>`, or the layer's name for a tensor named ''.
 */
function stateDictKey(layer: string, tensor: string): string {
  return tensor === '' ? layer : `${layer}.${tensor}`;
}

/** AttributeProto.AttributeType of each attribute kind. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

type Proto = Record<string, unknown>;

/**
 * The ONNX model of `graph` with `weights` (every float tensor of every layer; batchnorm's
 * num_batches_tracked is not written), as the bytes of a .onnx file. Throws ModelError, positioned
 * at the layer, for a layer whose kind has no ONNX form (at this opset), and OnnxExportError for
 * the rest.
 */
export function exportOnnx(graph: Graph, weights: ExportWeights, options: ExportOptions = {}): Uint8Array {
  return exportOnnxModel(graph, weights, options).bytes;
}

/** What exportOnnx writes, and what it holds: the CLI's one-line summary. */
export interface OnnxExport {
  readonly bytes: Uint8Array;
  readonly opset: number;
  readonly nodes: number;
  readonly initializers: number;
}

/** exportOnnx, with the counts of what was written. */
export function exportOnnxModel(graph: Graph, weights: ExportWeights, options: ExportOptions = {}): OnnxExport {
  const opset = options.opset ?? EXPORT_OPSETS.default;
  if (!Number.isSafeInteger(opset) || opset < EXPORT_OPSETS.min || opset > EXPORT_OPSETS.max) {
    throw new OnnxExportError(`opset ${opset}: cnnscope writes opsets ${EXPORT_OPSETS.min} to ${EXPORT_OPSETS.max}`);
  }
  const writer = new Writer(graph, weights, opset);
  const { graph: graphFields, initializers } = writer.graph();
  const p = protos();
  const graphParts = [encoded(p.graph, graphFields), ...initializers.flatMap((t) => delimited(FIELD.graphInitializer, t))];
  const model = {
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'cnnscope',
    producer_version: VERSION,
    model_version: 1,
    doc_string: graph.description ?? '',
    metadata_props: [
      { key: 'name', value: graph.name },
      { key: 'source', value: options.source ?? graph.file },
      ...(graph.source !== undefined ? [{ key: 'reference', value: graph.source }] : []),
      { key: 'cnnscope_version', value: VERSION },
    ],
  };
  const parts = [encoded(p.model, model), ...delimited(FIELD.modelGraph, graphParts)];
  const size = parts.reduce((n, part) => n + part.length, 0);
  if (size > MAX_ONNX_BYTES) throw new OnnxExportError(tooLarge(size));
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return { bytes, opset, nodes: writer.nodes.length, initializers: initializers.length };
}

function tooLarge(bytes: number): string {
  return `the model would be ${(bytes / 2 ** 30).toFixed(2)} GiB, more than the 2 GiB one protobuf file holds (cnnscope does not write external data)`;
}

/** Builds the GraphProto: the values' names, the nodes in the layers' order, the initializers. */
class Writer {
  readonly nodes: Proto[] = [];
  /** Each initializer's TensorProto, as its parts: the fields protobufjs encodes, then the framed raw data. */
  private readonly initializers: Uint8Array[][] = [];
  private readonly initializerNames = new Set<string>();
  /** Every value name given, initializers included, so none is given twice. */
  private readonly used = new Set<string>();
  /** The value each node's output is, by node id. */
  private readonly values: string[] = [];
  private readonly written = new Set<string>();

  constructor(
    readonly source: Graph,
    private readonly weights: ExportWeights,
    readonly opset: number,
  ) {}

  /** The GraphProto's fields but its initializers, and the initializers' encoded TensorProtos (as parts). */
  graph(): { graph: Proto; initializers: Uint8Array[][] } {
    const g = this.source;
    this.writeInitializers();
    const outputNames = g.outputs.length === 1 ? ['output'] : g.outputs.map((_, i) => `output_${i}`);
    for (const name of ['input', ...outputNames]) this.used.add(name);
    this.written.add('input');
    this.values[0] = 'input';
    g.outputs.forEach((id, i) => (this.values[id] = outputNames[i]));
    for (const node of g.nodes.slice(1)) {
      this.values[node.id] ??= this.fresh(node.name);
      this.writeLayer(node);
    }
    const graph = {
      name: g.name,
      node: this.nodes,
      input: [valueInfo('input', g.inputShape)],
      output: g.outputs.map((id, i) => valueInfo(outputNames[i], g.nodes[id].outputShape)),
    };
    return { graph, initializers: this.initializers };
  }

  /** A value name not given yet: `base`, else `base_2`, `base_3`. */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  hasInitializer(name: string): boolean {
    return this.initializerNames.has(name);
  }

  add(name: string, op: string, inputs: readonly string[], attributes: OnnxAttrs, output: string): void {
    for (const i of inputs)
      if (i !== '' && !this.written.has(i)) throw new Error(`node '${name}' (${op}) reads '${i}', which no node writes`);
    this.written.add(output);
    this.nodes.push({
      name,
      op_type: op,
      domain: '',
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
  }

  addConstant(name: string, values: readonly number[], dtype: 'int64' | 'float', dims: readonly number[], output: string): void {
    this.written.add(output);
    const t = {
      dims: [...dims],
      data_type: dtype === 'int64' ? DTYPE.INT64 : DTYPE.FLOAT,
      raw_data: dtype === 'int64' ? int64Bytes(values) : floatBytes(Float32Array.from(values)),
    };
    this.nodes.push({
      name,
      op_type: 'Constant',
      domain: '',
      input: [],
      output: [output],
      attribute: [{ name: 'value', type: ATTRIBUTE_TYPE.tensor, t }],
    });
  }

  /** Every float tensor in state_dict order (layers in graph order, then each layer's tensors), checked against the layer's shape. */
  private writeInitializers(): void {
    const problems: string[] = [];
    let bytes = 0;
    for (const node of this.source.nodes) {
      for (const spec of node.tensors) {
        if (spec.dtype !== 'float') continue;
        const key = stateDictKey(node.name, spec.name);
        const data = this.weights.get(node.id)?.[spec.name];
        if (!data) {
          problems.push(`${key} [${spec.shape.join(', ')}] is missing`);
          continue;
        }
        if (data.length !== numel(spec.shape)) {
          problems.push(`${key} has ${data.length} values, the layer's tensor [${spec.shape.join(', ')}] has ${numel(spec.shape)}`);
          continue;
        }
        bytes += data.byteLength;
        // Before any copy: the weights alone tell a file too large for protobuf.
        if (bytes > MAX_ONNX_BYTES) throw new OnnxExportError(tooLarge(bytes));
        this.initializerNames.add(key);
        this.used.add(key);
        this.written.add(key);
        const head = encoded(protos().tensor, { name: key, dims: [...spec.shape], data_type: DTYPE.FLOAT });
        this.initializers.push([head, ...delimited(FIELD.tensorRawData, [floatBytes(data)])]);
      }
    }
    if (problems.length > 0) {
      const more = problems.length > 5 ? `, and ${problems.length - 5} more` : '';
      throw new OnnxExportError(`the weights do not fit the model '${this.source.name}': ${problems.slice(0, 5).join('; ')}${more}`);
    }
  }

  private writeLayer(node: LayerNode): void {
    const fail = (message: string): never => {
      throw new ModelError([{ file: this.source.file, pos: node.pos, message, layer: { name: node.name, kind: node.kind } }]);
    };
    if (!node.layer.onnx) fail('the kind has no ONNX form, so the model cannot be exported');
    const output = this.values[node.id];
    const emitter = new LayerEmitter(
      this,
      node,
      node.inputs.map((i) => this.values[i]),
      output,
    );
    try {
      node.layer.onnx!(emitter, node.args, node.inputShapes, node.outputShape);
    } catch (e) {
      if (e instanceof OnnxFormError) fail(`no ONNX form at opset ${this.opset}: ${e.message}`);
      throw e;
    }
    if (!this.written.has(output)) throw new Error(`the ONNX form of layer '${node.name}' (${node.kind}) does not write its output`);
  }
}

/** The emitter a kind's form writes one layer through (src/layers/onnx.ts says what each method does). */
class LayerEmitter implements OnnxEmitter {
  private named = false;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly writer: Writer,
    private readonly layer: LayerNode,
    readonly inputs: readonly string[],
    readonly output: string,
  ) {}

  get opset(): number {
    return this.writer.opset;
  }

  tensor(name: string): string {
    const key = stateDictKey(this.layer.name, name);
    if (!this.writer.hasInitializer(key)) throw new Error(`layer '${this.layer.name}' (${this.layer.kind}) has no float tensor '${name}'`);
    return key;
  }

  node(op: string, inputs: readonly string[], attributes: OnnxAttrs = {}, output?: string): string {
    const name = this.named ? this.suffixed(op) : this.layer.name;
    this.named = true;
    return this.write(name, op, inputs, attributes, output);
  }

  helper(op: string, inputs: readonly string[], attributes: OnnxAttrs = {}, output?: string): string {
    return this.write(this.suffixed(op), op, inputs, attributes, output);
  }

  constant(values: readonly number[], dtype: 'int64' | 'float' = 'int64', dims: readonly number[] = [values.length]): string {
    const name = this.suffixed('Constant');
    const out = this.writer.fresh(`${name}_output_0`);
    this.writer.addConstant(name, values, dtype, dims, out);
    return out;
  }

  private write(name: string, op: string, inputs: readonly string[], attributes: OnnxAttrs, output: string | undefined): string {
    const out = output ?? this.writer.fresh(`${name}_output_0`);
    this.writer.add(name, op, inputs, attributes, out);
    return out;
  }

  /** `<layer>/<Op>`, then `<layer>/<Op>_2`, ... */
  private suffixed(op: string): string {
    const n = (this.counts.get(op) ?? 0) + 1;
    this.counts.set(op, n);
    return `${this.layer.name}/${op}${n === 1 ? '' : `_${n}`}`;
  }
}

function attribute(name: string, a: OnnxAttr): Proto {
  switch (a.type) {
    case 'int':
      return { name, type: ATTRIBUTE_TYPE.int, i: a.value };
    case 'float':
      return { name, type: ATTRIBUTE_TYPE.float, f: a.value };
    case 'string':
      return { name, type: ATTRIBUTE_TYPE.string, s: Buffer.from(a.value, 'utf8') };
    case 'ints':
      return { name, type: ATTRIBUTE_TYPE.ints, ints: [...a.value] };
    case 'floats':
      return { name, type: ATTRIBUTE_TYPE.floats, floats: [...a.value] };
  }
}

/** A float tensor [batch, ...shape], the batch the symbol `batch`. */
function valueInfo(name: string, shape: Shape): Proto {
  const dim = [{ dim_param: 'batch' }, ...shape.map((d) => ({ dim_value: d }))];
  return { name, type: { tensor_type: { elem_type: DTYPE.FLOAT, shape: { dim } } } };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** raw_data is little-endian: the array's own bytes on a little-endian machine (not copied), swapped otherwise. */
function floatBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return out;
}
