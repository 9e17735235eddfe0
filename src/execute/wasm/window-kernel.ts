/**
 * The depthwise convolution of the plan (one input channel per group: MobileNet, EfficientNet,
 * ConvNeXt) in WebAssembly SIMD128, generated at runtime by encoder.ts. A depthwise conv does
 * kh*kw MACs per output element against one load of it, so it is memory bound: what matters is
 * that every load is a full vector and that nothing is tested per element. Per output channel,
 * in one wasm call for a range of channels:
 *
 *   1. pack   the input plane into zero-padded *phase planes* Q (scratch): with a horizontal
 *             stride s, Q_f[r][c] = X[r - top][s*c + f - left] (0 outside X), f < s. The input
 *             column of output column ow and tap column j, s*ow + j*dw, is then column
 *             ow + floor(j*dw / s) of phase (j*dw) mod s: contiguous in ow for any stride, so a
 *             tap is a plain v128.load of 4 outputs' inputs. (s = 1: Q is X with its padding.)
 *   2. conv   per output row, 8 outputs (two vectors) at a time: acc = bias, then for each tap
 *             acc += w[tap] * Q[oh*sh + i*dh][ow + ...] (the tap's byte offset from a table, the
 *             weight broadcast), then the epilogue: + residual, relu or relu6 (NaN kept). Written
 *             to an output scratch whose rows are padded to 8 (so no lane is ever masked).
 *   3. store  each output row copied out (memory.copy) to its tensor, without the padding.
 *
 * Sums are float32, over the taps in row-major order from the bias: the same as the plan's other
 * float32 kernels, within about 1e-6 of the float64 reference (tested in test/execute/depthwise.test.ts).
 * The residual is read a vector at a time, up to 7 floats past a row's end: the memory keeps
 * RESIDUAL_SLACK bytes after any tensor (reads only; what is read there is discarded).
 */
import { Code, encodeModule, I32, V128, type ValType } from './encoder.js';
import type { ConvGeometry } from '../../kernels/im2col.js';
import { MAX_PAGES } from './arena.js';

/** Bytes a residual may be read past its end (see the header). */
export const RESIDUAL_SLACK = 32;

/** What a variant does (each its own function, so no flag is tested in the loops). */
interface WindowVariant {
  /** 'mac': a depthwise conv (padding 0); 'max': max pooling (padding -inf, no weights, no epilogue). */
  readonly op: 'mac' | 'max';
  /** The horizontal stride is 1: packing is a memory.copy per row (else a strided scalar copy). */
  readonly unitStride: boolean;
  readonly residual: boolean;
  readonly act: 'none' | 'relu' | 'relu6';
}

const VARIANT_LIST: readonly WindowVariant[] = [true, false].flatMap((unitStride) => [
  ...[false, true].flatMap((residual) =>
    (['none', 'relu', 'relu6'] as const).map((act): WindowVariant => ({ op: 'mac', unitStride, residual, act })),
  ),
  { op: 'max', unitStride, residual: false, act: 'none' } satisfies WindowVariant,
]);
const VARIANTS: Readonly<Record<string, WindowVariant>> = Object.fromEntries(VARIANT_LIST.map((v) => [variantName(v), v]));

function variantName(v: WindowVariant): string {
  return `${v.op === 'max' ? 'maxpool' : 'dw'}_${v.unitStride ? 's1' : 'sn'}${v.residual ? '_res' : ''}_${v.act}`;
}

