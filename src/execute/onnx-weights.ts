/**
 * The weights of an ONNX file for execute mode: each layer's tensors filled from the initializers
 * the front end recorded for it (src/onnx/, Converted.weights): as stored, reshaped (the same
 * values in another shape), or transposed (a MatMul's or a Gemm's [F, out] matrix for the
 * [out, F] weight of nn.Linear). An exporter's folded BatchNorm is simply the convolutions' bias.
 */
import type { Graph } from '../graph/graph.js';
import type { LayerWeights } from '../layers/kind.js';
import { numel } from '../kernels/tensor.js';
import { DTYPE, tensorValues, type OnnxTensor } from '../onnx/decode.js';
import type { WeightSource } from '../onnx/values.js';
import { plainAllocator, type Allocator } from './context.js';
import { WeightsError, type GraphWeights } from './weights.js';

export interface OnnxWeightsOptions {
  /** The file's name, for messages. */
  readonly file: string;
  /** The bytes of an initializer stored as external data (beside the file), or undefined when they cannot be read. */
  readonly external?: (t: OnnxTensor) => Uint8Array | undefined;
  readonly allocate?: Allocator;
}

/**
 * Every float tensor of `graph` (the ONNX front end's graph) from the file's constants, by
 * `sources` (Converted.weights, indexed by node id). Throws WeightsError, one line, when a tensor
 * has no source, an external initializer cannot be read, or a data type is not a float.
 */
export function onnxWeights(graph: Graph, sources: readonly (readonly WeightSource[])[], options: OnnxWeightsOptions): GraphWeights {
  const allocate = options.allocate ?? plainAllocator;
  const weights = new Map<number, LayerWeights>();
  for (const node of graph.nodes) {
    const bySpec = new Map((sources[node.id] ?? []).map((s) => [s.tensor, s]));
    const layer: Record<string, Float32Array> = {};
    for (const spec of node.tensors) {
      if (spec.dtype !== 'float') continue;
      const source = bySpec.get(spec.name);
      const where = `layer '${node.name}' (${node.kind})`;
      if (!source) throw new WeightsError(`${options.file}: ${where}: the file holds no values for its tensor '${spec.name}'`);
      const out = allocate(numel(spec.shape));
      readSource(source, out, where, options);
      layer[spec.name] = out;
    }
    if (node.tensors.length > 0) weights.set(node.id, layer);
  }
  return weights;
}

function readSource(source: WeightSource, out: Float32Array, where: string, options: OnnxWeightsOptions): void {
  const values = source.initializer ? floats(source.initializer, where, options) : Float32Array.from(source.values as number[]);
  if (values.length !== out.length) {
    throw new WeightsError(
      `${options.file}: ${where}: '${source.initializer?.name ?? ''}' holds ${values.length} values, its tensor '${source.tensor}' ${out.length}`,
    );
  }
  if (source.layout !== 'transposed') {
    out.set(values);
    return;
  }
  // Stored [rows, cols]; the tensor is [cols, rows].
  const [rows, cols] = source.dims;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
}

/** An initializer's values as float32: FLOAT read straight from its bytes, FLOAT16 and DOUBLE converted. */
function floats(t: OnnxTensor, where: string, options: OnnxWeightsOptions): Float32Array {
  let raw = t.raw;
  if (!raw && t.external) {
    raw = options.external?.(t);
    if (!raw) {
      throw new WeightsError(
        `${options.file}: ${where}: weight '${t.name}' is stored as external data in '${t.external.location}', which cannot be read beside the model`,
      );
    }
  }
  if (t.dataType === DTYPE.FLOAT && raw) {
    // A copy: the bytes of a protobuf field need not be 4-aligned.
    const copy = new Uint8Array(raw.byteLength - (raw.byteLength % 4));
    copy.set(raw.subarray(0, copy.length));
    return new Float32Array(copy.buffer);
  }
  if (t.dataType === DTYPE.FLOAT16) return float16(raw ?? new Uint8Array(Uint16Array.from(t.typed ?? []).buffer));
  if (t.dataType === DTYPE.FLOAT || t.dataType === DTYPE.DOUBLE) {
    return Float32Array.from(tensorValues(t, options.file, () => raw) ?? []);
  }
  throw new WeightsError(
    `${options.file}: ${where}: weight '${t.name}' has ONNX data type ${t.dataType}, not a float type execute mode reads`,
  );
}

/** IEEE half-precision values (little-endian) as float32. */
function float16(raw: Uint8Array): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(raw.byteLength >> 1);
  for (let i = 0; i < out.length; i++) {
    const h = view.getUint16(2 * i, true);
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}
