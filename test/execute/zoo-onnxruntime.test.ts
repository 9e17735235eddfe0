/**
 * The built-in engine against ONNX Runtime on the zoo and on generated graphs: each model at a
 * small input, with the reference fixtures' seeded weights (syntheticWeights: He-uniform, which
 * keeps the signal's scale through a deep network, where PyTorch's default initialization shrinks
 * it until a classifier's output is its bias), run by the built-in engine and by ORT on its ONNX
 * export (the file `cnnscope export` writes), agrees within 1e-4 relative (max |a - b| over max
 * |b|, docs/onnx.md#engines). The export read back by the ONNX front end and run by the built-in
 * engine with the file's own weights gives the same output too.
 *
 * `npm test` runs a model of each family (the forms each exports differ); CNNSCOPE_ORT_ALL=1 runs
 * every bundled model (minutes). regnet_y_128gf is over the 2 GB one ONNX file holds: skipped.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/bundled.js';
import { execute } from '../../src/execute/execute.js';
import { onnxWeights } from '../../src/execute/onnx-weights.js';
import { onnxForYamlModel, runOnnxRuntime } from '../../src/execute/onnxruntime.js';
import { fillNormal, stream } from '../../src/execute/random.js';
import { initWeights, syntheticWeights, type GraphWeights } from '../../src/execute/weights.js';
import { buildModel } from '../../src/graph/build.js';
import type { Graph } from '../../src/graph/graph.js';
import type { Tensor } from '../../src/kernels/tensor.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { buildOnnxGraph } from '../../src/onnx/index.js';
import { generatedModel } from '../fuzz/models.js';

const ALL = process.env['CNNSCOPE_ORT_ALL'] === '1';
const TOLERANCE = 1e-4;

/** A model of each family, and every kind the zoo uses among them. */
const REPRESENTATIVE = [
  'lecture/bottleneck',
  'alexnet',
  'googlenet',
  'inception_v3',
  'resnet18',
  'resnext50_32x4d',
  'densenet121',
  'squeezenet1_1',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'mnasnet0_5',
  'shufflenet_v2_x0_5',
  'efficientnet_b0',
  'efficientnet_v2_s',
  'regnet_x_400mf',
  'regnet_y_400mf',
  'convnext_tiny',
  'unet',
];
/**
 * Chaotic under the He-uniform weights: a 1e-6 relative change of the weights changes
 * EfficientNetV2-S's output by half (measured), so two correct engines' float32 roundings differ
 * as much; the deepest EfficientNets too (B6 1.3e-4, B7 0.53 between the engines). These run with
 * PyTorch's default initialization, under which they are stable but their signal fades on the way
 * down, so for B6, B7 and V2-M/L the output is mostly the classifier's bias: a weak check there.
 */
const CHAOTIC = new Set(['efficientnet_b6', 'efficientnet_b7', 'efficientnet_v2_s', 'efficientnet_v2_m', 'efficientnet_v2_l']);
/** Over the 2 GB one ONNX file holds (no external data is written). */
const TOO_LARGE = new Set(['regnet_y_128gf']);

/** The sides tried, smallest first: the first at which the model builds and exports (an adaptive pool must divide its input). */
const SIDES = [32, 64, 96, 128, 160, 224, 299];

function smallGraph(path: string, preset: string | undefined): Graph {
  const text = readFileSync(path, 'utf8');
  const base = buildModel(text, { file: path, ...(preset ? { preset } : {}) }).graph;
  if (base.inputShape.length !== 3) return base;
  for (const side of SIDES) {
    if (side >= base.inputShape[1]) return base;
    try {
      const graph = buildModel(text, { file: path, input: [base.inputShape[0], side, side], ...(preset ? { preset } : {}) }).graph;
      if (hasOnnxForm(graph)) return graph;
    } catch {
      // Too small for this network's pooling: the next side.
    }
  }
  return base;
}

