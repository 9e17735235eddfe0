/**
 * Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016) for the plan's 3x3 stride-1
 * convolutions: each 2x2 block of output (a tile) is computed from the 4x4 block of input that
 * covers it with 16 multiplies per channel pair instead of 36, so the conv's GEMM work drops
 * 2.25x. With the transforms
 *
 *   B^T = | 1  0 -1  0 |     G = |  1    0    0  |     A^T = | 1  1  1  0 |
 *         | 0  1  1  0 |         | 1/2  1/2  1/2 |           | 0  1 -1 -1 |
 *         | 0 -1  1  0 |         | 1/2 -1/2  1/2 |
 *         | 0  1  0 -1 |         |  0    0    1  |
 *
 * and, per output channel m, input channel c and tile t (input patch d, 3x3 filter g):
 *
 *   U = G g G^T  (4x4, once at plan build)    V = B^T d B  (4x4)    Y = A^T (sum_c U ⊙ V) A  (2x2)
 *
 * the sum over c of the 16 products is 16 GEMMs, one per element xi of the 4x4 matrices:
 * M_xi [cout, T] = U_xi [cout, cin] · V_xi [cin, T]. They run on the plan's packed GEMM
 * (gemm-kernel.ts's packWeights and PackedGemm with B a plain matrix, through ctx.gemmPacked),
 * so they are split between threads as the direct convs are. The tiles are taken a block of
 * whole tile rows at a time (blockTiles: a few hundred), so V and M of one block stay in cache:
 *
 *   per sample, per block of tile rows:
 *     V = input transform of the block (per channel: its rows copied into a zero-padded strip,
 *         then every 4x4 patch, at a stride of 2, transformed: additions only)
 *     16 GEMMs M_xi = U_xi · V_xi
 *     output transform: Y = A^T M A + bias (+ residual) (relu or relu6), written to the output.
 *
 * Batchnorm is folded into U (the filter times its scale, in float64, before the transform, one
 * rounding to float32). The transforms are additions on O(cin*P) and O(cout*P) values against the
 * GEMMs' O(cin*cout*P); they run in wasm SIMD (wasm/winograd-kernel.ts, 4 tiles a vector) when the
 * tensors are in the engine memory, else (and with CNNSCOPE_WINOGRAD_WASM=0) in JavaScript below
 * (measured in docs/metrics.md "Execute mode").
 *
 * Numerics: the transforms of F(2x2, 3x3) have entries 0, ±1 and ±1/2; the JavaScript ones add in
 * float64 and round once, the wasm ones add in float32 (a few 1e-7 apart); the GEMMs sum cin
 * float32 terms (the direct path 9*cin). Against the reference
 * path, about 1e-6 relative on whole models, as the direct plan (docs/metrics.md; F(4x4, 3x3) reaches
 * 1e-5 on one conv, so it is not used; bounded at 1e-5 in test/execute/winograd.test.ts).
 * The MACs reported are those of the direct convolution (the static count), though the GEMMs do
 * 4/9 of them.
 */
import type { ConvGeometry } from '../kernels/im2col.js';
import { rowMajor } from '../kernels/mat.js';
import { packedFloats, packWeights, type PackedA, type PackedGemm, type Prologue } from './wasm/gemm-kernel.js';
import {
  ACTS,
  INPUT_PARAMS,
  OUTPUT_PARAMS,
  PROS,
  winogradKernelsOn,
  type InputArgs,
  type OutputArgs,
  type WasmWinogradKernels,
} from './wasm/winograd-kernel.js';
import type { WasmGemm } from './wasm/gemm-kernel.js';

/**
 * The tiles of one block, about (whole tile rows): 256 when cin + cout <= 128, else 512. Smaller
 * blocks keep V and M in cache, larger ones feed the GEMM wider panels; measured on VGG's and
 * ResNet's shapes (docs/metrics.md): 512 tiles of 64 channels in and out ran 1.1x the direct
 * path, 256 tiles 1.5x; at 256 channels 512 tiles were a little faster than 128.
 */
export function blockTiles(cin: number, cout: number): number {
  return cin + cout <= 128 ? 256 : 512;
}

/** Output pixels below which the direct path stays faster (measured with the wasm transforms, docs/metrics.md: 7x7 1.9x). */
export const MIN_OUTPUT_PIXELS = 7 * 7;
/** Input channels below which the direct path stays faster (3 channels: 0.3x; 8: 1.3x). */
export const MIN_INPUT_CHANNELS = 8;