/** The parameters of every variant, in order (all i32; addresses and sizes in bytes). */
const PARAMS = [
  'c0', // first output channel
  'c1', // one past the last
  'x', // the sample's input, channel 0
  'xPlane', // bytes of an input plane (h*w*4)
  'mult', // output channels per input channel
  'y', // the sample's output, channel 0
  'yPlane', // bytes of an output plane (hout*wout*4), also the residual's
  'res', // the residual, channel 0 (variants with a residual)
  'wts', // folded weights [cout][taps] f32
  'bias', // [cout] f32
  'q', // phase planes scratch
  'qBytes', // its size
  'phases', // the phase table: per phase dstOffset, srcOffset, cols, rows (i32 each)
  'phasesEnd', // its end
  'xRow', // bytes of an input row (w*4)
  'qRow', // bytes of a phase-plane row (Wq*4)
  'srcStep', // bytes between the input columns of one phase (s*4)
  'taps', // the taps' byte offsets in Q (i32 each)
  'tapsEnd', // its end
  'out', // output scratch
  'outRow', // bytes of its row (wout rounded up to 8, times 4)
  'hout',
  'vecEnd', // bytes of the computed part of an output row (outRow)
  'rowStep', // bytes between the Q rows of consecutive output rows (sh*qRow)
  'yRow', // bytes of an output row (wout*4)
] as const;
type Param = (typeof PARAMS)[number];
const LOCALS_I32 = [
  'ch',
  'xp',
  'ph',
  'cols',
  'rows',
  'dst',
  'src',
  'end',
  'wch',
  'oh',
  'o',
  'qp',
  'oRow',
  'qRow0',
  'v',
  't',
  'wp',
  'a',
  'yp',
  'rp',
  'rRow',
] as const;
type LocalI32 = (typeof LOCALS_I32)[number];
const LOCALS_V128 = ['acc0', 'acc1', 'bv', 'wv', 'zero', 'six'] as const;
type LocalV128 = (typeof LOCALS_V128)[number];

function slot(name: Param | LocalI32 | LocalV128): number {
  const p = (PARAMS as readonly string[]).indexOf(name);
  if (p >= 0) return p;
  const i = (LOCALS_I32 as readonly string[]).indexOf(name);
  if (i >= 0) return PARAMS.length + i;
  return PARAMS.length + LOCALS_I32.length + (LOCALS_V128 as readonly string[]).indexOf(name);
}

