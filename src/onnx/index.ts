/**
 * The ONNX front end (docs/onnx.md): an ONNX file's bytes to the same graph IR the YAML front end
 * builds, so every analysis, renderer and budget works on it unchanged. Loaded on demand (the CLI
 * and the library import it dynamically), so a YAML-only run never loads protobufjs.
 */
import type { Shape } from '../layers/kind.js';
import { convert, SUPPORTED_OPS, type Converted } from './convert.js';
import { decodeModel, MAX_ONNX_BYTES, type OnnxTensor } from './decode.js';
import { OnnxError } from './errors.js';

export { SUPPORTED_OPS, MAX_ONNX_BYTES, OnnxError };
export {
  exportOnnx,
  exportOnnxModel,
  EXPORT_OPSETS,
  OnnxExportError,
  type ExportOptions,
  type ExportWeights,
  type OnnxExport,
} from './export.js';
export type { OnnxTensor };

export interface OnnxBuildOptions {
  /** Name shown in errors: the path as the user gave it. */
  readonly file: string;
  /** `--input`: the per-sample input shape (needed when the file's is symbolic beyond the batch). */
  readonly input?: Shape;
  /**
   * The bytes of an initializer stored as external data, when the front end needs its values (a
   * shape constant, which exporters keep inline anyway). Weights are never read: their shapes suffice.
   */
  readonly external?: (t: OnnxTensor) => Uint8Array | undefined;
}

/** The graph of an ONNX model, and the notes the report should carry. Throws OnnxError (a ModelError), one line. */
export function buildOnnxGraph(bytes: Uint8Array, options: OnnxBuildOptions): Converted {
  const model = decodeModel(bytes, options.file);
  return convert(model, options);
}

/** Whether a model argument names an ONNX file: by its extension, as `.yaml` names a YAML one. */
export function isOnnxPath(path: string): boolean {
  return /\.onnx$/i.test(path);
}
