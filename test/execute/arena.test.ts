/**
 * The engine memory (src/execute/wasm/arena.ts) and the GEMM's in-place path on it
 * (gemm-kernel.ts gemmInPlace, with the wasm packers of pack-kernels.ts): the arena's blocks are
 * aligned, reused after release, merged, zeroed when asked, and stay valid when the memory grows;
 * the in-place path gives the same bits as the copying path (the JS packers, the reference) on
 * odd sizes (M, N, K not multiples of the tile, K > KC, padding, stride 2, dilation, a channel
 * offset as groups have, the prologue with and without relu, residual, relu and relu6, and the
 * parts threads compute), and writes nothing outside C.
 */
import { describe, expect, it, vi } from 'vitest';
import { ALIGN, EngineMemory } from '../../src/execute/wasm/arena.js';
import { KC, MR, NR, packedFloats, packWeights, WasmGemm, type PackedGemm } from '../../src/execute/wasm/gemm-kernel.js';
import { LocalContext } from '../../src/execute/context.js';
import { rowMajor } from '../../src/kernels/mat.js';
import type { ConvGeometry } from '../../src/kernels/im2col.js';
import { randomArray, rng } from './helpers.js';

describe('the engine memory', () => {
  it('hands out aligned blocks, reuses released ones (merging neighbours) and grows without moving views', () => {
    const m = new EngineMemory(65536);
    const a = m.alloc(3);
    const b = m.alloc(100);
    const c = m.alloc(5);
    for (const v of [a, b, c]) expect(m.addressOf(v) % ALIGN).toBe(0);
    a.set([1, 2, 3]);
    m.release(b);
    expect(m.addressOf(m.alloc(90))).toBe(m.addressOf(b));
    const d = m.alloc(4);
    m.release(d);
    m.release(c);
    // Growing: a request larger than the memory; the old views keep their contents.
    const big = m.alloc(1 << 20);
    expect(m.memory.buffer.byteLength).toBeGreaterThan(4 << 20);
    expect([...a]).toEqual([1, 2, 3]);
    expect(m.addressOf(big)).toBeGreaterThan(0);
    expect(m.addressOf(new Float32Array(4))).toBe(-1);
    // Zeroed on request, even a reused block.
    big.fill(7);
    m.release(big);
    const z = m.allocZeroed(1 << 20);
    expect(z.every((v) => v === 0)).toBe(true);
  });

  it('reserve grows the memory for the bytes asked beyond what is handed out, once, and leaves allocation as it was', () => {
    const mem = new EngineMemory();
    const a = mem.alloc(1000);
    a.fill(7);
    const before = mem.memory.buffer.byteLength;
    mem.reserve(3 << 20);
    const grown = mem.memory.buffer.byteLength;
    expect(grown).toBeGreaterThanOrEqual(mem.addressOf(a) + 4000 + (3 << 20));
    expect(grown).toBeGreaterThan(before);
    mem.reserve(3 << 20);
    expect(mem.memory.buffer.byteLength).toBe(grown);
    expect(a.every((v) => v === 7)).toBe(true);
    const b = mem.allocZeroed(1 << 18);
    expect(mem.addressOf(b)).toBe(mem.addressOf(a) + 4032);
    expect(b.every((v) => v === 0)).toBe(true);
  });

  it('gives a context its tensors in the memory, and frees only what alloc made', () => {
    const ctx = new LocalContext();
    const t = ctx.alloc([2, 3]);
    expect(ctx.addressOf(t.data)).toBeGreaterThan(0);
    expect(ctx.memory).toBeInstanceOf(WebAssembly.Memory);
    const input = { shape: [4], data: ctx.allocate(4) };
    input.data.set([1, 2, 3, 4]);
    ctx.release(input);
    ctx.release(t);
    const again = ctx.allocUninit([4]);
    expect(ctx.addressOf(again.data)).toBe(ctx.addressOf(t.data));
    expect([...input.data]).toEqual([1, 2, 3, 4]);
  });
});

const next = rng(11);

interface Case {
  readonly name: string;
  readonly M: number;
  readonly cin: number;
  readonly geometry?: ConvGeometry;
  /** Without geometry: a 1x1 conv of P pixels. */
  readonly P?: number;
  readonly prologue?: 'plain' | 'relu';
  readonly residual?: boolean;
  readonly act: 'none' | 'relu' | 'relu6';
  /** Input channel of B's row 0 (a group's offset). */
  readonly channel0?: number;
}