/** The body of one variant (see the header for the three phases). */
function windowCode(v: WindowVariant): Code {
  const c = new Code();
  const get = (n: Param | LocalI32 | LocalV128) => c.localGet(slot(n));
  const set = (n: LocalI32 | LocalV128) => c.localSet(slot(n));
  /** n += k (a local or a constant). */
  const bump = (n: LocalI32, by: Param | LocalI32 | number) => {
    get(n);
    if (typeof by === 'number') c.i32Const(by);
    else get(by);
    c.i32Add();
    set(n);
  };
  if (v.act !== 'none') c.v128Zero().localSet(slot('zero'));
  // Max pooling pads with -inf (torch's implicit padding), and each output starts from it.
  if (v.op === 'max') c.v128ConstF32(-Infinity).localSet(slot('bv'));
  if (v.act === 'relu6') c.v128ConstF32(6).localSet(slot('six'));
  get('c0');
  set('ch');
  c.loop(); // ch: one output channel
  {
    // xp = x + (ch / mult) * xPlane
    get('x').localGet(slot('ch')).localGet(slot('mult')).i32DivU();
    get('xPlane').i32Mul().i32Add();
    set('xp');
    // 1. pack: fill Q with the padding value, then copy each phase's rows.
    if (v.op === 'mac') {
      get('q').i32Const(0);
      get('qBytes').memoryFill();
    } else {
      // -inf is no repeated byte: a vector store loop (qBytes is a multiple of 16).
      get('q');
      set('a');
      get('q').localGet(slot('qBytes')).i32Add();
      set('end');
      c.loop();
      get('a').localGet(slot('bv')).v128Store();
      get('a').i32Const(16).i32Add().localTee(slot('a'));
      get('end').i32LtU().brIf(0);
      c.end();
    }
    get('phases');
    set('ph');
    c.loop(); // ph: one phase
    {
      c.block(); // continue when the phase has no columns
      {
        get('ph').i32Load(8);
        c.localTee(slot('cols')).i32Eqz().brIf(0);
        get('ph').i32Load(12);
        set('rows');
        get('q').localGet(slot('ph')).i32Load(0).i32Add();
        set('dst');
        get('xp').localGet(slot('ph')).i32Load(4).i32Add();
        set('src');
        c.loop(); // one row of the phase (rows >= 1 when cols >= 1)
        {
          if (v.unitStride) {
            get('dst');
            get('src');
            get('cols').i32Const(4).i32Mul().memoryCopy();
          } else {
            // end = dst + cols*4; the strided copy src -> dst, a float at a time.
            get('dst').localGet(slot('cols')).i32Const(4).i32Mul().i32Add();
            set('end');
            get('src');
            set('a');
            get('dst');
            set('o');
            c.loop();
            get('o').localGet(slot('a')).f32Load().f32Store();
            bump('a', 'srcStep');
            get('o').i32Const(4).i32Add().localTee(slot('o'));
            get('end').i32LtU().brIf(0);
            c.end();
          }
          bump('dst', 'qRow');
          bump('src', 'xRow');
          get('rows').i32Const(1).i32Sub().localTee(slot('rows'));
          c.brIf(0);
        }
        c.end();
      }
      c.end();
      get('ph').i32Const(16).i32Add().localTee(slot('ph'));
      get('phasesEnd').i32LtU().brIf(0);
    }
    c.end();
    // 2. conv: wch = wts + ch*(tapsEnd - taps); bias broadcast.
    if (v.op === 'mac') {
      get('wts').localGet(slot('ch')).localGet(slot('tapsEnd')).localGet(slot('taps')).i32Sub().i32Mul().i32Add();
      set('wch');
      get('bias').localGet(slot('ch')).i32Const(4).i32Mul().i32Add().v128Load32Splat();
      set('bv');
    }
    get('out');
    set('oRow');
    get('q');
    set('qRow0');
    if (v.residual) {
      get('res').localGet(slot('ch')).localGet(slot('yPlane')).i32Mul().i32Add();
      set('rRow');
    }
    get('hout');
    set('oh');
    c.loop(); // oh: one output row
    {
      get('oRow');
      set('o');
      get('qRow0');
      set('qp');
      if (v.residual) {
        get('rRow');
        set('rp');
      }
      // end = oRow + vecEnd
      get('oRow').localGet(slot('vecEnd')).i32Add();
      set('end');
      c.loop(); // 8 outputs
      {
        get('bv');
        set('acc0');
        get('bv');
        set('acc1');
        get('taps');
        set('t');
        get('wch');
        set('wp');
        c.loop(); // t: one tap
        {
          get('qp').localGet(slot('t')).i32Load().i32Add();
          set('a');
          if (v.op === 'mac') {
            get('wp').v128Load32Splat();
            set('wv');
            get('acc0').localGet(slot('wv')).localGet(slot('a')).v128Load(0).f32x4Mul().f32x4Add();
            set('acc0');
            get('acc1').localGet(slot('wv')).localGet(slot('a')).v128Load(16).f32x4Mul().f32x4Add();
            set('acc1');
            bump('wp', 4);
          } else {
            // f32x4.max: NaN wins, as in maxpool.ts.
            get('acc0').localGet(slot('a')).v128Load(0).f32x4Max();
            set('acc0');
            get('acc1').localGet(slot('a')).v128Load(16).f32x4Max();
            set('acc1');
          }
          get('t').i32Const(4).i32Add().localTee(slot('t'));
          get('tapsEnd').i32LtU().brIf(0);
        }
        c.end();
        for (const [acc, off] of [
          ['acc0', 0],
          ['acc1', 16],
        ] as const) {
          get('o');
          get(acc);
          if (v.residual) get('rp').v128Load(off).f32x4Add();
          if (v.act !== 'none') get('zero').f32x4Max();
          if (v.act === 'relu6') get('six').f32x4Min();
          c.v128Store(off);
        }
        if (v.residual) bump('rp', 32);
        bump('qp', 32);
        get('o').i32Const(32).i32Add().localTee(slot('o'));
        get('end').i32LtU().brIf(0);
      }
      c.end();
      bump('oRow', 'outRow');
      bump('qRow0', 'rowStep');
      if (v.residual) bump('rRow', 'yRow');
      get('oh').i32Const(1).i32Sub().localTee(slot('oh'));
      c.brIf(0);
    }
    c.end();
    // 3. store: the rows of the output scratch, without their padding.
    get('y').localGet(slot('ch')).localGet(slot('yPlane')).i32Mul().i32Add();
    set('yp');
    get('out');
    set('o');
    get('hout');
    set('oh');
    c.loop();
    {
      get('yp');
      get('o');
      get('yRow').memoryCopy();
      bump('yp', 'yRow');
      bump('o', 'outRow');
      get('oh').i32Const(1).i32Sub().localTee(slot('oh'));
      c.brIf(0);
    }
    c.end();
    get('ch').i32Const(1).i32Add().localTee(slot('ch'));
    get('c1').i32LtU().brIf(0);
  }
  c.end();
  return c;
}

