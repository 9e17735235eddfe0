/**
 * Winograd F(2x2, 3x3) (src/execute/winograd.ts) against the reference path (every layer's own
 * forward, direct convolution) and against the plan's direct GEMM: odd and even sizes, padding
 * 0/1/2 and asymmetric, channels not multiples of the 4x8 tile, batch 2, folded batchnorm,
 * residual, relu and relu6, a pre-activation prologue. The rounding differs from the direct
 * path's, so the bound is the plan's (1e-5 relative, relativeError); measured: a few 1e-7.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createContext } from '../../src/execute/threads.js';
import { execute } from '../../src/execute/execute.js';
import { LocalContext } from '../../src/execute/context.js';
import { syntheticWeights } from '../../src/execute/weights.js';
import { prepareWinograd, runWinograd, winogradApplies, MIN_INPUT_CHANNELS, MIN_OUTPUT_PIXELS } from '../../src/execute/winograd.js';
import { WasmWinogradKernels } from '../../src/execute/wasm/winograd-kernel.js';
import type { ConvGeometry } from '../../src/kernels/im2col.js';
import type { PackedGemm } from '../../src/execute/wasm/gemm-kernel.js';
import { buildGraph } from '../../src/index.js';
import { relativeError, tensor } from '../../src/kernels/tensor.js';
import { randomArray, rng } from './helpers.js';

const TOLERANCE = 1e-5;

/** A context that counts the GEMMs with B a plain matrix (Winograd's; the direct 3x3 conv packs im2col). */
class CountingContext extends LocalContext {
  matGemms = 0;
  override gemmPacked(job: PackedGemm): void {
    if (job.B.kind === 'mat') this.matGemms++;
    super.gemmPacked(job);
  }
}

function withMode<T>(mode: string | undefined, f: () => T): T {
  const before = process.env['CNNSCOPE_WINOGRAD'];
  if (mode === undefined) delete process.env['CNNSCOPE_WINOGRAD'];
  else process.env['CNNSCOPE_WINOGRAD'] = mode;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env['CNNSCOPE_WINOGRAD'];
    else process.env['CNNSCOPE_WINOGRAD'] = before;
  }
}

/** Runs a model with the reference path, the plan with Winograd on every 3x3 conv, and the plan without. */
function compare(yaml: string, shape: number[], seed: number) {
  const graph = buildGraph(yaml, { file: 'wino.yaml' });
  const weights = syntheticWeights(graph, seed);
  const input = tensor(
    shape,
    randomArray(
      shape.reduce((p, d) => p * d, 1),
      rng(seed),
    ),
  );
  const ref = execute(graph, { weights, input, context: new LocalContext(), engine: 'reference' });
  const wctx = new CountingContext();
  const wino = withMode('always', () => execute(graph, { weights, input, context: wctx, engine: 'plan' }));
  const dctx = new CountingContext();
  const direct = withMode('0', () => execute(graph, { weights, input, context: dctx, engine: 'plan' }));
  return { ref, wino, direct, winoGemms: wctx.matGemms, directGemms: dctx.matGemms };
}

const model = (input: string, convs: string) => `name: wino\ninput: ${input}\nlayers:\n${convs}`;

