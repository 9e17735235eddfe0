/**
 * Winograd F(2x2, 3x3)'s input and output transforms (winograd.ts) in WebAssembly SIMD128,
 * generated at runtime by encoder.ts, on the engine memory. Both are vectorized across 4
 * adjacent tiles of a tile row:
 *
 *   input   per input channel, its patch rows are copied into a zero-padded strip as two *phase
 *           planes*, E (even strip columns) and O (odd), as window-kernel.ts does for stride 2
 *           (with the batchnorm (+ relu) prologue applied as they are read, in float64, one
 *           rounding, as prologueRow). Tile tx's patch columns 2tx..2tx+3 are then E[tx], O[tx],
 *           E[tx+1], O[tx+1]: for tiles tx..tx+3, four contiguous vectors per patch row. V = B^T d B
 *           (additions only) is written 4 tiles at a time; the last vector of a tile row may write
 *           up to 3 floats past it, rewritten by the next row (or into V's padding: xiStride).
 *   output  per output channel and tile row, 4 tiles at a time: Y = A^T M A + bias, the two
 *           output rows' vectors interleaved (shuffles) into 8 contiguous pixels each, + residual,
 *           relu (pmax: NaN and -0 kept, as `r < 0 ? 0 : r`) or relu6 (pmin), stored. A row's last
 *           partial group goes through an 8-float scratch and a memory.copy of its valid pixels,
 *           so nothing past the output is written; the residual is read up to 7 floats past a
 *           row (the arena's slack after the last tensor, reads only).
 *
 * Numerics: float32 throughout (the JavaScript transforms sum in float64 and round once), so the
 * last bits differ: a few 1e-7 relative on a conv (test/execute/winograd.test.ts bounds it at 1e-5).
 */
import { Code, encodeModule, F32, F64, I32, V128, type ValType } from './encoder.js';
import { MAX_PAGES } from './arena.js';

export type Act = 'none' | 'relu' | 'relu6';
export type Pro = 'none' | 'bn' | 'bn_relu';

export const INPUT_PARAMS = [
  'cin', // channels
  'x', // the sample's input, channel 0, at the block's first strip row with input (byte address)
  'xPlane', // bytes of an input plane
  'xRow', // bytes of an input row
  'strip', // the strip (E and O planes per row: rowB bytes a strip row, O at oOff)
  'stripBytes',
  'rowB',
  'oOff',
  'rA', // byte offset in the strip of the first row with input (r * rowB)
  'rN', // rows with input (0: none)
  'eSrc', // per row: byte offset from the row's first copied input column of the first even strip column
  'eDst', // its byte offset in the strip row
  'eN', // even columns with input
  'oSrc',
  'oDst',
  'oN',
  'ss', // prologue: f64 [2 * channels], scale then shift
  'ch0', // prologue: byte offset in ss of this conv's channel 0 scale (channel0 * 8)
  'shiftOff', // prologue: bytes from a scale to its shift (channels * 8)
  'rows', // tile rows of the block
  'groups', // vectors of 4 tiles a tile row (ceil(tw / 4))
  'twB', // bytes of a tile row of V (tw * 4)
  'v', // V of the block, xi 0, channel 0 (byte address)
  'vS', // bytes between the xi matrices of V
  'tilesB', // bytes of a channel of V (tiles * 4)
  // Without a prologue, a row is copied 8 input columns at a time, de-interleaved by shuffles:
  'vA', // byte offset in the strip row of the copied columns 0, 2, 4, ... (those of the first's parity)
  'vB', // of columns 1, 3, 5, ...
  'chunks', // vectors of 8 columns a row (ceil(columns / 8))
  'zA', // then 4 floats zeroed at these two byte offsets (what the last chunk wrote past the columns)
  'zB',
] as const;
const INPUT_I32 = [
  'c',
  'r',
  'src',
  'dst',
  'end',
  'xp',
  'sp',
  'ty',
  'g',
  'pe',
  'vp',
  'vr',
  'q',
  'p1',
  'p2',
  'p3',
  'sc',
  'dA',
  'dB',
  'k',
] as const;
const INPUT_F64 = ['scale', 'shift'] as const;
const INPUT_F32 = ['f'] as const;
// Patch (column letter, row) and B^T d rows.
const COLS = ['a', 'b', 'c', 'd'] as const;
const INPUT_V128 = [
  ...COLS.flatMap((k) => [0, 1, 2, 3].map((i) => `${k}${i}`)),
  ...COLS.flatMap((k) => [0, 1, 2, 3].map((i) => `${k}r${i}`)),
  'lo',
  'hi',
  'zv',
];

