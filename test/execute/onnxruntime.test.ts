/**
 * The built-in engine against ONNX Runtime (onnxruntime-node, a dev dependency here): every
 * weighted ONNX fixture (test/fixtures/onnx/weighted/, scripts/onnx_weighted_fixtures.py)
 * imported and run by the built-in engine gives ORT's output on the same file within 1e-4
 * relative (max |a - b| over max |b|, docs/onnx.md#engines); and `run --engine onnxruntime`
 * through the CLI: the report, the profile, the one-line errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { execute } from '../../src/execute/execute.js';
import { readNpy } from '../../src/execute/npy.js';
import { onnxWeights } from '../../src/execute/onnx-weights.js';
import { ONNXRUNTIME_MISSING, runOnnxRuntime } from '../../src/execute/onnxruntime.js';
import { buildOnnxGraph } from '../../src/onnx/index.js';
import { cli } from '../cli/run.js';
import { relativeError } from '../../src/kernels/tensor.js';

const DIR = new URL('../fixtures/onnx/weighted/', import.meta.url);
const fixture = (name: string) => fileURLToPath(new URL(name, DIR));
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.onnx'))
  .sort();
const netOf = (file: string) => file.replace(/_opset\d+\.onnx$/, '');
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('built-in engine = onnxruntime on the same ONNX file', () => {
  for (const file of files) {
    it(file, async () => {
      const path = fixture(file);
      const converted = buildOnnxGraph(readFileSync(path), { file });
      const input = readNpy(fixture(`${netOf(file)}.input.npy`));
      const ours = execute(converted.graph, { weights: onnxWeights(converted.graph, converted.weights, { file }), input });
      const ort = await runOnnxRuntime({ model: path, graph: converted.graph, names: converted, input, threads: 1, profile: false });
      expect(ort.result.outputs.map((o) => o.tensor.shape)).toEqual(ours.outputs.map((o) => o.tensor.shape));
      ours.outputs.forEach((o, i) => expect(relativeError(o.tensor.data, ort.result.outputs[i].tensor.data)).toBeLessThan(1e-4));
      // And ORT on the file is torch: the fixture's own output.
      const torch = readNpy(fixture(`${netOf(file)}.output.npy`));
      expect(relativeError(ort.result.outputs[0].tensor.data, torch.data)).toBeLessThan(1e-4);
    });
  }
});

describe('cnnscope run --engine onnxruntime', () => {
  const mnasnet = fixture('mnasnet0_5_opset13.onnx');
  const mnasnetInput = fixture('mnasnet0_5.input.npy');
  // No folded BatchNorm, so no note on stderr beside the error.
  const lrn = fixture('lrn_opset13.onnx');

  it('prints the same report as the built-in engine, with the engine and the session time', async () => {
    const r = await cli(['run', mnasnet, '--engine', 'onnxruntime', '--input', mnasnetInput, '--top', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Weights: ${mnasnet} (its initializers)`);
    expect(r.stdout).toContain('Output: classifier.1 [2, 10]');
    expect(r.stdout).toMatch(/Engine: onnxruntime 1\.30\.0 \(session created in [\d.]+ (ms|s)\)/);
    expect(r.stdout).toMatch(/MACs: 16,870,656 \(16\.9 MMAC\), the static count \(onnxruntime counts none\)/);
    const builtin = await cli(['run', mnasnet, '--input', mnasnetInput, '--top', '3']);
    expect(builtin.code).toBe(0);
    expect(builtin.stdout).not.toContain('Engine:');
    // The top 3 agree (the indices; the values to rounding).
    const indices = (text: string) => [...text.matchAll(/index +(\d+)/g)].map((m) => m[1]);
    expect(indices(r.stdout)).toEqual(indices(builtin.stdout));
  });

  it('prints the JSON object with the engine, and profiles per layer with ORT', async () => {
    const r = await cli(['run', mnasnet, '--engine', 'onnxruntime', '--threads', '2', '--profile', '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(Object.keys(rep)).toEqual([
      'schema',
      'model',
      'input',
      'weights',
      'threads',
      'engine',
      'onnxruntime',
      'outputs',
      'macs',
      'time_ms',
      'profile',
      'profile_total_ms',
    ]);
    expect(rep.engine).toBe('onnxruntime');
    expect(rep.threads).toBe(2);
    expect(rep.onnxruntime.version).toBe('1.30.0');
    expect(rep.macs).toEqual({ executed: 8435328, static: 8435328 });
    const rows = rep.profile as { name: string; kind: string; macs: number }[];
    // ORT's kernels meet the graph's layers: the first conv, the classifier, and the convolutions fused with their ReLU.
    const names = new Set(rows.map((p) => p.name));
    expect(names.has('layers.0')).toBe(true);
    expect(names.has('classifier.1')).toBe(true);
    const convs = rows.filter((p) => p.kind === 'conv');
    expect(convs.length).toBeGreaterThan(40);
    expect(convs.reduce((n, p) => n + p.macs, 0)).toBeGreaterThan(0.95 * rep.macs.static);
    expect(rows.every((p) => p.kind !== 'relu' || p.macs === 0)).toBe(true);
  });

  it('writes the output with --save, as the built-in engine does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnscope-ort-'));
    const a = join(dir, 'ort.npy');
    const b = join(dir, 'builtin.npy');
    const input = fixture('upsample.input.npy');
    const model = fixture('upsample_opset13.onnx');
    expect((await cli(['run', model, '--engine', 'onnxruntime', '--input', input, '--save', a])).code).toBe(0);
    expect((await cli(['run', model, '--input', input, '--save', b])).code).toBe(0);
    const x = readNpy(a);
    const y = readNpy(b);
    expect(x.shape).toEqual([2, 4, 64, 64]);
    expect(relativeError(y.data, x.data)).toBeLessThan(1e-4);
  });

  it('refuses --weights with an ONNX file and an unknown engine, in one line', async () => {
    const w = await cli(['run', lrn, '--engine', 'onnxruntime', '--weights', 'w.safetensors']);
    expect(w.code).toBe(2);
    expect(w.stderr).toBe(
      `cnnscope: error: --weights: --engine onnxruntime runs the weights inside ${lrn}; use the built-in engine to replace them\n`,
    );
    const e = await cli(['run', 'resnet18', '--engine', 'tvm']);
    expect(e.code).toBe(2);
    expect(e.stderr).toBe('cnnscope: error: --engine tvm: expected builtin or onnxruntime\n');
  });

  it('refuses an ONNX file whose external data is not beside it, in one line, in either engine', async () => {
    const weightless = fileURLToPath(new URL('../fixtures/onnx/alexnet_opset13.onnx', import.meta.url));
    const b = await cli(['run', weightless]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(
      /^cnnscope: error: .*alexnet_opset13\.onnx: layer 'features\.0' \(conv\): weight 'features\.0\.weight' is stored as external data in 'alexnet_opset13\.onnx\.data', which cannot be read beside the model\n$/,
    );
    const o = await cli(['run', weightless, '--engine', 'onnxruntime']);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/^cnnscope: error: onnxruntime cannot load the model: .*external data.*\n$/i);
  });

  it('says in one line how to install onnxruntime-node when it is missing (exit 2), and a YAML run never loads it', () => {
    // A resolve hook that makes onnxruntime-node (and protobufjs, for the YAML run) not found.
    const hook = `data:text/javascript,export async function resolve(s, c, next) { if (s === 'onnxruntime-node' || (process.env.HIDE_PROTOBUF && s === 'protobufjs')) { const e = new Error('Cannot find package ' + s); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }`;
    const register = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(hook)});`;
    const node = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', register, join(ROOT, 'bin/cnnscope.js'), ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const missing = node(['run', lrn, '--engine', 'onnxruntime']);
    expect(missing.stderr).toBe(`cnnscope: error: ${ONNXRUNTIME_MISSING}\n`);
    expect(missing.status).toBe(2);
    const yaml = node(['run', 'resnet18', '--input-shape', '3,32,32', '--json'], { HIDE_PROTOBUF: '1' });
    expect(yaml.stderr).toBe('');
    expect(yaml.status).toBe(0);
    expect(JSON.parse(yaml.stdout).engine).toBe('builtin');
  });
});

describe('cnnscope run on an ONNX file with --weights (built-in engine)', () => {
  it("replaces the file's weights with a safetensors file keyed by the layer names", async () => {
    const { encodeSafetensors } = await import('../../src/execute/safetensors.js');
    const { stateDictKey } = await import('../../src/execute/weights.js');
    const { writeFileSync } = await import('node:fs');
    const file = 'squeeze_excite_opset13.onnx';
    const converted = buildOnnxGraph(readFileSync(fixture(file)), { file });
    const weights = onnxWeights(converted.graph, converted.weights, { file });
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const node of converted.graph.nodes)
      for (const spec of node.tensors) {
        // Every weight halved: the output differs from the file's.
        const data = weights.get(node.id)![spec.name].map((v) => v / 2);
        tensors[stateDictKey(node.name, spec.name)] = { dtype: 'F32', shape: [...spec.shape], data };
      }
    const dir = mkdtempSync(join(tmpdir(), 'cnnscope-ort-w-'));
    writeFileSync(join(dir, 'w.safetensors'), encodeSafetensors(tensors));
    const input = fixture('squeeze_excite.input.npy');
    const own = await cli(['run', fixture(file), '--input', input, '--save', join(dir, 'own.npy')]);
    const replaced = await cli([
      'run',
      fixture(file),
      '--input',
      input,
      '--weights',
      join(dir, 'w.safetensors'),
      '--save',
      join(dir, 'w.npy'),
    ]);
    expect(own.code).toBe(0);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain(`Weights: ${join(dir, 'w.safetensors')}`);
    expect(relativeError(readNpy(join(dir, 'w.npy')).data, readNpy(join(dir, 'own.npy')).data)).toBeGreaterThan(0.01);
  });
});
