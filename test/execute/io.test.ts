/** .npy and safetensors reading and writing, weight binding, and the deterministic generator. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, NpyError, readNpy } from '../../src/execute/npy.js';
import { fnv1a32, stream, unit, fillUniform } from '../../src/execute/random.js';
import {
  encodeSafetensors,
  floatToHalf,
  halfToFloat,
  SafetensorsError,
  SafetensorsFile,
  type TensorToWrite,
} from '../../src/execute/safetensors.js';
import { relativeError, tensor } from '../../src/kernels/tensor.js';
import { initWeights, loadWeights, syntheticWeights, weightSlots, WeightsError } from '../../src/execute/weights.js';
import { loadBundled } from '../../src/index.js';
import { reference, tinyGraph, tinyNet } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnscope-execute-'));
let counter = 0;
function file(bytes: Uint8Array | string, name = `f${counter++}`): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** An .npy file with a hand-written header (version, descr, order, shape) and raw data. */
function npy(header: string, data: Uint8Array, major = 1): Buffer {
  const lenSize = major === 1 ? 2 : 4;
  let text = header;
  text += ' '.repeat((64 - ((8 + lenSize + text.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(8 + lenSize);
  Buffer.from([0x93, ...Buffer.from('NUMPY')]).copy(head);
  head[6] = major;
  if (major === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  return Buffer.concat([head, Buffer.from(text, 'latin1'), data]);
}

describe('.npy', () => {
  it('reads files written by NumPy (the reference fixtures)', () => {
    const x = readNpy(reference('full_input_3x64x64.npy'));
    expect(x.shape).toEqual([1, 3, 64, 64]);
    expect(x.data.length).toBe(3 * 64 * 64);
    expect(readNpy(reference('full_resnet18_output.npy')).shape).toEqual([1, 1000]);
  });

  it('round-trips what it writes', () => {
    const t = tensor([2, 1, 3], Float32Array.from([1, -2, 3.5, 1e-30, -0, Infinity]));
    const back = decodeNpy(encodeNpy(t), 'x.npy');
    expect(back.shape).toEqual([2, 1, 3]);
    expect(back.data).toEqual(t.data);
    expect(decodeNpy(encodeNpy(tensor([3], Float32Array.from([1, 2, 3]))), 'x').shape).toEqual([3]);
    // NumPy's alignment: the data starts at a multiple of 64.
    expect((encodeNpy(t).length - 6 * 4) % 64).toBe(0);
  });

  it('reads version 2.0 headers and float64, narrowed to float32', () => {
    const f8 = new Float64Array([0.1, -2, 1e300]);
    const t = decodeNpy(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(f8.buffer), 2), 'x');
    expect(Array.from(t.data)).toEqual([Math.fround(0.1), -2, Infinity]);
  });

  it('refuses other dtypes, Fortran order, truncated data and non-npy files, naming the file', () => {
    const i4 = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8));
    expect(() => decodeNpy(i4, 'a.npy')).toThrow(/a\.npy: dtype '<i4' is not supported.*float32/);
    const be = npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8));
    expect(() => decodeNpy(be, 'b.npy')).toThrow(/dtype '>f4'/);
    const fortran = npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(16));
    expect(() => decodeNpy(fortran, 'c.npy')).toThrow(/c\.npy: .*Fortran order/);
    const short = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", new Uint8Array(10));
    expect(() => decodeNpy(short, 'd.npy')).toThrow(/d\.npy: .*needs 64 bytes of data, the file has 10/);
    expect(() => decodeNpy(Buffer.from('hello world, not numpy'), 'e.npy')).toThrow(NpyError);
    expect(() => readNpy(join(dir, 'missing.npy'), 'missing.npy')).toThrow(/missing\.npy: cannot read the file/);
  });
});