describe('Winograd F(2x2, 3x3)', () => {
  beforeAll(() => {
    // Warm-up compiles the engine's loops on small data: not what is tested here.
    process.env['CNNSCOPE_WARMUP'] = '0';
  });
  afterAll(() => {
    delete process.env['CNNSCOPE_WARMUP'];
  });

  // directMat: the plain-matrix GEMMs of the direct plan (1x1 convs, one per sample).
  const cases: { name: string; input: string; shape: number[]; layers: string; directMat?: number }[] = [
    {
      name: 'odd h and w, padding 1, batchnorm and relu',
      input: '[5, 13, 11]',
      shape: [2, 5, 13, 11],
      layers: `  - conv: {name: c, out: 9, kernel: 3, padding: 1, bias: false}
  - batchnorm: {name: b}
  - relu: {name: r}
`,
    },
    {
      name: 'even h and w, padding 0, a bias',
      input: '[3, 16, 12]',
      shape: [2, 3, 16, 12],
      layers: `  - conv: {name: c, out: 7, kernel: 3, padding: 0}
`,
    },
    {
      name: 'padding 2, odd output',
      input: '[6, 9, 10]',
      shape: [1, 6, 9, 10],
      layers: `  - conv: {name: c, out: 5, kernel: 3, padding: 2}
  - relu6: {name: r}
`,
    },
    {
      name: 'asymmetric padding',
      input: '[4, 12, 15]',
      shape: [2, 4, 12, 15],
      layers: `  - conv: {name: c, out: 6, kernel: 3, padding: [0, 2]}
`,
    },
    {
      name: 'a residual (batchnorm, add, relu6) and channels above one K slice',
      input: '[261, 10, 7]',
      shape: [2, 261, 10, 7],
      layers: `  - conv: {name: c1, out: 13, kernel: 3, padding: 1}
  - relu: {name: r1}
  - conv: {name: c2, out: 13, kernel: 3, padding: 1, bias: false}
  - batchnorm: {name: b2}
  - add: {name: a, inputs: [b2, r1]}
  - relu6: {name: r2}
`,
    },
    {
      name: 'a wide image (several tile blocks) and one channel',
      input: '[1, 70, 40]',
      shape: [1, 1, 70, 40],
      layers: `  - conv: {name: c, out: 3, kernel: 3, padding: 1}
  - relu: {name: r}
`,
    },
    {
      name: 'a pre-activation (batchnorm and relu before the conv, applied to its input)',
      input: '[6, 11, 12]',
      shape: [2, 6, 11, 12],
      layers: `  - conv: {name: p, out: 10, kernel: 1}
  - batchnorm: {name: b1}
  - batchnorm: {name: b2}
  - relu: {name: r2}
  - conv: {name: c, out: 5, kernel: 3, padding: 1}
`,
      directMat: 2,
    },
  ];
  for (const c of cases) {
    it(`matches the reference path and the direct GEMM: ${c.name}`, () => {
      const { ref, wino, direct, winoGemms, directGemms } = compare(model(c.input, c.layers), c.shape, 3);
      // Winograd ran (16 plain-matrix GEMMs per tile block), the direct plan did not.
      expect(winoGemms).toBeGreaterThanOrEqual(16 + (c.directMat ?? 0));
      expect(directGemms).toBe(c.directMat ?? 0);
      // The MACs are the static count (the direct convolution's), not the GEMMs'.
      expect(wino.macs).toBe(ref.macs);
      expect(relativeError(wino.outputs[0].tensor.data, ref.outputs[0].tensor.data)).toBeLessThan(TOLERANCE);
      expect(relativeError(wino.outputs[0].tensor.data, direct.outputs[0].tensor.data)).toBeLessThan(TOLERANCE);
    });
  }

  it('keeps a NaN of the input', () => {
    const graph = buildGraph(model('[2, 8, 8]', '  - conv: {name: c, out: 4, kernel: 3, padding: 1}\n  - relu: {name: r}\n'), {
      file: 'nan.yaml',
    });
    const data = randomArray(2 * 8 * 8, rng(2));
    data[19] = NaN;
    const r = withMode('always', () =>
      execute(graph, {
        weights: syntheticWeights(graph, 2),
        input: tensor([1, 2, 8, 8], data),
        context: new LocalContext(),
        engine: 'plan',
      }),
    );
    expect(r.outputs[0].tensor.data.some((v) => Number.isNaN(v))).toBe(true);
  });

  it('applies to 3x3 stride-1 single-group convs with a large enough output, unless turned off', () => {
    const a = { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], groups: 1 } as const;
    withMode(undefined, () => {
      expect(winogradApplies(a, 64, 56, 56)).toBe(true);
      expect(winogradApplies(a, 64, 7, 7)).toBe(MIN_OUTPUT_PIXELS <= 49);
      expect(winogradApplies(a, 3, 56, 56)).toBe(MIN_INPUT_CHANNELS <= 3);
      expect(winogradApplies({ ...a, stride: [2, 2] }, 64, 56, 56)).toBe(false);
      expect(winogradApplies({ ...a, dilation: [2, 2] }, 64, 56, 56)).toBe(false);
      expect(winogradApplies({ ...a, groups: 2 }, 64, 56, 56)).toBe(false);
      expect(winogradApplies({ ...a, kernel: [3, 1] }, 64, 56, 56)).toBe(false);
    });
    withMode('0', () => expect(winogradApplies(a, 64, 56, 56)).toBe(false));
    withMode('always', () => expect(winogradApplies(a, 64, 2, 2)).toBe(true));
  });

  // The wasm transforms (winograd-kernel.ts) against the JavaScript ones (CNNSCOPE_WINOGRAD_WASM=0),
  // on tensors in the engine memory: float32 sums against float64 ones, so a bound, not equality.
  const direct: {
    name: string;
    cin: number;
    cout: number;
    h: number;
    w: number;
    top: number;
    left: number;
    bottom: number;
    right: number;
  }[] = [
    { name: 'odd sizes, padding 1', cin: 5, cout: 7, h: 13, w: 11, top: 1, left: 1, bottom: 1, right: 1 },
    { name: 'even sizes, padding 0', cin: 3, cout: 9, h: 16, w: 12, top: 0, left: 0, bottom: 0, right: 0 },
    { name: 'padding 2, wide', cin: 6, cout: 5, h: 9, w: 37, top: 2, left: 2, bottom: 2, right: 2 },
    { name: 'asymmetric padding, several blocks', cin: 4, cout: 6, h: 40, w: 15, top: 0, left: 2, bottom: 1, right: 0 },
    { name: 'width a multiple of 8', cin: 9, cout: 4, h: 10, w: 16, top: 1, left: 1, bottom: 1, right: 1 },
    { name: 'tiny', cin: 2, cout: 3, h: 3, w: 3, top: 0, left: 0, bottom: 0, right: 0 },
  ];
  for (const d of direct) {
    for (const variant of ['plain', 'bn prologue, residual, relu', 'bn+relu prologue, relu6', 'residual only'] as const) {
      it(`wasm transforms match the JavaScript ones: ${d.name}, ${variant}`, () => {
        const ctx = new LocalContext();
        const hout = d.h + d.top + d.bottom - 2;
        const wout = d.w + d.left + d.right - 2;
        const g: ConvGeometry = { h: d.h, w: d.w, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, top: d.top, left: d.left, hout, wout };
        const r = rng(d.cin * 31 + d.w);
        const n = 2;
        const inMem = (a: Float32Array) => {
          const b = ctx.allocatePlan(a.length);
          b.set(a);
          return b;
        };
        const x = inMem(randomArray(n * d.cin * d.h * d.w, r));
        const weight = randomArray(d.cout * d.cin * 9, r);
        const bias = randomArray(d.cout, r);
        const withRes = variant.includes('residual');
        const res = withRes ? inMem(randomArray(n * d.cout * hout * wout, r)) : undefined;
        const relu = variant.includes('relu');
        const relu6 = variant.includes('relu6');
        let prologue;
        if (variant.includes('prologue')) {
          const ss = new Float64Array(2 * (d.cin + 1));
          for (let i = 0; i < ss.length; i++) ss[i] = r() * 2 - 0.5;
          prologue = { ss, channels: d.cin + 1, channel0: 1, relu: variant.includes('bn+relu') };
        }
        const wc = prepareWinograd(weight, d.cin, d.cout, g, undefined, bias, relu, relu6, (k) => ctx.allocatePlan(k), prologue);
        const len = n * d.cout * hout * wout;
        // Eight floats after the output, which the wasm output transform must not write.
        const full = ctx.allocatePlan(len + 8).fill(7);
        const yWasm = full.subarray(0, len);
        const spy = vi.spyOn(WasmWinogradKernels.prototype, 'output');
        runWinograd(wc, ctx, n, x, yWasm, res);
        expect(spy).toHaveBeenCalled();
        spy.mockRestore();
        expect([...full.subarray(len)].every((v) => v === 7)).toBe(true);
        const before = process.env['CNNSCOPE_WINOGRAD_WASM'];
        process.env['CNNSCOPE_WINOGRAD_WASM'] = '0';
        try {
          const yj = ctx.allocatePlan(len);
          runWinograd(wc, ctx, n, x, yj, res);
          expect(relativeError(yWasm, yj)).toBeLessThan(TOLERANCE);
          if (relu) expect(yWasm.every((v) => v >= 0 && (!relu6 || v <= 6))).toBe(true);
        } finally {
          if (before === undefined) delete process.env['CNNSCOPE_WINOGRAD_WASM'];
          else process.env['CNNSCOPE_WINOGRAD_WASM'] = before;
        }
      });
    }
  }
});

