/** Small ONNX models written in the tests with protobufjs, from the same descriptor the front end reads. */
import protobuf from 'protobufjs';
import { ONNX_DESCRIPTOR } from '../../src/onnx/descriptor.js';

const ModelProto = protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType('onnx.ModelProto');

export type AttrValue = number | string | number[] | { floats: number[] } | { tensor: TensorDef };

export interface NodeDef {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly attrs?: Readonly<Record<string, AttrValue>>;
  readonly domain?: string;
}

export interface TensorDef {
  readonly name?: string;
  readonly dims: readonly number[];
  /** int64 values (shape constants) or float32 values; absent: the tensor is external (dims only). */
  readonly int64?: readonly number[];
  readonly float?: readonly number[];
}

export interface ModelDef {
  readonly input?: readonly (number | string)[];
  readonly nodes: readonly NodeDef[];
  readonly initializers?: readonly TensorDef[];
  readonly outputs?: readonly string[];
  readonly opset?: number;
}

function tensor(t: TensorDef): Record<string, unknown> {
  if (t.int64) return { name: t.name ?? '', dims: t.dims, data_type: 7, int64_data: t.int64 };
  if (t.float) return { name: t.name ?? '', dims: t.dims, data_type: 1, float_data: t.float };
  return {
    name: t.name ?? '',
    dims: t.dims,
    data_type: 1,
    data_location: 1,
    external_data: [
      { key: 'location', value: 'weights.data' },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(4 * t.dims.reduce((p, d) => p * d, 1)) },
    ],
  };
}

function attribute(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'number')
    return Number.isInteger(v) && !name.match(/alpha|beta|epsilon|momentum|ratio|bias|value/)
      ? { name, type: 2, i: v }
      : { name, type: 1, f: v };
  if (typeof v === 'string') return { name, type: 3, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  return { name, type: 4, t: tensor(v.tensor) };
}

/** The bytes of a model of one float input `input` [batch, ...] and the given nodes; the last node's first output is the graph's. */
export function onnxModel(def: ModelDef): Uint8Array {
  const dims = (def.input ?? ['batch', 3, 8, 8]).map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  const outputs = def.outputs ?? [def.nodes[def.nodes.length - 1].outputs[0]];
  const msg = ModelProto.fromObject({
    ir_version: 8,
    producer_name: 'test',
    opset_import: [{ domain: '', version: def.opset ?? 17 }],
    graph: {
      name: 'g',
      node: def.nodes.map((n, i) => ({
        name: n.name ?? `/m${i}/${n.op}`,
        op_type: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (def.initializers ?? []).map(tensor),
      input: [{ name: 'input', type: { tensor_type: { elem_type: 1, shape: { dim: dims } } } }],
      output: outputs.map((name) => ({ name, type: { tensor_type: { elem_type: 1 } } })),
    },
  });
  return ModelProto.encode(msg).finish();
}