describe('safetensors', () => {
  const net = tinyNet('inception_branches');
  const graph = tinyGraph(net);
  const params = new Map(net.params.map((p) => [p.key, p]));

  it('loads a file written in the format by the reference script (F32, I64 counters ignored)', () => {
    const f = SafetensorsFile.open(reference('tiny_inception.safetensors'));
    expect(f.metadata['format']).toBe('pt');
    expect(f.entries.get('bn.num_batches_tracked')?.dtype).toBe('I64');
    f.close();
    const w = loadWeights(graph, reference('tiny_inception.safetensors'));
    for (const { key, node, spec } of weightSlots(graph)) {
      if (spec.dtype !== 'float') continue;
      expect(Array.from(w.get(node.id)![spec.name]), key).toEqual(params.get(key)!.values);
    }
  });

  it('converts F16 and BF16 on load (and accepts a missing num_batches_tracked)', () => {
    const f = SafetensorsFile.open(reference('tiny_inception_half.safetensors'));
    expect(new Set([...f.entries.values()].map((e) => e.dtype))).toEqual(new Set(['F16', 'BF16']));
    f.close();
    const w = loadWeights(graph, reference('tiny_inception_half.safetensors'));
    for (const { key, node, spec } of weightSlots(graph)) {
      if (spec.dtype !== 'float') continue;
      // F16 keeps 11 significant bits, BF16 8: relative error below 2^-11 and 2^-8 of each value.
      const tol = key.startsWith('b') && !key.startsWith('bn') ? 2 ** -11 : 2 ** -8;
      const got = w.get(node.id)![spec.name];
      params.get(key)!.values.forEach((v, i) => expect(Math.abs(got[i] - v), key).toBeLessThanOrEqual(Math.abs(v) * tol + 1e-7));
    }
  });

  it('decodes half precision exactly', () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0xfc00].map(halfToFloat)).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      -0,
      Infinity,
      -Infinity,
    ]);
    expect(halfToFloat(0x7e00)).toBeNaN();
    for (const v of [1, -2, 65504, 2 ** -24, 0.1, 3.14159, -1e-5, 1e5])
      expect(floatToHalf(halfToFloat(floatToHalf(v)))).toBe(floatToHalf(v));
    expect(floatToHalf(1e5)).toBe(0x7c00);
    const data = Float32Array.from([1, -2.5, 0.1, 3e38]);
    const path = file(encodeSafetensors({ a: { dtype: 'BF16', shape: [4], data }, b: { dtype: 'F16', shape: [2, 2], data } }));
    const f = SafetensorsFile.open(path);
    // The values torch's .to(bfloat16) and .to(float16) give.
    expect(Array.from(f.readFloat32('a'))).toEqual([1, -2.5, 0.10009765625, 3.00405527047391e38]);
    expect(Array.from(f.readFloat32('b'))).toEqual([1, -2.5, 0.0999755859375, Infinity]);
    f.close();
  });

  it('lists every missing, unexpected and mis-shaped tensor in one error', () => {
    const tensors: Record<string, TensorToWrite> = {};
    for (const p of net.params) {
      if (p.dtype !== 'float') continue;
      tensors[p.key] = { dtype: 'F32', shape: p.shape, data: Float32Array.from(p.values) };
    }
    delete tensors['b1.weight'];
    delete tensors['fc2.bias'];
    tensors['extra.weight'] = { dtype: 'F32', shape: [2], data: new Float32Array(2) };
    tensors['fc1.weight'] = { dtype: 'F32', shape: [8, 6], data: new Float32Array(48) };
    tensors['bn.bias'] = { dtype: 'I32', shape: [8], data: new Uint8Array(32) };
    const path = file(encodeSafetensors(tensors));
    let error: Error | undefined;
    try {
      loadWeights(graph, path);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(WeightsError);
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe(`${path}: 5 tensors do not fit the model 'inception_branches':`);
    expect(error!.message).toContain('2 missing from the file:\n    b1.weight [3, 4, 1, 1]\n    fc2.bias [5]');
    expect(error!.message).toContain('1 not in the model:\n    extra.weight [2]');
    expect(error!.message).toContain('fc1.weight: [8, 6] in the file, the model expects [6, 8]');
    expect(error!.message).toContain('bn.bias: dtype I32, expected a float type');
  });

  it('gives one line naming the file for a corrupt or truncated file', () => {
    const header = (json: string) => {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      return Buffer.concat([len, Buffer.from(json), Buffer.alloc(8)]);
    };
    const good = encodeSafetensors({ w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('abc'), /not a valid safetensors file: 3 bytes/],
      [Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]), /header length 256 runs past the end/],
      [Buffer.concat([Buffer.from([255, 255, 255, 255, 0, 0, 0, 0]), Buffer.from('{}')]), /beyond the 100000000-byte limit/],
      [Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"w"')]), /the header is not JSON/],
      [good.subarray(0, good.length - 4), /entry 'w' ends at byte 16, past the 12 bytes of data \(truncated\?\)/],
      [header('{"w":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}'), /unknown dtype "Q9"/],
      [header('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}'), /entry 'w' spans 4 bytes, its F32 shape \[2\] needs 8/],
      [header('[1, 2]'), /the header is not a JSON object/],
    ];
    for (const [bytes, message] of cases) {
      const path = file(bytes);
      let error: Error | undefined;
      try {
        SafetensorsFile.open(path).close();
      } catch (e) {
        error = e as Error;
      }
      expect(error).toBeInstanceOf(SafetensorsError);
      expect(error!.message.startsWith(`${path}: `)).toBe(true);
      expect(error!.message).toMatch(message);
      expect(error!.message).not.toContain('\n');
    }
  });
});

