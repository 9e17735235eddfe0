/** `cnnscope export`: the command, its one-line summary, its errors (exit 2), and the file read back by `analyze`. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, initWeights, loadBundled, weightSlots } from '../../src/index.js';
import { decodeModel, tensorValues } from '../../src/onnx/decode.js';
import { cli } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnscope-export-'));

describe('cnnscope export', () => {
  it('writes the model, says what it wrote, and analyze reads back its figures', async () => {
    const out = join(dir, 'bottleneck.onnx');
    const r = await cli(['export', 'lecture/bottleneck', '--onnx', out, '--opset', '13']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      new RegExp(
        `^${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 273 KiB, ONNX opset 13, 5 nodes, 3 initializers \\(PyTorch default init, seed 0\\)\\n$`,
      ),
    );
    const [yaml, onnx] = await Promise.all([cli(['analyze', 'lecture/bottleneck', '--json']), cli(['analyze', out, '--json'])]);
    const [a, b] = [JSON.parse(yaml.stdout), JSON.parse(onnx.stdout)];
    for (const k of ['params', 'macs', 'flops', 'activation_bytes']) expect(b.totals[k], k).toBe(a.totals[k]);
    expect(b.layers.map((l: { name: string }) => l.name)).toEqual(a.layers.map((l: { name: string }) => l.name));
  });

  it('writes the weights given with --weights, or seeded by --seed', async () => {
    const graph = loadBundled('lecture/bottleneck');
    const weights = initWeights(graph, 42);
    const tensors = weightSlots(graph).map((s) => ({ key: s.key, shape: s.spec.shape, data: weights.get(s.node.id)![s.spec.name] }));
    const file = join(dir, 'w.safetensors');
    writeFileSync(file, encodeSafetensors(Object.fromEntries(tensors.map((t) => [t.key, { dtype: 'F32', shape: t.shape, data: t.data }]))));
    const [given, seeded] = [join(dir, 'given.onnx'), join(dir, 'seeded.onnx')];
    expect((await cli(['export', 'lecture/bottleneck', '-w', file, '--onnx', given])).stdout).toMatch(
      /\(weights from .*w\.safetensors\)\n$/,
    );
    expect((await cli(['export', 'lecture/bottleneck', '--seed', '42', '--onnx', seeded])).code).toBe(0);
    const read = (path: string) => decodeModel(readFileSync(path), path).initializers.map((t) => Float32Array.from(tensorValues(t, path)!));
    expect(read(given)).toEqual(tensors.map((t) => t.data));
    expect(Buffer.from(readFileSync(seeded)).equals(readFileSync(given))).toBe(true);
  });

  it('takes --input-shape, --set and --preset as analyze does', async () => {
    const out = join(dir, 'small.onnx');
    const r = await cli(['export', 'shufflenet_v2', '-p', 'shufflenet_v2_x0_5', '-s', 'classes=10', '-i', '3,64,64', '--onnx', out]);
    expect(r.code, r.stderr).toBe(0);
    const m = decodeModel(readFileSync(out), out);
    expect(m.inputs[0].dims).toEqual(['batch', 3, 64, 64]);
    expect(m.outputs[0].dims).toEqual(['batch', 10]);
  });

  it('refuses, in one line with exit 2: a bad opset, an unwritable path, weights that do not fit, a layer with no form', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['export', 'lecture/bottleneck', '--onnx', join(dir, 'x.onnx'), '--opset', '19'],
        /^cnnscope: error: --opset 19: expected an integer from 13 to 18\n$/,
      ],
      [
        ['export', 'lecture/bottleneck', '--onnx', join(dir, 'x.onnx'), '--opset', '12'],
        /^cnnscope: error: --opset 12: expected an integer from 13 to 18\n$/,
      ],
      [
        ['export', 'lecture/bottleneck', '--onnx', join(dir, 'no', 'such', 'dir', 'x.onnx')],
        /^cnnscope: error: --onnx .*x\.onnx: cannot write the file: ENOENT.*\n$/,
      ],
      [['export', 'lecture/bottleneck', '--onnx', dir], /^cnnscope: error: --onnx .*: cannot write the file: EISDIR.*\n$/],
      [['export', 'lecture/bottleneck'], /required option '--onnx <file>' not specified/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect([r.code, r.stdout], argv.join(' ')).toEqual([2, '']);
      expect(r.stderr).toMatch(message);
    }
    const wrong = join(dir, 'wrong.safetensors');
    writeFileSync(wrong, encodeSafetensors({ nothing: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }));
    const w = await cli(['export', 'lecture/bottleneck', '-w', wrong, '--onnx', join(dir, 'x.onnx')]);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/^cnnscope: error: .*wrong\.safetensors: 4 tensors do not fit the model 'lecture-bottleneck':/);
    const model = join(dir, 'tanh.yaml');
    writeFileSync(model, 'name: m\ninput: [4, 8, 8]\nlayers:\n  - gelu: {name: act, approximate: tanh}\n');
    const g = await cli(['export', model, '--onnx', join(dir, 'x.onnx')]);
    expect([g.code, g.stderr]).toEqual([
      2,
      `${model}:4:5: error: layer 'act' (gelu): no ONNX form at opset 17: approximate 'tanh' has no ONNX form before opset 20 (Gelu)\n`,
    ]);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
  });

  it('has help with examples', async () => {
    const r = await cli(['export', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--opset <n>');
  });
});