/** The module: every variant, on an imported memory (shared when `shared`). */
export function windowModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const locals: ValType[] = [...new Array<ValType>(LOCALS_I32.length).fill(I32), ...new Array<ValType>(LOCALS_V128.length).fill(V128)];
  return encodeModule({
    functions: Object.entries(VARIANTS).map(([name, variant]) => ({
      name,
      params: new Array<ValType>(PARAMS.length).fill(I32),
      results: [],
      locals,
      code: windowCode(variant),
    })),
    importMemory: shared ? { min: 1, max: MAX_PAGES, shared: true } : { min: 1 },
  });
}

type VariantFn = (...args: number[]) => void;

/** Byte addresses of a call's tensors in the memory (res 0 when there is none; weights and bias unused by max pooling). */
export interface WindowAddresses {
  readonly x: number;
  readonly y: number;
  readonly res: number;
  readonly weights: number;
  readonly bias: number;
  /** scratchBytes(plan) bytes of the caller's (one region per thread), 16-byte aligned. */
  readonly scratch: number;
}

/** The channels and geometry of a window step (max pooling: cin = cout, dilation 1). */
export interface WindowLayout {
  readonly cin: number;
  readonly cout: number;
  readonly geometry: ConvGeometry;
}

/** Bytes and offsets a conv needs in scratch, and its tables (computed once per conv, see depthwiseLayout). */
export interface ScratchPlan {
  readonly qBytes: number;
  readonly qRow: number;
  readonly outRow: number;
  readonly outBytes: number;
  /** Per phase: dstOffset, srcOffset, cols, rows. */
  readonly phases: Int32Array;
  /** Per tap (row-major): its byte offset in Q. */
  readonly taps: Int32Array;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** The phase planes, output scratch and tables of a geometry (see the header). */
export function scratchPlan(g: ConvGeometry): ScratchPlan {
  const { h, w, kh, kw, sh, sw, dh, dw, top, left, hout, wout } = g;
  const s = sw;
  const woutPad = roundUp(wout, 8);
  // Q rows: every row a tap of an output row reads; columns: every column a vector load reads.
  const hp = (hout - 1) * sh + (kh - 1) * dh + 1;
  const wq = woutPad + Math.floor(((kw - 1) * dw) / s);
  const phases = new Int32Array(4 * s);
  const rows = Math.max(0, Math.min(h, hp - top));
  for (let f = 0; f < s; f++) {
    const cLo = Math.max(0, Math.ceil((left - f) / s));
    const cHi = Math.min(wq, Math.floor((w - 1 + left - f) / s) + 1);
    const cols = rows > 0 ? Math.max(0, cHi - cLo) : 0;
    phases.set([(f * hp * wq + top * wq + cLo) * 4, (s * cLo + f - left) * 4, cols, rows], 4 * f);
  }
  const taps = new Int32Array(kh * kw);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const phase = (j * dw) % s;
      taps[i * kw + j] = (phase * hp * wq + i * dh * wq + Math.floor((j * dw) / s)) * 4;
    }
  }
  return { qBytes: roundUp(s * hp * wq * 4, 16), qRow: wq * 4, outRow: woutPad * 4, outBytes: hout * woutPad * 4, phases, taps };
}

