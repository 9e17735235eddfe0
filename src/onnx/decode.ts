/**
 * An ONNX file's bytes to the parts of its ModelProto the front end reads, decoded by protobufjs
 * with ONNX's published schema (onnx.proto, as descriptor.ts). int64 fields come out of protobufjs
 * as Long objects; they are made plain numbers here, refused past 2^53 (no tensor dimension
 * of a loadable model is that large).
 */
import protobuf from 'protobufjs';
import { ONNX_DESCRIPTOR } from './descriptor.js';
import { OnnxError } from './errors.js';

/** The largest file protobuf can encode: a message's length is a signed 32-bit integer. */
export const MAX_ONNX_BYTES = 2 ** 31 - 1;

/** TensorProto.DataType values the front end reads. */
export const DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  /** The values as stored inline, not yet read (raw_data or a typed field); absent when external. */
  readonly raw?: Uint8Array;
  readonly typed?: readonly number[];
  /** Where the values are when they are stored as external data. */
  readonly external?: { readonly location: string; readonly offset: number; readonly length: number | undefined };
}

export interface OnnxAttribute {
  readonly name: string;
  readonly type: number;
  readonly f: number;
  readonly i: number;
  readonly s: string;
  readonly t: OnnxTensor | undefined;
  readonly floats: readonly number[];
  readonly ints: readonly number[];
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

/** A graph input or output: its name and dimensions, a number or a symbolic name each. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dims: readonly (number | string)[] | undefined;
  readonly elemType: number;
}

export interface OnnxModel {
  readonly irVersion: number;
  /** The version of the default (ai.onnx) operator set. */
  readonly opset: number;
  readonly producer: string;
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

let modelType: protobuf.Type | undefined;

/** onnx.ModelProto, built from the descriptor once, on the first ONNX file. */
function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType('onnx.ModelProto');
  return modelType;
}

type Raw = Record<string, unknown>;

/** A protobuf integer (number or Long) as a number; past 2^53 it is refused. */
export function int(v: unknown, file: string, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return checkedSafe(Number(v), v, file, what);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const l = v as { low: number; high: number; unsigned: boolean };
    const big = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    const value = l.unsigned ? big : BigInt.asIntN(64, big);
    return checkedSafe(Number(value), value.toString(), file, what);
  }
  return 0;
}

/** A protobuf string field (its default '' when unset). */
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function checkedSafe(n: number, text: string, file: string, what: string): number {
  if (!Number.isSafeInteger(n)) throw new OnnxError(file, `${what} is ${text}, beyond what cnnscope counts exactly (2^53)`);
  return n;
}

export function decodeModel(bytes: Uint8Array, file: string): OnnxModel {
  if (bytes.length > MAX_ONNX_BYTES) {
    throw new OnnxError(
      file,
      'the file is larger than 2 GB, the most a protobuf message holds; an ONNX model that large keeps its weights as external data',
    );
  }
  let m: Raw;
  try {
    m = modelProto().decode(bytes);
  } catch (e) {
    throw new OnnxError(file, `not a valid ONNX model: the protobuf does not decode (${(e as Error).message})`);
  }
  const graph = m['graph'] as Raw | null | undefined;
  const irVersion = int(m['ir_version'], file, 'ir_version');
  if (!graph || irVersion === 0) throw new OnnxError(file, 'not a valid ONNX model: it has no ir_version or no graph');
  const opsets = (m['opset_import'] as Raw[]).filter((o) => !o['domain'] || o['domain'] === 'ai.onnx');
  const opset = opsets.length > 0 ? int(opsets[0]['version'], file, 'the opset version') : 1;
  const producer = [m['producer_name'], m['producer_version']].filter((s) => typeof s === 'string' && s !== '').join(' ');
  return {
    irVersion,
    opset,
    producer,
    graphName: str(graph['name']),
    nodes: (graph['node'] as Raw[]).map((n) => node(n, file)),
    initializers: (graph['initializer'] as Raw[]).map((t) => tensor(t, file)),
    inputs: (graph['input'] as Raw[]).map((v) => valueInfo(v, file)),
    outputs: (graph['output'] as Raw[]).map((v) => valueInfo(v, file)),
  };
}

function node(n: Raw, file: string): OnnxNode {
  const attributes = new Map<string, OnnxAttribute>();
  for (const a of n['attribute'] as Raw[]) {
    const name = String(a['name']);
    attributes.set(name, {
      name,
      type: Number(a['type'] ?? 0),
      f: shortestFloat32(Number(a['f'] ?? 0)),
      i: int(a['i'], file, `attribute '${name}'`),
      s: a['s'] instanceof Uint8Array ? Buffer.from(a['s']).toString('utf8') : '',
      t: a['t'] ? tensor(a['t'] as Raw, file) : undefined,
      floats: (a['floats'] as number[]).map((f) => shortestFloat32(Number(f))),
      ints: (a['ints'] as unknown[]).map((v) => int(v, file, `attribute '${name}'`)),
    });
  }
  return {
    name: str(n['name']),
    opType: str(n['op_type']),
    domain: str(n['domain']),
    inputs: (n['input'] as string[]).map(String),
    outputs: (n['output'] as string[]).map(String),
    attributes,
  };
}

