/**
 * The fast kernels against the plain references: GEMM on random shapes and strides, conv on
 * random geometries (groups, depthwise, dilation, stride, asymmetric padding, 1x1 direct),
 * linear, and the MAC counts the kernels report. Bound: relativeError < 1e-5. The GEMM tests here
 * are gemm.ts's (float64 sums); conv and linear run through LocalContext, so through the wasm SIMD
 * GEMM (float32 sums) when available: its own tests are in wasm.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { JsGemm, LocalContext } from '../../src/execute/context.js';
import { gemm, gemmReference, GemmScratch, KC, NC } from '../../src/kernels/gemm.js';
import { rowMajor, type Mat } from '../../src/kernels/mat.js';
import { conv2dReference, linearReference } from '../../src/execute/reference.js';
import { relativeError, tensor } from '../../src/kernels/tensor.js';
import { gemmPart, partRange } from '../../src/execute/threads.js';
import { conv, type ConvArgs } from '../../src/layers/conv.js';
import { linear } from '../../src/layers/linear.js';
import { WasmGemm, wasmSimdSupported } from '../../src/execute/wasm/gemm-kernel.js';
import { randomArray, rng } from './helpers.js';

const next = rng(42);
const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));

describe('gemm', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 4, 4],
    [5, 9, 1],
    [17, 33, 300],
    [64, 49, 576],
    [2, 1, 513],
    [70, NC + 3, 20],
    [9, 13, KC * 2 + 5],
    [130, 7, 3],
    [0, 5, 3],
    [4, 0, 3],
  ];
  for (const [M, N, K] of shapes) {
    for (const accumulate of [false, true]) {
      it(`${M}x${K} · ${K}x${N}${accumulate ? ' accumulating' : ''}, row-major and transposed views`, () => {
        const A = randomArray(M * K, next);
        const B = randomArray(K * N, next);
        const C0 = randomArray(M * N, next);
        for (const transposed of [false, true]) {
          // A plain row-major product, or the same values read through transposed strides.
          const a: Mat = transposed ? { data: A, offset: 0, rs: 1, cs: M } : rowMajor(A, 0, K);
          const b: Mat = transposed ? { data: B, offset: 0, rs: 1, cs: K } : rowMajor(B, 0, N);
          const c: Mat = transposed ? { data: C0.slice(), offset: 0, rs: 1, cs: M } : rowMajor(C0.slice(), 0, N);
          const expected = { ...c, data: c.data.slice() };
          gemm(M, N, K, a, b, c, accumulate, new GemmScratch());
          gemmReference(M, N, K, a, b, expected, accumulate);
          expect(relativeError(c.data, expected.data)).toBeLessThan(1e-5);
        }
      });
    }
  }

  it('writes only C: offsets and strides leave the rest of the buffer alone', () => {
    const data = new Float32Array(100).fill(7);
    const A = randomArray(6, next);
    const B = randomArray(6, next);
    gemm(2, 3, 3, rowMajor(A, 0, 3), rowMajor(B, 0, 3), { data, offset: 10, rs: 20, cs: 2 }, false, new GemmScratch());
    const touched = new Set([10, 12, 14, 30, 32, 34]);
    data.forEach((v, i) => {
      if (!touched.has(i)) expect(v).toBe(7);
    });
  });

  for (const engine of [new JsGemm(), ...(wasmSimdSupported() ? [new WasmGemm()] : [])]) {
    it(`split into parts (threads) gives the same result, by rows or by columns (${engine.name})`, () => {
      const [M, N, K] = [37, 53, 29];
      const A = randomArray(M * K, next);
      const B = randomArray(K * N, next);
      const whole = new Float32Array(M * N);
      engine.gemm(M, N, K, rowMajor(A, 0, K), rowMajor(B, 0, N), rowMajor(whole, 0, N), false);
      for (const splitRows of [true, false]) {
        for (const parts of [2, 3, 8]) {
          const C = new Float32Array(M * N);
          for (let p = 0; p < parts; p++)
            gemmPart(M, N, K, rowMajor(A, 0, K), rowMajor(B, 0, N), rowMajor(C, 0, N), false, splitRows, parts, p, engine);
          expect(C).toEqual(whole);
        }
      }
    });
  }

  it('partRange splits at multiples of the unit', () => {
    expect(partRange(10, 3, 2, 4)).toEqual([8, 10]);
    expect(partRange(3, 4, 3, 4)).toEqual([3, 3]);
  });
});

/** Conv arguments as the kind resolves them, with explicit padding. */
function convArgs(out: number, kernel: [number, number], o: Partial<ConvArgs> = {}): ConvArgs {
  return { out, kernel, stride: [1, 1], padding: { top: 0, bottom: 0, left: 0, right: 0 }, dilation: [1, 1], groups: 1, bias: true, ...o };
}

function checkConv(n: number, cin: number, h: number, w: number, a: ConvArgs): void {
  const x = tensor([n, cin, h, w], randomArray(n * cin * h * w, next));
  const weight = tensor([a.out, cin / a.groups, ...a.kernel], randomArray((a.out * cin * a.kernel[0] * a.kernel[1]) / a.groups, next));
  const bias = a.bias ? randomArray(a.out, next) : undefined;
  const ctx = new LocalContext();
  const y = conv.forward([x], a, bias ? { weight: weight.data, bias } : { weight: weight.data }, ctx);
  const expected = conv2dReference(x, weight, bias, a);
  const staticShape = conv.outputShape([[cin, h, w]], a);
  expect(y.shape).toEqual([n, ...staticShape]);
  expect(expected.shape).toEqual(y.shape);
  expect(relativeError(y.data, expected.data)).toBeLessThan(1e-5);
  expect(ctx.macs).toBe(conv.cost([[cin, h, w]], staticShape, a).macs * n);
}