/** Whether every layer has its ONNX form at this input (checked on the layers, without writing weights). */
function hasOnnxForm(graph: Graph): boolean {
  try {
    exportOnnx(graph, initWeights(graph, 0), {});
    return true;
  } catch (e) {
    return !/no ONNX form/.test((e as Error).message);
  }
}

/** max |a - b| over max |b|, with no floor: the outputs must hold values (not all zeros). */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  expect(scale, 'the outputs are all zero').toBeGreaterThan(1e-30);
  return Number.isNaN(diff) ? Infinity : diff / scale;
}

function seededInput(graph: Graph, batch: number, seed: number): Tensor {
  const data = new Float32Array(batch * graph.inputShape.reduce((a, b) => a * b, 1));
  fillNormal(data, stream(seed, 'input'));
  return { shape: [batch, ...graph.inputShape], data };
}

/** Runs both engines on the model and returns the worst relative error over its outputs. */
async function agreement(graph: Graph, weights: GraphWeights, input: Tensor): Promise<{ ort: number; imported: number }> {
  const ours = execute(graph, { weights, input });
  const { model, names } = await onnxForYamlModel(graph, weights);
  const ort = await runOnnxRuntime({ model, graph, names, input, threads: 1, profile: false });
  expect(ort.result.outputs.map((o) => o.tensor.shape)).toEqual(ours.outputs.map((o) => o.tensor.shape));
  const ortError = Math.max(...ours.outputs.map((o, i) => relativeError(o.tensor.data, ort.result.outputs[i].tensor.data)));
  // The export read back, with the file's own weights, in the built-in engine: the same numbers.
  const converted = buildOnnxGraph(model, { file: `${graph.name}.onnx` });
  const imported = execute(converted.graph, { weights: onnxWeights(converted.graph, converted.weights, { file: 'export' }), input });
  const importedError = relativeError(imported.outputs[0].tensor.data, ours.outputs[0].tensor.data);
  return { ort: ortError, imported: importedError };
}

describe('built-in engine = onnxruntime on every bundled model (seeded weights, small input)', () => {
  const models = bundledModels().filter((m) => ALL || REPRESENTATIVE.includes(m.name));
  for (const m of models) {
    it.skipIf(TOO_LARGE.has(m.name))(m.name, { timeout: ALL ? 600_000 : 120_000 }, async () => {
      const graph = smallGraph(m.path, m.preset);
      const weights = (CHAOTIC.has(m.name) ? initWeights : syntheticWeights)(graph, 1);
      const { ort, imported } = await agreement(graph, weights, seededInput(graph, 1, 2));
      if (process.env['CNNSCOPE_ORT_TABLE']) console.log(JSON.stringify({ model: m.name, input: graph.inputShape, ort, imported }));
      expect(ort).toBeLessThan(TOLERANCE);
      expect(imported).toBeLessThan(TOLERANCE);
    });
  }
});

describe('built-in engine = onnxruntime on generated graphs', () => {
  it('agrees on 30 generated models (every kind, blocks, residuals, branches), batch 2', { timeout: 120_000 }, async () => {
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(generatedModel, fc.integer({ min: 0, max: 1000 }), async (m, seed) => {
        let graph: Graph;
        try {
          graph = buildModel(m.text, { file: 'generated.yaml' }).graph;
        } catch {
          return; // the few generated files that do not build are the fuzzer's, not this test's
        }
        let bytes: Uint8Array;
        try {
          bytes = exportOnnx(graph, syntheticWeights(graph, seed), {});
        } catch {
          return; // a form ONNX has no operator for (docs/onnx.md#export): refused in one line, tested there
        }
        expect(bytes.length).toBeGreaterThan(0);
        const { ort, imported } = await agreement(graph, syntheticWeights(graph, seed), seededInput(graph, 2, seed + 1));
        expect(ort).toBeLessThan(TOLERANCE);
        expect(imported).toBeLessThan(TOLERANCE);
        ran++;
      }),
      { seed: 12, numRuns: 30 },
    );
    // Most generated models run: the property is not vacuous.
    expect(ran).toBeGreaterThanOrEqual(20);
  });
});