/**
 * A float32 attribute as the shortest decimal that rounds to it: torch writes eps=1e-6 as the
 * float32 9.99999997e-7, which reads back as 1e-6, the value the model was written with.
 */
export function shortestFloat32(f: number): number {
  if (!Number.isFinite(f)) return f;
  for (let digits = 1; digits < 10; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === Math.fround(f)) return d;
  }
  return f;
}

function tensor(t: Raw, file: string): OnnxTensor {
  const name = str(t['name']);
  const dims = (t['dims'] as unknown[]).map((d) => int(d, file, `a dimension of tensor '${name}'`));
  const dataType = Number(t['data_type'] ?? 0);
  if (Number(t['data_location'] ?? 0) === 1) {
    const entries = new Map((t['external_data'] as Raw[]).map((e) => [String(e['key']), String(e['value'])]));
    const length = entries.get('length');
    return {
      name,
      dims,
      dataType,
      external: {
        location: entries.get('location') ?? '',
        offset: Number(entries.get('offset') ?? 0),
        length: length !== undefined ? Number(length) : undefined,
      },
    };
  }
  const raw = t['raw_data'];
  if (raw instanceof Uint8Array && raw.length > 0) return { name, dims, dataType, raw };
  const field =
    dataType === DTYPE.INT64
      ? 'int64_data'
      : dataType === DTYPE.DOUBLE
        ? 'double_data'
        : dataType === DTYPE.FLOAT
          ? 'float_data'
          : 'int32_data';
  const typed = (t[field] as unknown[] | undefined) ?? [];
  return { name, dims, dataType, typed: typed.map((v) => (typeof v === 'number' ? v : int(v, file, `a value of tensor '${name}'`))) };
}

function valueInfo(v: Raw, file: string): OnnxValueInfo {
  const name = str(v['name']);
  const tt = ((v['type'] as Raw | null)?.['tensor_type'] as Raw | null) ?? undefined;
  const shape = tt?.['shape'] as Raw | null | undefined;
  const dims = shape
    ? (shape['dim'] as Raw[]).map((d) =>
        // Unset fields read their defaults from the prototype: only own ones are in the file.
        Object.hasOwn(d, 'dim_value')
          ? int(d['dim_value'], file, `a dimension of '${name}'`)
          : Object.hasOwn(d, 'dim_param') && d['dim_param'] !== ''
            ? String(d['dim_param'])
            : '?',
      )
    : undefined;
  return { name, dims, elemType: Number(tt?.['elem_type'] ?? 0) };
}

/**
 * The values of a tensor as numbers (int64 beyond 2^53 refused), from its inline data or, when
 * stored as external data, from the bytes `external` gives; undefined when those are not at hand.
 */
export function tensorValues(t: OnnxTensor, file: string, external?: (t: OnnxTensor) => Uint8Array | undefined): number[] | undefined {
  if (t.typed) return [...t.typed];
  const raw = t.raw ?? (t.external ? external?.(t) : undefined);
  if (!raw) return t.external ? undefined : [];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = [];
  const size = {
    [DTYPE.FLOAT]: 4,
    [DTYPE.DOUBLE]: 8,
    [DTYPE.INT64]: 8,
    [DTYPE.INT32]: 4,
    [DTYPE.UINT8]: 1,
    [DTYPE.INT8]: 1,
    [DTYPE.BOOL]: 1,
  }[t.dataType];
  if (size === undefined) throw new OnnxError(file, `tensor '${t.name}' has data type ${t.dataType}, whose values cnnscope does not read`);
  for (let o = 0; o + size <= raw.byteLength; o += size) {
    switch (t.dataType) {
      case DTYPE.FLOAT:
        out.push(view.getFloat32(o, true));
        break;
      case DTYPE.DOUBLE:
        out.push(view.getFloat64(o, true));
        break;
      case DTYPE.INT64: {
        const v = view.getBigInt64(o, true);
        out.push(checkedSafe(Number(v), v.toString(), file, `a value of tensor '${t.name}'`));
        break;
      }
      case DTYPE.INT32:
        out.push(view.getInt32(o, true));
        break;
      case DTYPE.INT8:
        out.push(view.getInt8(o));
        break;
      default:
        out.push(view.getUint8(o));
    }
  }
  return out;
}