describe('conv forward against the naive reference', () => {
  const cases: [string, number, number, number, number, ConvArgs][] = [
    ['3x3 pad 1', 1, 3, 8, 8, convArgs(4, [3, 3], { padding: { top: 1, bottom: 1, left: 1, right: 1 } })],
    ['1x1 direct, batch 3', 3, 8, 5, 7, convArgs(6, [1, 1])],
    ['1x1 stride 2, no bias', 2, 8, 9, 9, convArgs(4, [1, 1], { stride: [2, 2], bias: false })],
    ['1x1 with padding (not direct)', 1, 3, 4, 4, convArgs(2, [1, 1], { padding: { top: 1, bottom: 0, left: 2, right: 1 } })],
    [
      'depthwise 3x3 stride 2',
      2,
      6,
      11,
      10,
      convArgs(6, [3, 3], { groups: 6, stride: [2, 2], padding: { top: 1, bottom: 1, left: 1, right: 1 } }),
    ],
    ['depthwise multiplier 2', 1, 4, 7, 7, convArgs(8, [3, 3], { groups: 4, padding: { top: 1, bottom: 1, left: 1, right: 1 } })],
    [
      'groups 3, dilation 2, stride [2, 1]',
      1,
      6,
      12,
      13,
      convArgs(9, [3, 3], { groups: 3, dilation: [2, 2], stride: [2, 1], padding: { top: 2, bottom: 2, left: 1, right: 1 } }),
    ],
    ['asymmetric padding, rectangular kernel', 2, 3, 6, 9, convArgs(5, [2, 4], { padding: { top: 0, bottom: 3, left: 2, right: 1 } })],
    [
      'dilation [1, 3], stride [1, 2]',
      1,
      4,
      5,
      14,
      convArgs(3, [1, 3], { dilation: [1, 3], stride: [1, 2], padding: { top: 0, bottom: 0, left: 3, right: 3 } }),
    ],
    ['kernel as large as the padded input', 1, 2, 3, 3, convArgs(2, [5, 5], { padding: { top: 1, bottom: 1, left: 1, right: 1 } })],
    ['stride larger than the kernel', 1, 2, 10, 10, convArgs(3, [2, 2], { stride: [3, 4] })],
    [
      '7x7 stride 2 pad 3 (a ResNet stem)',
      1,
      3,
      20,
      20,
      convArgs(8, [7, 7], { stride: [2, 2], padding: { top: 3, bottom: 3, left: 3, right: 3 }, bias: false }),
    ],
  ];
  for (const [name, n, cin, h, w, a] of cases) it(name, () => checkConv(n, cin, h, w, a));

  it('random geometries', () => {
    for (let t = 0; t < 40; t++) {
      const groups = [1, 1, 2, 3][int(0, 3)];
      const cin = groups * int(1, 3);
      const out = groups * int(1, 3);
      const kernel: [number, number] = [int(1, 4), int(1, 4)];
      const dilation: [number, number] = [int(1, 3), int(1, 3)];
      const padding = { top: int(0, 3), bottom: int(0, 3), left: int(0, 3), right: int(0, 3) };
      const h = int(1, 9) + dilation[0] * (kernel[0] - 1);
      const w = int(1, 9) + dilation[1] * (kernel[1] - 1);
      checkConv(
        int(1, 2),
        cin,
        h,
        w,
        convArgs(out, kernel, { groups, dilation, padding, stride: [int(1, 3), int(1, 3)], bias: next() < 0.5 }),
      );
    }
  });
});

describe('linear forward against the naive reference', () => {
  for (const [n, f, out, bias] of [
    [1, 1, 1, true],
    [1, 37, 11, true],
    [4, 19, 6, false],
    [3, 300, 9, true],
  ] as const) {
    it(`batch ${n}, ${f} -> ${out}${bias ? '' : ', no bias'}`, () => {
      const x = tensor([n, f], randomArray(n * f, next));
      const weight = tensor([out, f], randomArray(out * f, next));
      const b = bias ? randomArray(out, next) : undefined;
      const ctx = new LocalContext();
      const y = linear.forward([x], { out, bias }, b ? { weight: weight.data, bias: b } : { weight: weight.data }, ctx);
      expect(y.shape).toEqual([n, out]);
      expect(relativeError(y.data, linearReference(x, weight, b).data)).toBeLessThan(1e-5);
      expect(ctx.macs).toBe(n * f * out);
    });
  }
});

describe('relativeError', () => {
  it('is the largest difference over the largest expected magnitude', () => {
    expect(relativeError([1, 2, 4], [1, 2, 5])).toBeCloseTo(1 / 5);
    expect(relativeError([0, 0], [0, 0])).toBe(0);
    expect(relativeError([1e-7], [0])).toBeCloseTo(0.1);
    expect(relativeError([NaN], [1])).toBe(Infinity);
  });
});
