/**
 * A problem with an ONNX file: a ModelError with one diagnostic at no line (a binary file has
 * none), so the CLI prints it as `file.onnx: error: ...` and exits 2, like any invalid model.
 */
import { ModelError } from '../graph/diagnostics.js';

export class OnnxError extends ModelError {
  constructor(file: string, message: string) {
    super([{ file, pos: { line: 0, col: 0 }, message }]);
    this.name = 'OnnxError';
  }
}