const geo = (h: number, w: number, k: [number, number], s: [number, number], d: [number, number], p: [number, number]): ConvGeometry => {
  const hout = Math.floor((h + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1;
  const wout = Math.floor((w + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1;
  return { h, w, kh: k[0], kw: k[1], sh: s[0], sw: s[1], dh: d[0], dw: d[1], top: p[0], left: p[1], hout, wout };
};

const cases: Case[] = [
  { name: '1x1, N < NR, M < MR', M: 3, cin: 5, P: 7, act: 'none' },
  { name: '1x1 odd, residual, relu', M: 13, cin: 9, P: 61, residual: true, act: 'relu' },
  { name: '1x1, K > KC, prologue relu', M: 10, cin: KC + 37, P: 45, prologue: 'relu', act: 'none' },
  { name: '1x1, prologue, channel offset, relu6', M: 6, cin: 11, P: 33, prologue: 'plain', channel0: 5, act: 'relu6' },
  { name: '3x3 pad 1', M: 9, cin: 7, geometry: geo(13, 11, [3, 3], [1, 1], [1, 1], [1, 1]), act: 'relu' },
  {
    name: '3x5 stride 2x1 dilation 2x1 pad 2x1, residual',
    M: 10,
    cin: 5,
    geometry: geo(13, 11, [3, 5], [2, 1], [2, 1], [2, 1]),
    residual: true,
    act: 'relu',
  },
  {
    name: '3x3 stride 2, dilation 1x2, prologue relu, relu6',
    M: 5,
    cin: 6,
    geometry: geo(9, 14, [3, 3], [2, 2], [1, 2], [1, 1]),
    prologue: 'relu',
    act: 'relu6',
  },
  { name: '7x7 stride 2 pad 3, K > KC', M: 8, cin: 6, geometry: geo(23, 19, [7, 7], [2, 2], [1, 1], [3, 3]), act: 'relu' },
  {
    name: '3x3 no padding, prologue, channel offset, residual',
    M: 7,
    cin: 40,
    geometry: geo(10, 12, [3, 3], [1, 1], [1, 1], [0, 0]),
    prologue: 'plain',
    channel0: 3,
    residual: true,
    act: 'none',
  },
  { name: '1x1, M > MC and odd, residual, relu', M: 70, cin: 20, P: 50, residual: true, act: 'relu' },
  { name: '3x3, wide rows (several column blocks)', M: 9, cin: 3, geometry: geo(40, 41, [3, 3], [1, 1], [1, 1], [1, 1]), act: 'relu' },
];

/** The job on arrays from `alloc` (the engine memory or plain ones). */
function makeJob(
  c: Case,
  alloc: (n: number) => Float32Array,
  src: { x: Float32Array; w: Float32Array; bias: Float32Array; res: Float32Array; ss: Float64Array },
) {
  const kk = c.geometry ? c.geometry.kh * c.geometry.kw : 1;
  const K = c.cin * kk;
  const P = c.geometry ? c.geometry.hout * c.geometry.wout : c.P!;
  const copy = (a: Float32Array) => {
    const b = alloc(a.length);
    b.set(a);
    return b;
  };
  const x = copy(src.x);
  const A = packWeights(c.M, K, rowMajor(src.w, 0, K), alloc(packedFloats(c.M, K)), 0);
  const bias = copy(src.bias);
  const res = copy(src.res);
  // C in the middle of a larger buffer, between sentinels.
  const around = alloc(c.M * P + 64).fill(-7);
  const ssFloats = alloc(2 * src.ss.length);
  const ss = new Float64Array(ssFloats.buffer, ssFloats.byteOffset, src.ss.length);
  ss.set(src.ss);
  const channels = src.ss.length / 2;
  const pro = c.prologue ? { prologue: { ss, channels, channel0: c.channel0 ?? 0, relu: c.prologue === 'relu' } } : {};
  const job: PackedGemm = {
    M: c.M,
    N: P,
    K,
    A,
    B: c.geometry ? { kind: 'im2col', x, xOff: 0, geometry: c.geometry, ...pro } : { kind: 'mat', mat: rowMajor(x, 0, P), ...pro },
    C: rowMajor(around, 32, P),
    bias,
    biasOffset: 0,
    relu: c.act !== 'none',
    relu6: c.act === 'relu6',
    ...(c.residual ? { residual: rowMajor(res, 0, P) } : {}),
  };
  return { job, around };
}

describe('the GEMM in place against the copying path', () => {
  const wasm = new WasmGemm();
  const mem = wasm.memory;
  for (const c of cases) {
    it(`${c.name}: the same bits, nothing written outside C, whole and in parts`, () => {
      const kk = c.geometry ? c.geometry.kh * c.geometry.kw : 1;
      const K = c.cin * kk;
      const P = c.geometry ? c.geometry.hout * c.geometry.wout : c.P!;
      const channels = c.cin + (c.channel0 ?? 0);
      const xFloats = c.geometry ? c.cin * c.geometry.h * c.geometry.w : c.cin * P;
      const ss = new Float64Array(2 * channels);
      for (let i = 0; i < channels; i++) {
        ss[i] = next() * 2 - 0.5;
        ss[channels + i] = next() - 0.5;
      }
      const src = {
        x: randomArray(xFloats, next),
        w: randomArray(c.M * K, next),
        bias: randomArray(c.M, next),
        res: randomArray(c.M * P, next),
        ss,
      };
      const copying = makeJob(c, (n) => new Float32Array(n), src);
      wasm.gemmPacked(copying.job, 0, c.M, 0, P);
      const inPlace = makeJob(c, (n) => mem.alloc(n), src);
      expect(mem.addressOf(inPlace.around)).toBeGreaterThan(0);
      const copyingPath = vi.spyOn(wasm as unknown as { gemmCopying: () => void }, 'gemmCopying');
      wasm.gemmPacked(inPlace.job, 0, c.M, 0, P);
      expect(copyingPath).not.toHaveBeenCalled();
      copyingPath.mockRestore();
      expect(Buffer.from(inPlace.around.buffer, inPlace.around.byteOffset, inPlace.around.byteLength)).toEqual(
        Buffer.from(copying.around.buffer, copying.around.byteOffset, copying.around.byteLength),
      );
      for (let i = 0; i < 32; i++) expect(inPlace.around[i]).toBe(-7);
      for (let i = 32 + c.M * P; i < inPlace.around.length; i++) expect(inPlace.around[i]).toBe(-7);
      // In parts, as threads split it: rows at multiples of MR, columns at multiples of NR.
      const parts = makeJob(c, (n) => mem.alloc(n), src);
      const rowCut = Math.min(c.M, MR);
      const colCut = Math.min(P, NR * 2);
      wasm.gemmPacked(parts.job, 0, rowCut, 0, colCut);
      wasm.gemmPacked(parts.job, 0, rowCut, colCut, P);
      wasm.gemmPacked(parts.job, rowCut, c.M, 0, P);
      expect([...parts.around]).toEqual([...copying.around]);
    });
  }
});