/**
 * One instance of the module on a memory, for one thread: each call computes channels [c0, c1)
 * of one sample, every pointer a byte address in the memory.
 */
export class WasmWindowKernels {
  private readonly fns: Readonly<Record<string, VariantFn>>;

  constructor(
    readonly memory: WebAssembly.Memory,
    shared: boolean,
  ) {
    const module = shared
      ? (sharedModule ??= new WebAssembly.Module(windowModuleBytes(true)))
      : (plainModule ??= new WebAssembly.Module(windowModuleBytes(false)));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.fns = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, instance.exports[name] as VariantFn]));
  }

  /**
   * Depthwise conv: output channels [c0, c1) of one sample. x, y, res, weights, bias and scratch
   * are byte addresses (res 0 when there is none).
   */
  depthwise(layout: WindowLayout, plan: ScratchPlan, act: 'none' | 'relu' | 'relu6', a: WindowAddresses, c0: number, c1: number): void {
    const v: WindowVariant = { op: 'mac', unitStride: layout.geometry.sw === 1, residual: a.res !== 0, act };
    this.call(v, layout, plan, a, c0, c1);
  }

  /** Max pooling (padding -inf): channels [c0, c1) of one sample; weights, bias and res unused. */
  maxPool(layout: WindowLayout, plan: ScratchPlan, a: WindowAddresses, c0: number, c1: number): void {
    this.call({ op: 'max', unitStride: layout.geometry.sw === 1, residual: false, act: 'none' }, layout, plan, a, c0, c1);
  }

  private call(v: WindowVariant, layout: WindowLayout, plan: ScratchPlan, a: WindowAddresses, c0: number, c1: number): void {
    if (c1 <= c0) return;
    const { cin, cout, geometry: g } = layout;
    // The tables at the start of the scratch, then Q, then the output rows.
    const tables = new Int32Array(this.memory.buffer, a.scratch, plan.phases.length + plan.taps.length);
    tables.set(plan.phases, 0);
    tables.set(plan.taps, plan.phases.length);
    const phases = a.scratch;
    const taps = phases + plan.phases.length * 4;
    const q = roundUp(taps + plan.taps.length * 4, 16);
    const out = q + plan.qBytes;
    this.fns[variantName(v)](
      c0,
      c1,
      a.x,
      g.h * g.w * 4,
      cout / cin,
      a.y,
      g.hout * g.wout * 4,
      a.res,
      a.weights,
      a.bias,
      q,
      plan.qBytes,
      phases,
      phases + plan.phases.length * 4,
      g.w * 4,
      plan.qRow,
      g.sw * 4,
      taps,
      taps + plan.taps.length * 4,
      out,
      plan.outRow,
      g.hout,
      plan.outRow,
      g.sh * plan.qRow,
      g.wout * 4,
    );
  }
}

let sharedModule: WebAssembly.Module | undefined;
let plainModule: WebAssembly.Module | undefined;

/** Scratch bytes `run` needs for a plan (tables, phase planes, output rows). */
export function scratchBytes(plan: ScratchPlan): number {
  return roundUp((plan.phases.length + plan.taps.length) * 4, 16) + plan.qBytes + plan.outBytes;
}

/** The memory the kernels run in when the tensors are not already in one: it grows as needed. */
let own: { memory: WebAssembly.Memory; kernels: WasmWindowKernels } | undefined;

/**
 * A window kernel over tensors outside any wasm memory: x (and the residual, weights and bias)
 * copied into the module's own memory a sample at a time, y copied back. x [n, cin, h, w],
 * y and residual [n, cout, hout, wout]. The depthwise conv with `conv`, else max pooling.
 */