describe('the deterministic generator and initializations', () => {
  it('matches the Python implementation (scripts/torch_reference_nets.py)', () => {
    expect(fnv1a32('layer1.0.conv1.weight')).toBe(2994878762);
    expect(fnv1a32('')).toBe(2166136261);
    expect(fnv1a32('é')).toBe(513665217);
    expect(Array.from(fillUniform(new Float32Array(4), stream(0, 'conv1.weight'), 1))).toEqual([
      0.5171846151351929, -0.3233916759490967, 0.27823030948638916, 0.5311629772186279,
    ]);
    expect(Array.from(fillUniform(new Float32Array(3), stream(7, 'fc.bias'), 0.5, 1))).toEqual([
      0.5095099806785583, 1.0781497955322266, 1.3206970691680908,
    ]);
  });

  it('draws in [0, 1)', () => {
    const st = stream(3, 'x');
    let lo = 1,
      hi = 0,
      sum = 0;
    for (let k = 0; k < 20000; k++) {
      const u = unit(st, k);
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      sum += u;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(sum / 20000).toBeCloseTo(0.5, 2);
  });

  it("initializes as PyTorch's module defaults: bounds 1/sqrt(fan_in), batchnorm the identity", () => {
    const graph = loadBundled('resnet18', { input: [3, 32, 32] });
    const w = initWeights(graph, 5);
    const byName = (name: string) => w.get(graph.nodes.find((n) => n.name === name)!.id)!;
    const conv1 = byName('conv1')['weight']; // [64, 3, 7, 7]: fan_in 147
    const bound = 1 / Math.sqrt(147);
    expect(Math.max(...conv1.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...conv1.map(Math.abs))).toBeGreaterThan(0.99 * bound);
    const fc = byName('fc');
    expect(Math.max(...fc['bias'].map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(512));
    const bn = byName('bn1');
    expect([bn['weight'][0], bn['bias'][0], bn['running_mean'][0], bn['running_var'][0]]).toEqual([1, 0, 0, 1]);
    // Same seed, same weights; another seed, others.
    expect(initWeights(graph, 5).get(1)!['weight']).toEqual(conv1);
    expect(initWeights(graph, 6).get(1)!['weight']).not.toEqual(conv1);
  });

  it('synthetic weights keep batchnorm variances positive', () => {
    const graph = loadBundled('resnet18', { input: [3, 32, 32] });
    const w = syntheticWeights(graph, 0);
    for (const node of graph.nodes)
      if (node.kind === 'batchnorm') expect(Math.min(...w.get(node.id)!['running_var'])).toBeGreaterThanOrEqual(0.5);
    expect(relativeError(w.get(1)!['weight'], w.get(1)!['weight'])).toBe(0);
  });
});
