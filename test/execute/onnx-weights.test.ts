/**
 * `cnnscope run` on ONNX files with the built-in engine: the weights of the file (its
 * initializers, through the front end's record of which fills which layer tensor) give torch's
 * own output. Fixtures: test/fixtures/onnx/weighted/ (scripts/onnx_weighted_fixtures.py).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { execute } from '../../src/execute/execute.js';
import { readNpy } from '../../src/execute/npy.js';
import { onnxWeights } from '../../src/execute/onnx-weights.js';
import { buildOnnxGraph } from '../../src/onnx/index.js';
import { relativeError } from '../../src/kernels/tensor.js';

const DIR = new URL('../fixtures/onnx/weighted/', import.meta.url);
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.onnx'))
  .sort();

describe('built-in engine on weighted ONNX files = torch', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThan(10));
  for (const file of files) {
    it(file, () => {
      const net = file.replace(/_opset\d+\.onnx$/, '');
      const bytes = readFileSync(new URL(file, DIR));
      const converted = buildOnnxGraph(bytes, { file });
      const weights = onnxWeights(converted.graph, converted.weights, { file });
      const input = readNpy(new URL(`${net}.input.npy`, DIR).pathname);
      const expected = readNpy(new URL(`${net}.output.npy`, DIR).pathname);
      const r = execute(converted.graph, { weights, input });
      expect(r.outputs[0].tensor.shape).toEqual(expected.shape);
      expect(relativeError(r.outputs[0].tensor.data, expected.data)).toBeLessThan(1e-4);
    });
  }
});