export const OUTPUT_PARAMS = [
  'cout',
  'm', // M of the block, xi 0, channel 0
  'mS', // bytes between the xi matrices of M
  'tilesB', // bytes of a channel of M
  'twB', // bytes of a tile row of M
  'rows', // tile rows of the block
  'twoLast', // 1 when the block's last tile row has two output rows
  'y', // the sample's output, channel 0, at the block's first output row
  'res', // the residual, likewise (residual variants)
  'yPlane', // bytes of an output (and residual) plane
  'yRow', // bytes of an output row
  'bias', // f32 [cout]
  'full', // vectors of 8 pixels a row (floor(wout / 8))
  'tailB', // bytes of the last partial group (wout % 8 * 4; 0: none)
  'scratch', // 64 bytes
] as const;
const OUTPUT_I32 = ['ch', 'mp', 'yr', 'rr', 'ty', 'two', 'tp', 'yp', 'rp', 'g', 'q'] as const;
const OUTPUT_V128 = [
  ...[0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].map((j) => `m${i}${j}`)),
  ...[0, 1].flatMap((i) => [0, 1, 2, 3].map((j) => `s${i}${j}`)),
  'y00',
  'y01',
  'y10',
  'y11',
  'bv',
  'zero',
  'six',
];

/** Named locals of a function: parameters (i32) first, then the declared ones. */
class Frame {
  readonly slots = new Map<string, number>();
  readonly locals: ValType[] = [];
  constructor(
    readonly params: readonly string[],
    declared: readonly [ValType, readonly string[]][],
  ) {
    params.forEach((p, i) => this.slots.set(p, i));
    for (const [type, names] of declared) {
      for (const n of names) {
        this.slots.set(n, params.length + this.locals.length);
        this.locals.push(type);
      }
    }
  }
  slot(name: string): number {
    const s = this.slots.get(name);
    if (s === undefined) throw new Error(`winograd-kernel: no local ${name}`);
    return s;
  }
}

/** Helpers over a Code and a Frame. */
function emitter(c: Code, f: Frame) {
  const get = (n: string) => c.localGet(f.slot(n));
  const set = (n: string) => c.localSet(f.slot(n));
  /** n += by (a local or a constant). */
  const bump = (n: string, by: string | number) => {
    get(n);
    if (typeof by === 'number') c.i32Const(by);
    else get(by);
    c.i32Add();
    set(n);
  };
  /** dst = a + b (locals). */
  const add = (dst: string, a: string, b: string) => {
    get(a);
    get(b);
    c.i32Add();
    set(dst);
  };
  return { get, set, bump, add };
}

/**
 * One strip row's columns of one parity: `n` floats from src (every 8 bytes) to dst (every 4),
 * through the prologue.
 */
function copyParity(c: Code, f: Frame, pro: Pro, srcOff: string, dstOff: string, n: string): void {
  const { get, set } = emitter(c, f);
  c.block();
  get(n).i32Eqz().brIf(0);
  add3(c, f, 'src', 'xp', srcOff);
  add3(c, f, 'dst', 'sp', dstOff);
  get('dst').localGet(f.slot(n)).i32Const(4).i32Mul().i32Add();
  set('end');
  c.loop();
  get('dst');
  if (pro === 'none') {
    get('src').f32Load();
  } else {
    get('src').f32Load().f64PromoteF32();
    get('scale').f64Mul();
    get('shift').f64Add().f32DemoteF64();
    if (pro === 'bn_relu') {
      // f < 0 ? 0 : f (NaN kept), as prologueRow.
      set('f');
      c.f32Const(0);
      get('f');
      get('f').f32Const(0).f32Lt();
      c.select();
    }
  }
  c.f32Store();
  get('src').i32Const(8).i32Add();
  set('src');
  get('dst').i32Const(4).i32Add().localTee(f.slot('dst'));
  get('end').i32LtU().brIf(0);
  c.end();
  c.end();
}