export function runCopied(
  layout: WindowLayout,
  plan: ScratchPlan,
  n: number,
  x: Float32Array,
  y: Float32Array,
  conv?: {
    readonly weight: Float32Array;
    readonly bias: Float32Array;
    readonly act: 'none' | 'relu' | 'relu6';
    readonly residual?: Float32Array;
  },
): void {
  const g = layout.geometry;
  const xFloats = layout.cin * g.h * g.w;
  const yFloats = layout.cout * g.hout * g.wout;
  const residual = conv?.residual;
  // Layout: weights, bias, x, y, residual (+ slack), scratch; every region 64-byte aligned.
  const at: number[] = [];
  let bytes = 0;
  const sizes = [
    (conv?.weight.length ?? 0) * 4,
    (conv?.bias.length ?? 0) * 4,
    xFloats * 4,
    yFloats * 4,
    (residual ? yFloats * 4 : 0) + RESIDUAL_SLACK,
    scratchBytes(plan),
  ];
  for (const size of sizes) {
    at.push(bytes);
    bytes += roundUp(size, 64);
  }
  own ??= (() => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    return { memory, kernels: new WasmWindowKernels(memory, false) };
  })();
  const { memory, kernels } = own;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  const f32 = new Float32Array(memory.buffer);
  const [wAt, bAt, xAt, yAt, rAt, sAt] = at as [number, number, number, number, number, number];
  if (conv) {
    f32.set(conv.weight, wAt / 4);
    f32.set(conv.bias, bAt / 4);
  }
  for (let s = 0; s < n; s++) {
    f32.set(x.subarray(s * xFloats, (s + 1) * xFloats), xAt / 4);
    if (residual) f32.set(residual.subarray(s * yFloats, (s + 1) * yFloats), rAt / 4);
    const a: WindowAddresses = { x: xAt, y: yAt, res: residual ? rAt : 0, weights: wAt, bias: bAt, scratch: sAt };
    if (conv) kernels.depthwise(layout, plan, conv.act, a, 0, layout.cout);
    else kernels.maxPool(layout, plan, a, 0, layout.cout);
    y.set(f32.subarray(yAt / 4, yAt / 4 + yFloats), s * yFloats);
  }
}

/** What runWindow needs of a context (execute/context.ts's, with the wasm engine). */
export interface WindowContext {
  readonly memory?: WebAssembly.Memory;
  addressOf?(a: ArrayBufferView): number;
  readonly allocatePlan?: (n: number) => Float32Array;
  /** Runs a job split between threads (threads.ts), or says no (false: too small, or one thread). */
  shareWindow?(job: WindowJob): boolean;
  /** Makes the threads' scratch for jobs of this geometry before the first pass (threads.ts). */
  prepareShare?(g: ConvGeometry): void;
}

/** One sample of a window kernel, every tensor in an engine memory (threads.ts sends it to workers). */
export interface WindowJob {
  readonly op: 'mac' | 'max';
  readonly act: 'none' | 'relu' | 'relu6';
  readonly layout: WindowLayout;
  readonly a: WindowAddresses;
}

/** Per memory, the plans of the geometries jobs have used (a worker's cache: a job carries only the geometry). */
const jobPlans = new Map<string, ScratchPlan>();

/** Channels [c0, c1) of a job on this thread's instance of the kernels on `memory`. */
export function runWindowJob(memory: WebAssembly.Memory, job: WindowJob, c0: number, c1: number): void {
  const g = job.layout.geometry;
  const key = [g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.top, g.left, g.hout, g.wout].join(',');
  let plan = jobPlans.get(key);
  if (!plan) jobPlans.set(key, (plan = scratchPlan(g)));
  let kernels = jobKernels.get(memory);
  if (!kernels) jobKernels.set(memory, (kernels = new WasmWindowKernels(memory, true)));
  if (job.op === 'mac') kernels.depthwise(job.layout, plan, job.act, job.a, c0, c1);
  else kernels.maxPool(job.layout, plan, job.a, c0, c1);
}
const jobKernels = new WeakMap<WebAssembly.Memory, WasmWindowKernels>();