// Threads share a block's input transform (by channels), its 16 GEMMs (one a chunk) and its output
// transform (by channels), with the built worker (dist/execute/worker.js: `npm test` builds first).
describe.skipIf(!existsSync(new URL('../../dist/execute/worker.js', import.meta.url)))('Winograd on threads', () => {
  // 96 channels at 46x46 (23 tiles a row, not a multiple of 4: the input transform's last vector
  // of a row passes the channel's tiles), two blocks a sample; then 30x30 (15 tiles a row); a
  // residual with relu6, and a pre-activation prologue.
  const yaml = model(
    '[96, 46, 46]',
    `  - conv: {name: c1, out: 96, kernel: 3, padding: 1, bias: false}
  - batchnorm: {name: b1}
  - relu: {name: r1}
  - conv: {name: c2, out: 96, kernel: 3, padding: 1, bias: false}
  - batchnorm: {name: b2}
  - add: {name: a2, inputs: [b2, r1]}
  - relu6: {name: r2}
  - batchnorm: {name: b3}
  - relu: {name: r3}
  - conv: {name: c3, out: 112, kernel: 3, padding: 1}
  - conv: {name: c4, out: 96, kernel: 3, stride: 1, padding: 0}
  - maxpool: {name: p, kernel: 2, stride: 2}
  - conv: {name: c5, out: 128, kernel: 3, padding: 1}
  - relu: {name: r5}
`,
  );
  it('gives the bits of one thread on 2 and 3 threads, and shares every phase', async () => {
    const graph = buildGraph(yaml, { file: 'wino-threads.yaml' });
    const outputs: Float32Array[] = [];
    const phases = new Set<string>();
    for (const threads of [1, 2, 3]) {
      const ctx = await createContext(threads);
      try {
        const shareWinograd = (ctx as unknown as { shareWinograd?: (...a: unknown[]) => boolean }).shareWinograd;
        if (shareWinograd) {
          vi.spyOn(ctx as unknown as { shareWinograd: (phase: string) => boolean }, 'shareWinograd').mockImplementation(function (
            this: unknown,
            ...args: unknown[]
          ) {
            phases.add(args[0] as string);
            return shareWinograd.apply(this, args);
          });
        }
        const input = tensor([2, 96, 46, 46], ctx.allocate(2 * 96 * 46 * 46));
        input.data.set(randomArray(input.data.length, rng(11)));
        const r = withMode(undefined, () => execute(graph, { weights: syntheticWeights(graph, 4, ctx.allocate), input, context: ctx }));
        outputs.push(r.outputs[0].tensor.data.slice());
      } finally {
        await ctx.close();
      }
    }
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[2]).toEqual(outputs[0]);
    expect([...phases].sort()).toEqual(['gemm', 'input', 'output']);
  });
});