/**
 * One strip row without a prologue: 8 input columns a vector pair, their even and odd ones to
 * the two planes; the last pair may read up to 7 floats past the row (the next row, or the slack
 * after a tensor) and write up to 4 floats a plane past its columns: zeroed again after.
 */
function copyRow(c: Code, f: Frame): void {
  const { get, set, bump } = emitter(c, f);
  get('xp');
  set('src');
  add3(c, f, 'dA', 'sp', 'vA');
  add3(c, f, 'dB', 'sp', 'vB');
  get('chunks');
  set('k');
  c.loop();
  get('src').v128Load(0);
  set('lo');
  get('src').v128Load(16);
  set('hi');
  get('dA')
    .localGet(f.slot('lo'))
    .localGet(f.slot('hi'))
    .i8x16Shuffle(lanes([0, 2, 4, 6]))
    .v128Store(0);
  get('dB')
    .localGet(f.slot('lo'))
    .localGet(f.slot('hi'))
    .i8x16Shuffle(lanes([1, 3, 5, 7]))
    .v128Store(0);
  bump('src', 32);
  bump('dA', 16);
  bump('dB', 16);
  get('k').i32Const(1).i32Sub().localTee(f.slot('k'));
  c.brIf(0);
  c.end();
  get('sp').localGet(f.slot('zA')).i32Add().localGet(f.slot('zv')).v128Store(0);
  get('sp').localGet(f.slot('zB')).i32Add().localGet(f.slot('zv')).v128Store(0);
}

function add3(c: Code, f: Frame, dst: string, a: string, b: string): void {
  c.localGet(f.slot(a)).localGet(f.slot(b)).i32Add().localSet(f.slot(dst));
}

