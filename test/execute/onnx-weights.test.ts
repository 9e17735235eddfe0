/**
 * `cnnscope run` on ONNX files with the built-in engine: the weights of the file (its
 * initializers, through the front end's record of which fills which layer tensor) give torch's
 * own output (fixtures: test/fixtures/onnx/weighted/, scripts/onnx_weighted_fixtures.py); and, on
 * models written here, which initializer fills which tensor: MatMul and Gemm transB 0 transposed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { execute } from '../../src/execute/execute.js';
import { readNpy } from '../../src/execute/npy.js';
import { onnxWeights } from '../../src/execute/onnx-weights.js';
import { runOnnxRuntime } from '../../src/execute/onnxruntime.js';
import { buildOnnxGraph } from '../../src/onnx/index.js';
import { onnxModel, type ModelDef } from '../onnx/build.js';
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

describe('which initializer fills which tensor, and how', () => {
  // x [N, 3] · W + b by hand, W stored [3, 2] (MatMul, Gemm transB 0) or [2, 3] (Gemm transB 1).
  const w = [1, 2, 3, 4, 5, 6]; // [3, 2]: rows are input features
  const wT = [1, 3, 5, 2, 4, 6]; // [2, 3]: rows are outputs
  const b = [0.5, -0.5];
  const x = [1, -1, 2];
  const expected = [1 - 3 + 10 + 0.5, 2 - 4 + 12 - 0.5];
  const cases: [string, ModelDef][] = [
    [
      'MatMul + Add: the weight transposed',
      {
        input: ['batch', 3],
        nodes: [
          { op: 'MatMul', inputs: ['input', 'W'], outputs: ['m'], name: '/fc/MatMul' },
          { op: 'Add', inputs: ['m', 'B'], outputs: ['y'], name: '/fc/Add' },
        ],
        initializers: [
          { name: 'W', dims: [3, 2], float: w },
          { name: 'B', dims: [2], float: b },
        ],
      },
    ],
    [
      'Gemm transB 0: the weight transposed',
      {
        input: ['batch', 3],
        nodes: [{ op: 'Gemm', inputs: ['input', 'W', 'B'], outputs: ['y'], name: '/fc/Gemm' }],
        initializers: [
          { name: 'W', dims: [3, 2], float: w },
          { name: 'B', dims: [2], float: b },
        ],
      },
    ],
    [
      'Gemm transB 1: the weight as stored',
      {
        input: ['batch', 3],
        nodes: [{ op: 'Gemm', inputs: ['input', 'W', 'B'], outputs: ['y'], name: '/fc/Gemm', attrs: { transB: 1 } }],
        initializers: [
          { name: 'W', dims: [2, 3], float: wT },
          { name: 'B', dims: [2], float: b },
        ],
      },
    ],
  ];
  for (const [what, def] of cases) {
    it(what, async () => {
      const bytes = onnxModel(def);
      const converted = buildOnnxGraph(bytes, { file: 'fc.onnx' });
      const fc = converted.graph.nodes[1];
      expect(fc.kind).toBe('linear');
      expect(converted.weights[1].map((s) => [s.tensor, s.layout])).toEqual([
        ['weight', def.nodes[0].attrs?.['transB'] === 1 ? 'as-is' : 'transposed'],
        ['bias', 'as-is'],
      ]);
      const weights = onnxWeights(converted.graph, converted.weights, { file: 'fc.onnx' });
      expect([...weights.get(1)!['weight']]).toEqual(wT);
      const input = { shape: [1, 3], data: Float32Array.from(x) };
      const r = execute(converted.graph, { weights, input });
      expect([...r.outputs[0].tensor.data]).toEqual(expected);
      const ort = await runOnnxRuntime({ model: bytes, graph: converted.graph, names: converted, input, threads: 1, profile: false });
      expect([...ort.result.outputs[0].tensor.data]).toEqual(expected);
    });
  }

  it('refuses, in one line, a weight stored as external data whose file is not there', () => {
    const bytes = onnxModel({
      input: ['batch', 3],
      nodes: [{ op: 'Gemm', inputs: ['input', 'W'], outputs: ['y'], name: '/fc/Gemm', attrs: { transB: 1 } }],
      initializers: [{ name: 'W', dims: [2, 3] }],
    });
    const converted = buildOnnxGraph(bytes, { file: 'fc.onnx' });
    expect(() => onnxWeights(converted.graph, converted.weights, { file: 'fc.onnx', external: () => undefined })).toThrow(
      "fc.onnx: layer 'fc' (linear): weight 'W' is stored as external data in 'weights.data', which cannot be read beside the model",
    );
  });
});