/** Per engine memory (one per thread): the kernels' instance on it and their scratch in it. */
const onMemory = new WeakMap<WebAssembly.Memory, { kernels: WasmWindowKernels; scratch: Float32Array }>();

/** This memory's kernels and scratch, the scratch grown to `floats` (returns whether it grew). */
function scratchOn(
  memory: WebAssembly.Memory,
  allocatePlan: (n: number) => Float32Array,
  floats: number,
): { kernels: WasmWindowKernels; scratch: Float32Array } {
  let mine = onMemory.get(memory);
  if (!mine || mine.scratch.length < floats) {
    // The scratch grows to the largest a plan asks for (the old block stays with the plan's weights: a few MB at most).
    mine = {
      kernels: mine?.kernels ?? new WasmWindowKernels(memory, true),
      scratch: allocatePlan(Math.max(floats, 2 * (mine?.scratch.length ?? 0))),
    };
    onMemory.set(memory, mine);
  }
  return mine;
}

/**
 * Before the first pass (plan.ts reservePlanMemory): the scratch that jobs of this geometry need
 * made, and its pages written, so that the pass pays neither (mobilenet_v2's first depthwise
 * steps took 3-4x their steady time while their scratch was made).
 */
export function prepareWindowScratch(ctx: WindowContext, g: ConvGeometry): void {
  if (!ctx.memory || !ctx.allocatePlan) return;
  scratchOn(ctx.memory, ctx.allocatePlan, scratchBytes(scratchPlan(g)) / 4).scratch.fill(0);
  ctx.prepareShare?.(g);
}

/**
 * A window kernel in place when every tensor (and the weights and bias) is in the context's
 * engine memory, else runCopied. The depthwise conv with `conv`, else max pooling.
 */
export function runWindow(
  ctx: WindowContext,
  layout: WindowLayout,
  plan: ScratchPlan,
  n: number,
  x: Float32Array,
  y: Float32Array,
  conv?: Parameters<typeof runCopied>[5],
): void {
  const { memory, allocatePlan } = ctx;
  const at = (a: Float32Array | undefined) => (a === undefined ? 0 : ctx.addressOf ? ctx.addressOf(a) : -1);
  const addresses = [x, y, conv?.residual, conv?.weight, conv?.bias].map(at);
  if (!memory || !allocatePlan || addresses.some((a) => a < 0)) {
    runCopied(layout, plan, n, x, y, conv);
    return;
  }
  const [xAt, yAt, rAt, wAt, bAt] = addresses as [number, number, number, number, number];
  const mine = scratchOn(memory, allocatePlan, scratchBytes(plan) / 4);
  // Blocks of the engine memory are 64-byte aligned; a full memory gives a plain buffer (-1).
  const scratch = ctx.addressOf!(mine.scratch);
  if (scratch < 0) {
    runCopied(layout, plan, n, x, y, conv);
    return;
  }
  const g = layout.geometry;
  const xBytes = layout.cin * g.h * g.w * 4;
  const yBytes = layout.cout * g.hout * g.wout * 4;
  for (let s = 0; s < n; s++) {
    const a: WindowAddresses = {
      x: xAt + s * xBytes,
      y: yAt + s * yBytes,
      res: rAt === 0 ? 0 : rAt + s * yBytes,
      weights: wAt,
      bias: bAt,
      scratch,
    };
    const job: WindowJob = { op: conv ? 'mac' : 'max', act: conv?.act ?? 'none', layout, a };
    if (ctx.shareWindow?.(job)) continue;
    if (conv) mine.kernels.depthwise(layout, plan, conv.act, a, 0, layout.cout);
    else mine.kernels.maxPool(layout, plan, a, 0, layout.cout);
  }
}