function inputCode(pro: Pro, f: Frame): Code {
  const c = new Code();
  const { get, set, bump, add } = emitter(c, f);
  if (pro === 'none') c.v128Zero().localSet(f.slot('zv'));
  c.i32Const(0);
  set('c');
  c.loop(); // c: one input channel
  {
    // The strip: zeros, then the rows with input, de-interleaved.
    get('strip').i32Const(0);
    get('stripBytes').memoryFill();
    if (pro !== 'none') {
      get('ss').localGet(f.slot('ch0')).i32Add().localGet(f.slot('c')).i32Const(8).i32Mul().i32Add();
      c.localTee(f.slot('q')).f64Load();
      set('scale');
      get('q').localGet(f.slot('shiftOff')).i32Add().f64Load();
      set('shift');
    }
    get('x').localGet(f.slot('c')).localGet(f.slot('xPlane')).i32Mul().i32Add();
    set('xp');
    add('sp', 'strip', 'rA');
    get('rN');
    set('r');
    c.block();
    get('r').i32Eqz().brIf(0);
    c.loop(); // r: one strip row with input
    if (pro === 'none') {
      copyRow(c, f);
    } else {
      copyParity(c, f, pro, 'eSrc', 'eDst', 'eN');
      copyParity(c, f, pro, 'oSrc', 'oDst', 'oN');
    }
    bump('xp', 'xRow');
    bump('sp', 'rowB');
    get('r').i32Const(1).i32Sub().localTee(f.slot('r'));
    c.brIf(0);
    c.end();
    c.end();
    // The transform: vr = v + c*tilesB (V at tile row 0), pe = strip (patch row 0 of tile row 0).
    get('v').localGet(f.slot('c')).localGet(f.slot('tilesB')).i32Mul().i32Add();
    set('vr');
    get('strip');
    set('sc');
    get('rows');
    set('ty');
    c.loop(); // ty: one tile row
    {
      get('sc');
      set('pe');
      get('vr');
      set('vp');
      get('groups');
      set('g');
      c.loop(); // g: 4 tiles
      {
        add('p1', 'pe', 'rowB');
        add('p2', 'p1', 'rowB');
        add('p3', 'p2', 'rowB');
        const rowPtr = ['pe', 'p1', 'p2', 'p3'];
        for (let i = 0; i < 4; i++) {
          get(rowPtr[i]).v128Load(0);
          set(`a${i}`);
          get(rowPtr[i]).v128Load(4);
          set(`c${i}`);
          get(rowPtr[i]).localGet(f.slot('oOff')).i32Add();
          c.localTee(f.slot('q')).v128Load(0);
          set(`b${i}`);
          get('q').v128Load(4);
          set(`d${i}`);
        }
        // B^T d per column: r0 = d0 - d2, r1 = d1 + d2, r2 = d2 - d1, r3 = d1 - d3.
        for (const k of COLS) {
          get(`${k}0`)
            .localGet(f.slot(`${k}2`))
            .f32x4Sub();
          set(`${k}r0`);
          get(`${k}1`)
            .localGet(f.slot(`${k}2`))
            .f32x4Add();
          set(`${k}r1`);
          get(`${k}2`)
            .localGet(f.slot(`${k}1`))
            .f32x4Sub();
          set(`${k}r2`);
          get(`${k}1`)
            .localGet(f.slot(`${k}3`))
            .f32x4Sub();
          set(`${k}r3`);
        }
        // Then per row i: a - c, b + c, c - b, b - d, stored at xi = 4i + j.
        get('vp');
        set('q');
        for (let i = 0; i < 4; i++) {
          const pairs: [string, string, 'sub' | 'add'][] = [
            ['a', 'c', 'sub'],
            ['b', 'c', 'add'],
            ['c', 'b', 'sub'],
            ['b', 'd', 'sub'],
          ];
          for (const [l, r, op] of pairs) {
            get('q');
            get(`${l}r${i}`).localGet(f.slot(`${r}r${i}`));
            if (op === 'sub') c.f32x4Sub();
            else c.f32x4Add();
            c.v128Store(0);
            if (i < 3 || l !== 'b' || r !== 'd') bump('q', 'vS');
          }
        }
        bump('pe', 16);
        bump('vp', 16);
        get('g').i32Const(1).i32Sub().localTee(f.slot('g'));
        c.brIf(0);
      }
      c.end();
      bump('vr', 'twB');
      // Two strip rows a tile row.
      get('sc').localGet(f.slot('rowB')).i32Const(2).i32Mul().i32Add();
      set('sc');
      get('ty').i32Const(1).i32Sub().localTee(f.slot('ty'));
      c.brIf(0);
    }
    c.end();
    get('c').i32Const(1).i32Add().localTee(f.slot('c'));
    get('cin').i32LtU().brIf(0);
  }
  c.end();
  return c;
}

// f32 lanes (a: 0-3, b: 4-7) as the bytes of an i8x16 shuffle.
const lanes = (ls: readonly number[]) => ls.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
const LO = lanes([0, 4, 1, 5]);
const HI = lanes([2, 6, 3, 7]);

