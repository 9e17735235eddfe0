/**
 * The WebAssembly SIMD GEMM (src/execute/wasm/): the encoder writes modules that validate and run;
 * the wasm GEMM equals gemmReference on shapes that exercise every edge (M, N, K of 1, sizes not
 * multiples of the 4x8 register tile, several KC slices, MB row blocks and NC column blocks),
 * strided and offset views, accumulating or not; CNNSCOPE_NO_WASM selects the JS GEMM; and worker
 * threads give bit-identical results to one thread either way.
 * Bound: relativeError < 1e-5 (the wasm kernel sums in float32, the reference in float64).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGemmEngine, JsGemm, LocalContext, wasmGemmEnabled } from '../../src/execute/context.js';
import { execute } from '../../src/execute/execute.js';
import { gemmReference, GEMM_SCRATCH_BYTES } from '../../src/kernels/gemm.js';
import { rowMajor, type Mat } from '../../src/kernels/mat.js';
import { relativeError, tensor } from '../../src/kernels/tensor.js';
import { createContext } from '../../src/execute/threads.js';
import { Code, encodeModule, I32, sleb, uleb } from '../../src/execute/wasm/encoder.js';
import {
  gemmModuleBytes,
  KC,
  MB,
  MR,
  NC,
  NR,
  simdModuleBytes,
  WASM_GEMM_BYTES,
  WasmGemm,
  wasmSimdSupported,
} from '../../src/execute/wasm/gemm-kernel.js';
import { syntheticWeights } from '../../src/execute/weights.js';
import { loadBundled } from '../../src/index.js';
import { randomArray, rng } from './helpers.js';

const next = rng(7);

describe('the wasm encoder', () => {
  it('writes LEB128', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('writes a module that validates and runs: a loop summing 1..n', () => {
    // (func (param n i32) (result i32) (local s i32) loop s += n; n -= 1; br_if n != 0 end s)
    const code = new Code()
      .loop()
      .localGet(1)
      .localGet(0)
      .i32Add()
      .localSet(1)
      .localGet(0)
      .i32Const(1)
      .i32Sub()
      .localTee(0)
      .brIf(0)
      .end()
      .localGet(1);
    const bytes = encodeModule({ functions: [{ name: 'sum', params: [I32], results: [I32], locals: [I32], code }] });
    expect(WebAssembly.validate(bytes)).toBe(true);
    const sum = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports['sum'] as (n: number) => number;
    expect(sum(100)).toBe(5050);
  });

  it('writes the SIMD probe and the GEMM kernel as valid modules', () => {
    expect(WebAssembly.validate(simdModuleBytes())).toBe(true);
    expect(wasmSimdSupported()).toBe(true); // Node 20 has SIMD128
    expect(WebAssembly.validate(gemmModuleBytes())).toBe(true);
  });

  it('keeps the wasm memory within the JS GEMM scratch the memory estimate counts', () => {
    expect(WASM_GEMM_BYTES).toBeLessThanOrEqual(GEMM_SCRATCH_BYTES);
  });
});

describe('the wasm GEMM against gemmReference', () => {
  const wasm = new WasmGemm();
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 9, 1],
    [1, 2, 5],
    [7, 1, 3],
    [2, 3, 1],
    [MR, NR, 4],
    [MR + 1, NR + 1, 3],
    [MR - 1, NR - 1, 17],
    [3, 5, 7],
    [13, 17, 300],
    [64, 49, 576],
    [33, 70, KC * 2 + 5],
    [MB + 5, 11, 40],
    [9, NC + 13, 20],
    [MB * 2 + 3, NC + 9, KC + 1],
  ];
  for (const [M, N, K] of shapes) {
    it(`${M}x${K} · ${K}x${N}, row-major / transposed / offset views, accumulating or not`, () => {
      const A = randomArray(M * K + 5, next);
      const B = randomArray(K * N + 3, next);
      const C0 = randomArray(2 * M * N + 7, next);
      const views: [Mat, Mat, Mat][] = [
        [rowMajor(A, 0, K), rowMajor(B, 0, N), rowMajor(C0, 0, N)],
        [
          { data: A, offset: 0, rs: 1, cs: M },
          { data: B, offset: 0, rs: 1, cs: K },
          { data: C0, offset: 0, rs: 1, cs: M },
        ],
        // Offsets, and C every other column of a wider matrix.
        [rowMajor(A, 5, K), rowMajor(B, 3, N), { data: C0, offset: 7, rs: 2 * N, cs: 2 }],
      ];
      for (const [a, b, c] of views) {
        for (const accumulate of [false, true]) {
          const actual = { ...c, data: c.data.slice() };
          const expected = { ...c, data: c.data.slice() };
          wasm.gemm(M, N, K, a, b, actual, accumulate);
          gemmReference(M, N, K, a, b, expected, accumulate);
          expect(relativeError(actual.data, expected.data)).toBeLessThan(1e-5);
        }
      }
    });
  }

  it('handles empty products: M or N of 0 touch nothing, K of 0 zeroes C (or leaves it when accumulating)', () => {
    const C = new Float32Array(6).fill(3);
    wasm.gemm(0, 3, 2, rowMajor(new Float32Array(0), 0, 2), rowMajor(new Float32Array(6), 0, 3), rowMajor(C, 0, 3), false);
    wasm.gemm(2, 0, 2, rowMajor(new Float32Array(4), 0, 2), rowMajor(new Float32Array(0), 0, 0), rowMajor(C, 0, 0), false);
    expect([...C]).toEqual([3, 3, 3, 3, 3, 3]);
    wasm.gemm(2, 3, 0, rowMajor(new Float32Array(0), 0, 0), rowMajor(new Float32Array(0), 0, 3), rowMajor(C, 0, 3), true);
    expect([...C]).toEqual([3, 3, 3, 3, 3, 3]);
    wasm.gemm(2, 3, 0, rowMajor(new Float32Array(0), 0, 0), rowMajor(new Float32Array(0), 0, 3), rowMajor(C, 0, 3), false);
    expect([...C]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('writes only C: offsets and strides leave the rest of the buffer alone', () => {
    const data = new Float32Array(100).fill(7);
    wasm.gemm(
      2,
      3,
      3,
      rowMajor(randomArray(6, next), 0, 3),
      rowMajor(randomArray(9, next), 0, 3),
      { data, offset: 10, rs: 20, cs: 2 },
      false,
    );
    const touched = new Set([10, 12, 14, 30, 32, 34]);
    data.forEach((v, i) => {
      if (!touched.has(i)) expect(v).toBe(7);
    });
  });

  it('agrees with the JS GEMM (float64 sums) to float32 rounding on a conv-sized product', () => {
    const [M, N, K] = [96, 300, 1152];
    const A = randomArray(M * K, next);
    const B = randomArray(K * N, next);
    const viaWasm = new Float32Array(M * N);
    const viaJs = new Float32Array(M * N);
    wasm.gemm(M, N, K, rowMajor(A, 0, K), rowMajor(B, 0, N), rowMajor(viaWasm, 0, N), false);
    new JsGemm().gemm(M, N, K, rowMajor(A, 0, K), rowMajor(B, 0, N), rowMajor(viaJs, 0, N), false);
    expect(relativeError(viaWasm, viaJs)).toBeLessThan(1e-5);
  });
});

describe('CNNSCOPE_NO_WASM', () => {
  const saved = process.env['CNNSCOPE_NO_WASM'];
  afterEach(() => {
    if (saved === undefined) delete process.env['CNNSCOPE_NO_WASM'];
    else process.env['CNNSCOPE_NO_WASM'] = saved;
  });
  const setting = (noWasm: boolean) => {
    if (noWasm) process.env['CNNSCOPE_NO_WASM'] = '1';
    else delete process.env['CNNSCOPE_NO_WASM'];
  };

  it('selects the JS GEMM when set, the wasm GEMM otherwise', () => {
    setting(true);
    expect(wasmGemmEnabled()).toBe(false);
    expect(createGemmEngine().name).toBe('js');
    expect(new LocalContext().engine.name).toBe('js');
    setting(false);
    expect(wasmGemmEnabled()).toBe(true);
    expect(createGemmEngine().name).toBe('wasm-simd');
    expect(new LocalContext().engine.name).toBe('wasm-simd');
    process.env['CNNSCOPE_NO_WASM'] = '0';
    expect(createGemmEngine().name).toBe('wasm-simd');
  });

  // One thread against three (the built worker, dist/execute/worker.js: `npm test` builds first),
  // for each GEMM: identical bits, and the two GEMMs within float32 rounding of each other.
  it('runs a whole network either way, with identical results on 1 and 3 threads', async () => {
    // 32x32 keeps every stage's GEMMs above the threads' split threshold (SPLIT_MACS).
    const graph = loadBundled('resnet18', { input: [3, 32, 32] });
    const outputs: Float32Array[] = [];
    for (const noWasm of [false, true]) {
      setting(noWasm);
      const perThreads: Float32Array[] = [];
      for (const threads of [1, 3]) {
        const ctx = await createContext(threads);
        try {
          expect(ctx.engine.name).toBe(noWasm ? 'js' : 'wasm-simd');
          const input = tensor([2, 3, 32, 32], ctx.allocate(2 * 3 * 32 * 32));
          input.data.set(randomArray(input.data.length, rng(3)));
          const r = execute(graph, { weights: syntheticWeights(graph, 1, ctx.allocate), input, context: ctx });
          perThreads.push(r.outputs[0].tensor.data.slice());
        } finally {
          await ctx.close();
        }
      }
      expect(perThreads[1]).toEqual(perThreads[0]);
      outputs.push(perThreads[0]);
    }
    expect(relativeError(outputs[0], outputs[1])).toBeLessThan(1e-5);
  });

  // Depthwise convs and max pooling split by channels between the threads (threads.ts shareWindow):
  // mobilenet_v2's first depthwise convs at 64x64 and googlenet's pools are above SPLIT_WINDOW.
  it('splits depthwise convs and max pooling between threads with identical results', async () => {
    for (const name of ['mobilenet_v2', 'googlenet']) {
      const graph = loadBundled(name, { input: [3, 64, 64] });
      const perThreads: Float32Array[] = [];
      for (const threads of [1, 3]) {
        const ctx = await createContext(threads);
        try {
          const input = tensor([1, 3, 64, 64], ctx.allocate(3 * 64 * 64));
          input.data.set(randomArray(input.data.length, rng(5)));
          const r = execute(graph, { weights: syntheticWeights(graph, 2, ctx.allocate), input, context: ctx });
          perThreads.push(r.outputs[0].tensor.data.slice());
        } finally {
          await ctx.close();
        }
      }
      expect(perThreads[1]).toEqual(perThreads[0]);
    }
  });
});