/** The conv's arguments this module needs (a subset of conv's ConvArgs). */
export interface WinogradShape {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/**
 * Whether the plan runs a conv with Winograd: 3x3, stride 1, dilation 1, one group, and an
 * output and enough input channels to pay for the transforms. CNNSCOPE_WINOGRAD=0 turns it off; =always
 * takes every such conv whatever its size (the tests).
 */
export function winogradApplies(a: WinogradShape, cin: number, hout: number, wout: number): boolean {
  const mode = process.env['CNNSCOPE_WINOGRAD'];
  if (mode === '0') return false;
  const shape =
    a.kernel[0] === 3 && a.kernel[1] === 3 && a.stride[0] === 1 && a.stride[1] === 1 && a.dilation[0] === 1 && a.dilation[1] === 1;
  if (!shape || a.groups !== 1) return false;
  return mode === 'always' || (hout * wout >= MIN_OUTPUT_PIXELS && cin >= MIN_INPUT_CHANNELS);
}

/** What runs the GEMMs: the plan's context (its `macs` are set back to the direct conv's). */
export interface WinogradContext {
  macs: number;
  gemmPacked(job: PackedGemm): void;
  readonly allocate?: (n: number) => Float32Array;
  /** The engine memory's buffers (context.ts), where the GEMM reads B and writes C in place. */
  readonly allocatePlan?: (n: number) => Float32Array;
  /** The engine memory and a view's byte address in it (-1 outside): the wasm transforms run there. */
  readonly memory?: WebAssembly.Memory;
  addressOf?(a: ArrayBufferView): number;
  /** Threads that share the work (threads.ts): each has its own strip for the wasm transforms. */
  readonly threads?: number;
  /**
   * Runs a phase of a block as `chunks` chunks shared between the threads (threads.ts PoolContext,
   * each thread runs winogradChunks); false when it cannot (the caller then runs it alone).
   */
  shareWinograd?(phase: WinogradPhase, ints: readonly number[], chunks: number): boolean;
}

/** The phases of a block that the threads share: the input transform, the 16 GEMMs, the output transform. */
export type WinogradPhase = 'input' | 'gemm' | 'output';

/** A conv prepared for Winograd: the transformed, packed weights and the epilogue. */
export interface WinogradConv {
  readonly cin: number;
  readonly cout: number;
  readonly geometry: ConvGeometry;
  /** U_xi packed, xi = 4*i + j. */
  readonly u: readonly PackedA[];
  /** The folded bias (per output channel), added in the output transform. */
  readonly bias: Float32Array;
  /** Zeros: the GEMMs' bias. */
  readonly zero: Float32Array;
  readonly relu: boolean;
  readonly relu6: boolean;
  /** A batchnorm (and relu) before the conv, applied as the input is copied into the strip. */
  readonly prologue: Prologue | undefined;
  /** Floats held: U packed and the two biases. */
  readonly floats: number;
}

/** Floats of the packed U of a conv [cout, cin, 3, 3], and its two biases. */
export function winogradFloats(cin: number, cout: number): number {
  return 16 * packedFloats(cout, cin) + 2 * cout;
}

/**
 * U = G g G^T for every (m, c) of weight [cout, cin, 3, 3], g times scale[m] when given (folded
 * batchnorm), in float64, then packed per xi; `bias` is the folded bias (cout floats).
 */
export function prepareWinograd(
  weight: Float32Array,
  cin: number,
  cout: number,
  geometry: ConvGeometry,
  scale: Float64Array | undefined,
  bias: Float32Array,
  relu: boolean,
  relu6: boolean,
  allocate: (n: number) => Float32Array,
  prologue?: Prologue,
): WinogradConv {
  const mc = cout * cin;
  const ux = new Float32Array(16 * mc);
  const g = new Float64Array(9);
  const t = new Float64Array(12);
  for (let m = 0; m < cout; m++) {
    const s = scale ? scale[m] : 1;
    for (let c = 0; c < cin; c++) {
      const at = (m * cin + c) * 9;
      for (let k = 0; k < 9; k++) g[k] = weight[at + k] * s;
      // t = G g (4x3): rows g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2.
      for (let j = 0; j < 3; j++) {
        const g0 = g[j];
        const g1 = g[3 + j];
        const g2 = g[6 + j];
        t[j] = g0;
        t[3 + j] = (g0 + g1 + g2) / 2;
        t[6 + j] = (g0 - g1 + g2) / 2;
        t[9 + j] = g2;
      }
      // U = t G^T (4x4), the same on columns.
      for (let i = 0; i < 4; i++) {
        const t0 = t[3 * i];
        const t1 = t[3 * i + 1];
        const t2 = t[3 * i + 2];
        const row = [t0, (t0 + t1 + t2) / 2, (t0 - t1 + t2) / 2, t2];
        for (let j = 0; j < 4; j++) ux[(4 * i + j) * mc + m * cin + c] = row[j];
      }
    }
  }
  const per = packedFloats(cout, cin);
  const store = allocate(16 * per + cout);
  const u: PackedA[] = [];
  for (let xi = 0; xi < 16; xi++) u.push(packWeights(cout, cin, rowMajor(ux, xi * mc, cin), store, xi * per));
  const zero = store.subarray(16 * per, 16 * per + cout);
  return { cin, cout, geometry, u, bias, zero, relu, relu6, prologue, floats: winogradFloats(cin, cout) };
}

/**
 * Floats between the 16 matrices of a block of V or M (n floats each): n rounded up to a cache
 * line, plus one, so that the 16 streams the transforms read or write at once do not fall in
 * the same cache set (at n a multiple of 1024 floats they all would: measured 2x slower).
 */
function xiStride(n: number): number {
  return Math.ceil(n / 16) * 16 + 16;
}

/** Per context: the V and M blocks and the padded strip (grown as needed, reused by every conv). */
interface Scratch {
  v: Float32Array;
  m: Float32Array;
  strip: Float32Array;
  /** The wasm transforms' strip (phase planes) and output scratch, in the engine memory. */
  wasmStrip?: Float32Array;
}
const scratches = new WeakMap<object, Scratch>();

function scratchOf(ctx: WinogradContext, vFloats: number, mFloats: number, stripFloats: number): Scratch {
  // V and M in the engine memory when there is one (the GEMMs then read and write them in place).
  const make = ctx.allocatePlan ?? ctx.allocate ?? ((n: number) => new Float32Array(n));
  let s = scratches.get(ctx);
  if (!s) scratches.set(ctx, (s = { v: make(0), m: make(0), strip: new Float32Array(0) }));
  if (s.v.length < vFloats) s.v = make(vFloats);
  if (s.m.length < mFloats) s.m = make(mFloats);
  if (s.strip.length < stripFloats) s.strip = new Float32Array(stripFloats);
  return s;
}

/** Floats past a channel's tiles in V on the wasm path (the input transform's last vector of a row, see runWinograd). */
const V_PAD = 4;

/** Tiles down and across, and the tile rows of a block. */
function blocking(wc: WinogradConv): { th: number; tw: number; rowsPerBlock: number } {
  const th = Math.ceil(wc.geometry.hout / 2);
  const tw = Math.ceil(wc.geometry.wout / 2);
  return { th, tw, rowsPerBlock: Math.max(1, Math.min(th, Math.round(blockTiles(wc.cin, wc.cout) / tw))) };
}

/** The context's scratch, grown for this conv's blocks. */
function scratchFor(wc: WinogradConv, ctx: WinogradContext): Scratch {
  const { tw, rowsPerBlock } = blocking(wc);
  const tb = rowsPerBlock * tw;
  return scratchOf(ctx, 16 * xiStride(wc.cin * (tb + V_PAD)), 16 * xiStride(wc.cout * tb), (2 * rowsPerBlock + 2) * (2 * tw + 2));
}

/**
 * Before the first pass: the scratch this conv needs made (and its pages written once), so that
 * the pass neither grows it nor pays the page faults of fresh memory (plan.ts reservePlanMemory).
 */
export function prepareWinogradScratch(wc: WinogradConv, ctx: WinogradContext): void {
  const s = scratchFor(wc, ctx);
  s.v.fill(0);
  s.m.fill(0);
}

/**
 * y = epilogue(conv(x)) for n samples: x [n, cin, h, w], y and residual [n, cout, hout, wout].
 * Adds the direct convolution's MACs to ctx.macs (not the GEMMs' 4/9 of them).
 */
export function runWinograd(
  wc: WinogradConv,
  ctx: WinogradContext,
  n: number,
  x: Float32Array,
  y: Float32Array,
  residual: Float32Array | undefined,
): void {
  const { cin, cout, geometry: g } = wc;
  const { h, w, hout, wout } = g;
  const { th, tw, rowsPerBlock } = blocking(wc);
  const s = scratchFor(wc, ctx);
  const macs0 = ctx.macs;
  const wasm = wasmPath(wc, ctx, x, y, residual, s, rowsPerBlock, tw);
  for (let smp = 0; smp < n; smp++) {
    const xOff = smp * cin * h * w;
    const yOff = smp * cout * hout * wout;
    for (let ty0 = 0; ty0 < th; ty0 += rowsPerBlock) {
      const rows = Math.min(rowsPerBlock, th - ty0);
      const tiles = rows * tw;
      // A channel of V is `vt` floats apart: the wasm input transform writes whole vectors of 4
      // tiles, up to 3 past a channel's last tile, which must not land in the next channel when
      // threads write the channels (V_PAD).
      const vt = wasm ? tiles + V_PAD : tiles;
      const vs = xiStride(cin * vt);
      const ms = xiStride(cout * tiles);
      if (wasm) wasmInput(wasm, wc, smp, tw, ty0, rows, vt, vs, ctx);
      else inputTransform(x, xOff, cin, g, wc.prologue, tw, ty0, rows, s.strip, s.v, tiles, vs);
      if (wasm && shareGemms(wasm, wc, tiles, vt, vs, ms, ctx)) {
        // the 16 GEMMs ran as one shared job
      } else
        for (let xi = 0; xi < 16; xi++) {
          ctx.gemmPacked({
            M: cout,
            N: tiles,
            K: cin,
            A: wc.u[xi],
            B: { kind: 'mat', mat: { data: s.v, offset: xi * vs, rs: vt, cs: 1 } },
            C: rowMajor(s.m, xi * ms, tiles),
            bias: wc.zero,
            biasOffset: 0,
            relu: false,
          });
        }
      if (wasm) wasmOutput(wasm, wc, smp, tw, ty0, rows, tiles, ms, ctx);
      else outputTransform(wc, s.m, tiles, ms, tw, ty0, rows, y, yOff, residual);
    }
  }
  // The MACs of the direct convolution (the static count), as the reference reports them.
  ctx.macs = macs0 + n * cout * hout * wout * cin * 9;
}

/** What the wasm transforms of one runWinograd call need: the kernels and byte addresses. */
interface WasmRun {
  readonly k: WasmWinogradKernels;
  readonly x: number;
  readonly y: number;
  readonly res: number;
  readonly hasRes: boolean;
  readonly v: number;
  readonly m: number;
  readonly strip: number;
  /** Bytes of a strip row (its E then O plane, wp floats each). */
  readonly rowB: number;
  readonly oOff: number;
  readonly scratch: number;
  readonly bias: number;
  readonly ss: number;
  /** Bytes between the threads' strips (each thread's strip and output scratch its own). */
  readonly stripStride: number;
  /** The GEMMs' zero bias and the 16 packed U_xi (byte addresses; -1 when one is outside the memory). */
  readonly zero: number;
  readonly u: readonly number[];
}

/** Per conv and engine memory: its bias and prologue's scale and shift copied into the memory. */
const constantsOf = new WeakMap<WinogradConv, { memory: WebAssembly.Memory; bias: number; ss: number }>();

/** Off with CNNSCOPE_WINOGRAD_WASM=0 (the JavaScript transforms, the tests' reference). */
const wasmTransformsEnabled = () => process.env['CNNSCOPE_WINOGRAD_WASM'] !== '0';

/**
 * The wasm transforms' addresses when x, y, the residual, V and M are all in the context's engine
 * memory, else undefined (the JavaScript transforms).
 */
function wasmPath(
  wc: WinogradConv,
  ctx: WinogradContext,
  x: Float32Array,
  y: Float32Array,
  residual: Float32Array | undefined,
  s: Scratch,
  rowsPerBlock: number,
  tw: number,
): WasmRun | undefined {
  const { memory, allocatePlan } = ctx;
  if (!memory || !allocatePlan || !ctx.addressOf || !wasmTransformsEnabled()) return undefined;
  const at = (a: Float32Array) => ctx.addressOf!(a);
  const [xAt, yAt, vAt, mAt] = [at(x), at(y), at(s.v), at(s.m)];
  const resAt = residual ? at(residual) : 0;
  if (xAt < 0 || yAt < 0 || vAt < 0 || mAt < 0 || resAt < 0) return undefined;
  // Room for the vectors the transform reads (tw + 1 columns rounded up to 4, then 4) and for what
  // the row copy writes past a row's columns (up to column tw + 4).
  const wp = Math.ceil((tw + 1) / 4) * 4 + 4;
  const rowB = 2 * wp * 4;
  // The strip's rows, then 64 bytes of output scratch, 16-byte aligned; one such block a thread.
  const perThread = Math.ceil(((2 * rowsPerBlock + 2) * 2 * wp + 16) / 16) * 16;
  const floats = (ctx.threads ?? 1) * perThread + 4;
  if (!s.wasmStrip || s.wasmStrip.length < floats) s.wasmStrip = allocatePlan(floats);
  const stripAt = at(s.wasmStrip);
  if (stripAt < 0) return undefined;
  const strip = Math.ceil(stripAt / 16) * 16;
  let consts = constantsOf.get(wc);
  if (!consts || consts.memory !== memory) {
    const bias = allocatePlan(wc.cout);
    bias.set(wc.bias);
    const pro = wc.prologue;
    let ss = 0;
    if (pro) {
      const buf = allocatePlan(2 * pro.ss.length + 2);
      const at8 = Math.ceil(at(buf) / 8) * 8;
      new Float64Array(memory.buffer, at8, pro.ss.length).set(pro.ss);
      ss = at8;
    }
    consts = { memory, bias: at(bias), ss };
    if (consts.bias < 0 || (pro && ss < 0)) return undefined;
    constantsOf.set(wc, consts);
  }
  return {
    k: winogradKernelsOn(memory),
    x: xAt,
    y: yAt,
    res: resAt,
    hasRes: residual !== undefined,
    v: vAt,
    m: mAt,
    strip,
    rowB,
    oOff: wp * 4,
    scratch: strip + (2 * rowsPerBlock + 2) * rowB,
    bias: consts.bias,
    ss: consts.ss,
    stripStride: perThread * 4,
    zero: at(wc.zero),
    u: wc.u.map((u) => (at(u.data) < 0 ? -1 : at(u.data) + u.offset * 4)),
  };
}

/** inputTransform in wasm (winograd-kernel.ts): the strip as even and odd column planes. */
function wasmInput(
  r: WasmRun,
  wc: WinogradConv,
  smp: number,
  tw: number,
  ty0: number,
  rows: number,
  tiles: number,
  vs: number,
  ctx: WinogradContext,
): void {
  const { cin, geometry: g, prologue: pro } = wc;
  const { h, w, top, left } = g;
  const W = 2 * tw + 2;
  const R = 2 * rows + 2;
  const c0 = Math.max(0, left);
  const c1 = Math.min(W, w + left);
  const rLo = Math.max(0, top - 2 * ty0);
  const rHi = Math.min(R, h + top - 2 * ty0);
  const rN = c1 > c0 ? Math.max(0, rHi - rLo) : 0;
  const ih = 2 * ty0 - top + rLo;
  const je = c0 + (c0 & 1);
  const jo = c0 + 1 - (c0 & 1);
  const count = (j: number) => (j < c1 ? Math.floor((c1 - 1 - j) / 2) + 1 : 0);
  const mode = pro ? (pro.relu ? 'bn_relu' : 'bn') : 'none';
  const args: InputArgs = {
    cin,
    x: rN > 0 ? r.x + (smp * cin * h * w + ih * w + c0 - left) * 4 : 0,
    xPlane: h * w * 4,
    xRow: w * 4,
    strip: r.strip,
    stripBytes: R * r.rowB,
    rowB: r.rowB,
    oOff: r.oOff,
    rA: rLo * r.rowB,
    rN,
    eSrc: (je - c0) * 4,
    eDst: (je >> 1) * 4,
    eN: count(je),
    oSrc: (jo - c0) * 4,
    oDst: r.oOff + (jo >> 1) * 4,
    oN: count(jo),
    vA: (c0 & 1 ? r.oOff : 0) + (c0 >> 1) * 4,
    vB: (c0 & 1 ? 0 : r.oOff) + ((c0 + 1) >> 1) * 4,
    chunks: Math.ceil((c1 - c0) / 8),
    zA: (c1 & 1 ? r.oOff : 0) + (c1 >> 1) * 4,
    zB: (c1 & 1 ? 0 : r.oOff) + ((c1 + 1) >> 1) * 4,
    ss: r.ss,
    ch0: pro ? pro.channel0 * 8 : 0,
    shiftOff: pro ? pro.channels * 8 : 0,
    rows,
    groups: Math.ceil(tw / 4),
    twB: tw * 4,
    v: r.v,
    vS: vs * 4,
    tilesB: tiles * 4,
  };
  const ints = [PROS.indexOf(mode), r.stripStride, ...INPUT_PARAMS.map((p) => args[p])];
  if (!shared(ctx, cin * tiles, cin) || !ctx.shareWinograd!('input', ints, transformChunks(ctx, cin))) r.k.input(mode, args);
}

/** outputTransform in wasm (winograd-kernel.ts). */
function wasmOutput(
  r: WasmRun,
  wc: WinogradConv,
  smp: number,
  tw: number,
  ty0: number,
  rows: number,
  tiles: number,
  ms: number,
  ctx: WinogradContext,
): void {
  const { cout, relu, relu6 } = wc;
  const { hout, wout } = wc.geometry;
  const first = (smp * cout * hout + 2 * ty0) * wout * 4;
  const act = relu ? (relu6 ? 'relu6' : 'relu') : 'none';
  const args: OutputArgs = {
    cout,
    m: r.m,
    mS: ms * 4,
    tilesB: tiles * 4,
    twB: tw * 4,
    rows,
    twoLast: 2 * (ty0 + rows - 1) + 1 < hout ? 1 : 0,
    y: r.y + first,
    res: r.hasRes ? r.res + first : 0,
    yPlane: hout * wout * 4,
    yRow: wout * 4,
    bias: r.bias,
    full: Math.floor(wout / 8),
    tailB: (wout % 8) * 4,
    scratch: r.scratch,
  };
  const ints = [r.hasRes ? 1 : 0, ACTS.indexOf(act), r.stripStride, ...OUTPUT_PARAMS.map((p) => args[p])];
  if (!shared(ctx, cout * tiles, cout) || !ctx.shareWinograd!('output', ints, transformChunks(ctx, cout))) r.k.output(r.hasRes, act, args);
}

/** Below this many values a transform runs on one thread (waking the others costs more). */
const SHARE_TRANSFORM = 1 << 15;

/** Whether a transform of `values` over `channels` is worth sharing between the context's threads. */
function shared(ctx: WinogradContext, values: number, channels: number): boolean {
  const threads = ctx.threads ?? 1;
  return threads > 1 && ctx.shareWinograd !== undefined && values >= SHARE_TRANSFORM && channels >= threads;
}

/** Chunks of a shared transform: two a thread, so that a thread that is late leaves little to wait for. */
function transformChunks(ctx: WinogradContext, channels: number): number {
  return Math.min(channels, 2 * (ctx.threads ?? 1));
}

/** The 16 GEMMs of a block as one job of 16 chunks (one GEMM each) when the context shares work. */
function shareGemms(r: WasmRun, wc: WinogradConv, tiles: number, vt: number, vs: number, ms: number, ctx: WinogradContext): boolean {
  if ((ctx.threads ?? 1) < 2 || !ctx.shareWinograd || r.zero < 0 || r.u.some((u) => u < 0)) return false;
  if (16 * wc.cout * wc.cin * tiles < SHARE_GEMMS) return false;
  const ints = [wc.cin, wc.cout, tiles, vt, r.v, vs, r.m, ms, r.zero, wc.u[0].mPad, ...r.u];
  if (!ctx.shareWinograd('gemm', ints, 16)) return false;
  ctx.macs += 16 * wc.cout * wc.cin * tiles;
  return true;
}
/** MACs of a block's 16 GEMMs below which they run one by one (each split between threads or not). */
const SHARE_GEMMS = 1 << 21;

/**
 * Chunk c of `chunks` of a shared phase (the job's integers as shareWinograd was given them), as
 * thread `thread` runs it on the engine memory with its own GEMM: channels [c0, c1) of a
 * transform, or GEMM xi = c. Each thread's strip is its own; every chunk writes its own part.
 */
export function winogradChunks(
  phase: WinogradPhase,
  memory: WebAssembly.Memory,
  ints: readonly number[],
  chunks: number,
  thread: number,
  engine: WasmGemm,
): (c: number) => void {
  const range = (total: number, c: number): [number, number] => {
    const size = Math.ceil(total / chunks);
    return [Math.min(total, c * size), Math.min(total, (c + 1) * size)];
  };
  if (phase === 'input') {
    const k = winogradKernelsOn(memory);
    const mode = PROS[ints[0]];
    const stride = ints[1];
    const a = Object.fromEntries(INPUT_PARAMS.map((p, i) => [p, ints[2 + i]])) as InputArgs;
    return (c) => {
      const [c0, c1] = range(a.cin, c);
      if (c1 <= c0) return;
      const strip = a.strip + thread * stride;
      k.input(mode, { ...a, cin: c1 - c0, x: a.rN > 0 ? a.x + c0 * a.xPlane : 0, strip, v: a.v + c0 * a.tilesB, ch0: a.ch0 + c0 * 8 });
    };
  }
  if (phase === 'output') {
    const k = winogradKernelsOn(memory);
    const hasRes = ints[0] === 1;
    const act = ACTS[ints[1]];
    const stride = ints[2];
    const a = Object.fromEntries(OUTPUT_PARAMS.map((p, i) => [p, ints[3 + i]])) as OutputArgs;
    return (c) => {
      const [c0, c1] = range(a.cout, c);
      if (c1 <= c0) return;
      k.output(hasRes, act, {
        ...a,
        cout: c1 - c0,
        m: a.m + c0 * a.tilesB,
        y: a.y + c0 * a.yPlane,
        res: hasRes ? a.res + c0 * a.yPlane : 0,
        bias: a.bias + c0 * 4,
        scratch: a.scratch + thread * stride,
      });
    };
  }
  const [cin, cout, tiles, vt, v, vs, m, ms, zero, mPad] = ints;
  const floats = new Float32Array(memory.buffer);
  return (xi) => {
    const job: PackedGemm = {
      M: cout,
      N: tiles,
      K: cin,
      A: { data: floats, offset: ints[10 + xi] / 4, M: cout, K: cin, mPad },
      B: { kind: 'mat', mat: { data: floats, offset: v / 4 + xi * vs, rs: vt, cs: 1 } },
      C: rowMajor(floats, m / 4 + xi * ms, tiles),
      bias: floats,
      biasOffset: zero / 4,
      relu: false,
    };
    engine.gemmPacked(job, 0, cout, 0, tiles);
  };
}

/**
 * V[xi][c][t] = (B^T d B)_xi for the tiles t of tile rows [ty0, ty0 + rows) (row-major, tw a
 * row), d the 4x4 input patch at (2*ty - top, 2*tx - left), zero outside the input. Per channel,
 * the patch rows are first copied into `strip` (2*rows + 2 rows of 2*tw + 2 columns, zero-padded),
 * so the transform reads without bounds tests.
 */
function inputTransform(
  x: Float32Array,
  xOff: number,
  cin: number,
  g: ConvGeometry,
  pro: Prologue | undefined,
  tw: number,
  ty0: number,
  rows: number,
  strip: Float32Array,
  v: Float32Array,
  tiles: number,
  S: number,
): void {
  const { h, w, top, left } = g;
  const W = 2 * tw + 2;
  const R = 2 * rows + 2;
  // Columns of the strip that hold input columns: [c0, c1) from input column c0 - left.
  const c0 = Math.max(0, left);
  const c1 = Math.min(W, w + left);
  for (let c = 0; c < cin; c++) {
    const plane = xOff + c * h * w;
    strip.fill(0, 0, R * W);
    for (let r = 0; r < R; r++) {
      const ih = 2 * ty0 - top + r;
      if (ih < 0 || ih >= h || c1 <= c0) continue;
      const src = plane + ih * w + c0 - left;
      if (pro) prologueRow(x, src, strip, r * W + c0, c1 - c0, pro, c);
      else strip.set(x.subarray(src, src + c1 - c0), r * W + c0);
    }
    let t = c * tiles;
    for (let ty = 0; ty < rows; ty++) {
      let b = 2 * ty * W;
      // The patch's first two columns are the previous tile's last two: carried over.
      let a0 = strip[b],
        a1 = strip[b + W],
        a2 = strip[b + 2 * W],
        a3 = strip[b + 3 * W];
      let b0 = strip[b + 1],
        b1 = strip[b + 1 + W],
        b2 = strip[b + 1 + 2 * W],
        b3 = strip[b + 1 + 3 * W];
      for (let tx = 0; tx < tw; tx++, t++) {
        const c0_ = strip[b + 2],
          c1_ = strip[b + 2 + W],
          c2_ = strip[b + 2 + 2 * W],
          c3_ = strip[b + 2 + 3 * W];
        const d0 = strip[b + 3],
          d1 = strip[b + 3 + W],
          d2 = strip[b + 3 + 2 * W],
          d3 = strip[b + 3 + 3 * W];
        // Columns a, b, c, d of the patch, rows 0-3. Rows first: r0 = d0 - d2, r1 = d1 + d2,
        // r2 = d2 - d1, r3 = d1 - d3 (B^T d), per column.
        const ar0 = a0 - a2,
          ar1 = a1 + a2,
          ar2 = a2 - a1,
          ar3 = a1 - a3;
        const br0 = b0 - b2,
          br1 = b1 + b2,
          br2 = b2 - b1,
          br3 = b1 - b3;
        const cr0 = c0_ - c2_,
          cr1 = c1_ + c2_,
          cr2 = c2_ - c1_,
          cr3 = c1_ - c3_;
        const dr0 = d0 - d2,
          dr1 = d1 + d2,
          dr2 = d2 - d1,
          dr3 = d1 - d3;
        // Then columns ((B^T d) B): per row, a - c, b + c, c - b, b - d.
        v[t] = ar0 - cr0;
        v[t + S] = br0 + cr0;
        v[t + 2 * S] = cr0 - br0;
        v[t + 3 * S] = br0 - dr0;
        v[t + 4 * S] = ar1 - cr1;
        v[t + 5 * S] = br1 + cr1;
        v[t + 6 * S] = cr1 - br1;
        v[t + 7 * S] = br1 - dr1;
        v[t + 8 * S] = ar2 - cr2;
        v[t + 9 * S] = br2 + cr2;
        v[t + 10 * S] = cr2 - br2;
        v[t + 11 * S] = br2 - dr2;
        v[t + 12 * S] = ar3 - cr3;
        v[t + 13 * S] = br3 + cr3;
        v[t + 14 * S] = cr3 - br3;
        v[t + 15 * S] = br3 - dr3;
        a0 = c0_;
        a1 = c1_;
        a2 = c2_;
        a3 = c3_;
        b0 = d0;
        b1 = d1;
        b2 = d2;
        b3 = d3;
        b += 2;
      }
    }
  }
}

/**
 * dst[at:at+n] = f(x[src:src+n]) of channel c: x * ss[c] + ss[channels + c] in float64, rounded
 * to float32, then max(0, .) when relu (NaN kept): batchnorm.ts's and relu.ts's bits. The strip's
 * padding stays 0: the conv pads f(x).
 */
function prologueRow(x: Float32Array, src: number, dst: Float32Array, at: number, n: number, pro: Prologue, c: number): void {
  const ch = pro.channel0 + c;
  const sc = pro.ss[ch];
  const sf = pro.ss[pro.channels + ch];
  if (pro.relu) {
    for (let i = 0; i < n; i++) {
      const v = Math.fround(x[src + i] * sc + sf);
      dst[at + i] = v < 0 ? 0 : v;
    }
  } else {
    for (let i = 0; i < n; i++) dst[at + i] = x[src + i] * sc + sf;
  }
}

/**
 * Y = A^T M A per output channel and tile, plus the bias, rounded to float32 (the conv's
 * output), plus the residual (rounded), then relu (NaN kept) or relu6; the tile's pixels outside
 * the output (odd hout or wout) are dropped.
 */
function outputTransform(
  wc: WinogradConv,
  mb: Float32Array,
  tiles: number,
  S: number,
  tw: number,
  ty0: number,
  rows: number,
  y: Float32Array,
  yOff: number,
  res: Float32Array | undefined,
): void {
  const { cout, bias, relu, relu6 } = wc;
  const { hout, wout } = wc.geometry;
  const hi = relu6 ? 6 : Infinity;
  const oddW = (wout & 1) === 1;
  for (let m = 0; m < cout; m++) {
    const bm = bias[m];
    const plane = yOff + m * hout * wout;
    let t = m * tiles;
    for (let ty = 0; ty < rows; ty++) {
      const oh = 2 * (ty0 + ty);
      const two = oh + 1 < hout;
      const row0 = plane + oh * wout;
      for (let tx = 0; tx < tw; tx++, t++) {
        const m00 = mb[t],
          m01 = mb[t + S],
          m02 = mb[t + 2 * S],
          m03 = mb[t + 3 * S];
        const m10 = mb[t + 4 * S],
          m11 = mb[t + 5 * S],
          m12 = mb[t + 6 * S],
          m13 = mb[t + 7 * S];
        const m20 = mb[t + 8 * S],
          m21 = mb[t + 9 * S],
          m22 = mb[t + 10 * S],
          m23 = mb[t + 11 * S];
        const m30 = mb[t + 12 * S],
          m31 = mb[t + 13 * S],
          m32 = mb[t + 14 * S],
          m33 = mb[t + 15 * S];
        // A^T M: rows s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (per column), then the same on columns.
        const s00 = m00 + m10 + m20,
          s01 = m01 + m11 + m21,
          s02 = m02 + m12 + m22,
          s03 = m03 + m13 + m23;
        const s10 = m10 - m20 - m30,
          s11 = m11 - m21 - m31,
          s12 = m12 - m22 - m32,
          s13 = m13 - m23 - m33;
        // Stored as float32: the conv's output, rounded; the epilogue follows per row.
        const at = row0 + 2 * tx;
        const last = oddW && tx === tw - 1;
        y[at] = s00 + s01 + s02 + bm;
        if (!last) y[at + 1] = s01 - s02 - s03 + bm;
        if (two) {
          y[at + wout] = s10 + s11 + s12 + bm;
          if (!last) y[at + wout + 1] = s11 - s12 - s13 + bm;
        }
      }
      if (res || relu) {
        epilogue(y, row0, wout, res, relu, hi);
        if (two) epilogue(y, row0 + wout, wout, res, relu, hi);
      }
    }
  }
}

/** y[at:at+n] = max(0, y + residual) (min hi) in place, each sum rounded to float32 (relu keeps NaN). */
function epilogue(y: Float32Array, at: number, n: number, res: Float32Array | undefined, relu: boolean, hi: number): void {
  const end = at + n;
  if (res && relu) {
    for (let i = at; i < end; i++) {
      const r = Math.fround(y[i] + res[i]);
      y[i] = r < 0 ? 0 : r > hi ? hi : r;
    }
  } else if (res) {
    for (let i = at; i < end; i++) y[i] += res[i];
  } else {
    for (let i = at; i < end; i++) {
      const r = y[i];
      y[i] = r < 0 ? 0 : r > hi ? hi : r;
    }
  }
}