function outputCode(residual: boolean, act: Act, f: Frame): Code {
  const c = new Code();
  const { get, set, bump } = emitter(c, f);
  if (act !== 'none') c.v128Zero().localSet(f.slot('zero'));
  if (act === 'relu6') c.v128ConstF32(6).localSet(f.slot('six'));
  /** Y of the 4 tiles at tp into y00, y01, y10, y11 (pixel (i, j) of each tile). */
  const compute = () => {
    get('tp');
    set('q');
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        get('q').v128Load(0);
        set(`m${i}${j}`);
        if (i < 3 || j < 3) bump('q', 'mS');
      }
    }
    // A^T M: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (per column), then the same on columns.
    for (let j = 0; j < 4; j++) {
      get(`m0${j}`)
        .localGet(f.slot(`m1${j}`))
        .f32x4Add()
        .localGet(f.slot(`m2${j}`))
        .f32x4Add();
      set(`s0${j}`);
      get(`m1${j}`)
        .localGet(f.slot(`m2${j}`))
        .f32x4Sub()
        .localGet(f.slot(`m3${j}`))
        .f32x4Sub();
      set(`s1${j}`);
    }
    for (const i of [0, 1]) {
      get(`s${i}0`)
        .localGet(f.slot(`s${i}1`))
        .f32x4Add()
        .localGet(f.slot(`s${i}2`))
        .f32x4Add()
        .localGet(f.slot('bv'))
        .f32x4Add();
      set(`y${i}0`);
      get(`s${i}1`)
        .localGet(f.slot(`s${i}2`))
        .f32x4Sub()
        .localGet(f.slot(`s${i}3`))
        .f32x4Sub()
        .localGet(f.slot('bv'))
        .f32x4Add();
      set(`y${i}1`);
    }
  };
  /** Output row i (0, 1) of the 4 tiles, epilogue applied, stored at `to` + 0 and 16; residual at rp (+ yRow for row 1). */
  const store = (i: number, to: () => void) => {
    for (const [half, off] of [
      [LO, 0],
      [HI, 16],
    ] as const) {
      to();
      get(`y${i}0`)
        .localGet(f.slot(`y${i}1`))
        .i8x16Shuffle(half);
      if (residual) {
        get('rp');
        if (i === 1) get('yRow').i32Add();
        c.v128Load(off).f32x4Add();
      }
      if (act !== 'none') get('zero').f32x4Pmax();
      if (act === 'relu6') get('six').f32x4Pmin();
      c.v128Store(off);
    }
  };
  c.i32Const(0);
  set('ch');
  c.loop(); // ch: one output channel
  {
    get('bias').localGet(f.slot('ch')).i32Const(4).i32Mul().i32Add().v128Load32Splat();
    set('bv');
    get('m').localGet(f.slot('ch')).localGet(f.slot('tilesB')).i32Mul().i32Add();
    set('mp');
    get('y').localGet(f.slot('ch')).localGet(f.slot('yPlane')).i32Mul();
    c.localTee(f.slot('q')).i32Add();
    set('yr');
    if (residual) {
      get('res').localGet(f.slot('q')).i32Add();
      set('rr');
    }
    c.i32Const(0);
    set('ty');
    c.loop(); // ty: one tile row
    {
      // two = ty + 1 < rows || twoLast
      get('ty').i32Const(1).i32Add().localGet(f.slot('rows')).i32LtU().localGet(f.slot('twoLast')).i32Or();
      set('two');
      get('mp');
      set('tp');
      get('yr');
      set('yp');
      if (residual) {
        get('rr');
        set('rp');
      }
      c.block();
      get('full').i32Eqz().brIf(0);
      get('full');
      set('g');
      c.loop(); // g: 8 pixels of each of the two rows
      {
        compute();
        store(0, () => get('yp'));
        get('two').if();
        store(1, () => get('yp').localGet(f.slot('yRow')).i32Add());
        c.end();
        bump('tp', 16);
        bump('yp', 32);
        if (residual) bump('rp', 32);
        get('g').i32Const(1).i32Sub().localTee(f.slot('g'));
        c.brIf(0);
      }
      c.end();
      c.end();
      // The partial group: through the scratch.
      get('tailB').if();
      {
        compute();
        store(0, () => get('scratch'));
        store(1, () => get('scratch').i32Const(32).i32Add());
        get('yp');
        get('scratch');
        get('tailB').memoryCopy();
        get('two').if();
        get('yp').localGet(f.slot('yRow')).i32Add();
        get('scratch').i32Const(32).i32Add();
        get('tailB').memoryCopy();
        c.end();
      }
      c.end();
      bump('mp', 'twB');
      get('yr').localGet(f.slot('yRow')).i32Const(2).i32Mul().i32Add();
      set('yr');
      if (residual) {
        get('rr').localGet(f.slot('yRow')).i32Const(2).i32Mul().i32Add();
        set('rr');
      }
      get('ty').i32Const(1).i32Add().localTee(f.slot('ty'));
      get('rows').i32LtU().brIf(0);
    }
    c.end();
    get('ch').i32Const(1).i32Add().localTee(f.slot('ch'));
    get('cout').i32LtU().brIf(0);
  }
  c.end();
  return c;
}

export const PROS: readonly Pro[] = ['none', 'bn', 'bn_relu'];
export const ACTS: readonly Act[] = ['none', 'relu', 'relu6'];
const inputName = (p: Pro) => `input_${p}`;
const outputName = (residual: boolean, act: Act) => `output${residual ? '_res' : ''}_${act}`;

/** The module: every variant, on an imported memory (shared when `shared`). */
export function winogradModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const inFrame = () =>
    new Frame(INPUT_PARAMS, [
      [I32, INPUT_I32],
      [F64, INPUT_F64],
      [F32, INPUT_F32],
      [V128, INPUT_V128],
    ]);
  const outFrame = () =>
    new Frame(OUTPUT_PARAMS, [
      [I32, OUTPUT_I32],
      [V128, OUTPUT_V128],
    ]);
  const functions = [
    ...PROS.map((p) => {
      const f = inFrame();
      return { name: inputName(p), params: INPUT_PARAMS.map((): ValType => I32), results: [], locals: f.locals, code: inputCode(p, f) };
    }),
    ...[false, true].flatMap((residual) =>
      ACTS.map((act) => {
        const f = outFrame();
        return {
          name: outputName(residual, act),
          params: OUTPUT_PARAMS.map((): ValType => I32),
          results: [],
          locals: f.locals,
          code: outputCode(residual, act, f),
        };
      }),
    ),
  ];
  return encodeModule({ functions, importMemory: shared ? { min: 1, max: MAX_PAGES, shared: true } : { min: 1 } });
}

type Fn = (...args: number[]) => void;

/** The input transform's arguments (byte addresses and sizes, see INPUT_PARAMS). */
export type InputArgs = Readonly<Record<(typeof INPUT_PARAMS)[number], number>>;
/** The output transform's arguments (see OUTPUT_PARAMS). */
export type OutputArgs = Readonly<Record<(typeof OUTPUT_PARAMS)[number], number>>;

let sharedModule: WebAssembly.Module | undefined;
let plainModule: WebAssembly.Module | undefined;

/** The transforms' instance on one memory. */
export class WasmWinogradKernels {
  private readonly fns: Readonly<Record<string, Fn>>;

  constructor(memory: WebAssembly.Memory, shared: boolean) {
    const module = shared
      ? (sharedModule ??= new WebAssembly.Module(winogradModuleBytes(true)))
      : (plainModule ??= new WebAssembly.Module(winogradModuleBytes(false)));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.fns = instance.exports as unknown as Record<string, Fn>;
  }

  input(pro: Pro, a: InputArgs): void {
    this.fns[inputName(pro)](...INPUT_PARAMS.map((p) => a[p]));
  }

  output(residual: boolean, act: Act, a: OutputArgs): void {
    this.fns[outputName(residual, act)](...OUTPUT_PARAMS.map((p) => a[p]));
  }
}

const onMemory = new WeakMap<WebAssembly.Memory, WasmWinogradKernels>();

/** The kernels' instance on an engine memory (shared), made once per memory. */
export function winogradKernelsOn(memory: WebAssembly.Memory): WasmWinogradKernels {
  let k = onMemory.get(memory);
  if (!k) onMemory.set(memory, (k = new WasmWinogradKernels(memory, true)));
  return k;
}
