/**
 * A tiny WebAssembly binary encoder: just enough of the format (core spec 1.0 plus SIMD128) to
 * write the GEMM kernel of gemm-kernel.ts from TypeScript at runtime, with no toolchain.
 *
 * A module is bytes:  "\0asm" 01 00 00 00  then sections, each  id  size(LEB128)  contents:
 *   1 type      the function signatures           (0x60 params results)
 *   2 import    env.memory, when the module does not define its own (0x02 limits; shared: 0x03 min max)
 *   3 function  each function's signature index
 *   5 memory    limits in 64 KiB pages            (0x01 min max)
 *   7 export    name, kind (0 function, 2 memory), index
 *  10 code      each body: size, local declarations, instructions, 0x0b
 * Integers are LEB128 (7 bits a byte, low first, high bit = more follows); i32.const takes the
 * signed variant. Instructions are a stack machine: operands are pushed, an opcode pops them.
 * SIMD instructions are the prefix 0xfd followed by their number as unsigned LEB128.
 * Memory instructions carry a memarg: log2 of the alignment, then a constant byte offset.
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** One-byte opcodes (the names of the WebAssembly text format), the ones the kernel uses. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  f32_load: 0x2a,
  f64_load: 0x2b,
  f32_store: 0x38,
  i32_const: 0x41,
  i32_eqz: 0x45,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_div_u: 0x6e,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_shl: 0x74,
  i32_shr_u: 0x76,
  f32_demote_f64: 0xb6,
  f64_promote_f32: 0xbb,
  f64_mul: 0xa2,
  f32_const: 0x43,
  f64_add: 0xa0,
  f32_lt: 0x5d,
  select: 0x1b,
} as const;

/** SIMD128 opcodes, each written after the prefix 0xfd. */
export const SIMD_PREFIX = 0xfd;
export const SIMD = {
  v128_load: 0x00,
  v128_load32_splat: 0x09,
  v128_load64_splat: 0x0a,
  v128_store: 0x0b,
  v128_const: 0x0c,
  i8x16_shuffle: 0x0d,
  f32x4_demote_f64x2_zero: 0x5e,
  f64x2_promote_low_f32x4: 0x5f,
  f32x4_pmax: 0xeb,
  f64x2_add: 0xf0,
  f64x2_mul: 0xf2,
  f32x4_add: 0xe4,
  f32x4_mul: 0xe6,
  f32x4_min: 0xe8,
  f32x4_max: 0xe9,
} as const;

/** Block type of a loop that leaves nothing on the stack. */
const EMPTY_BLOCK = 0x40;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an int32. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    // Done when the rest is all sign bits and the sign bit of this byte agrees.
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const utf8 = (s: string) => [...uleb(Buffer.byteLength(s)), ...Buffer.from(s, 'utf8')];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, contents: number[]) => [id, ...uleb(contents.length), ...contents];

/**
 * The instructions of one function body, written by chained calls named after the text format:
 * `code.localGet(a).i32Const(16).i32Add().localSet(a)` is `a = a + 16`.
 */
export class Code {
  readonly bytes: number[] = [];

  private op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  private simd(op: number, ...imm: number[]): this {
    return this.op(SIMD_PREFIX, ...uleb(op), ...imm);
  }
  /** memarg: alignment (log2 bytes) and constant offset. */
  private static memarg(alignLog2: number, offset: number): number[] {
    return [...uleb(alignLog2), ...uleb(offset)];
  }

  // Control: `loop ... br_if 0 ... end` jumps back to the loop's start while the condition
  // (popped by br_if) is nonzero; depth 0 is the innermost enclosing loop.
  loop(): this {
    return this.op(OP.loop, EMPTY_BLOCK);
  }
  end(): this {
    return this.op(OP.end);
  }
  /** A block: `br` to it jumps past its end. */
  block(): this {
    return this.op(OP.block, EMPTY_BLOCK);
  }
  /** Pops a condition: runs what follows when nonzero (up to else or end). */
  if(): this {
    return this.op(OP.if, EMPTY_BLOCK);
  }
  else(): this {
    return this.op(OP.else);
  }
  br(depth: number): this {
    return this.op(OP.br, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.op(OP.br_if, ...uleb(depth));
  }

  // Locals (parameters first, then declared locals).
  localGet(i: number): this {
    return this.op(OP.local_get, ...uleb(i));
  }
  localSet(i: number): this {
    return this.op(OP.local_set, ...uleb(i));
  }
  localTee(i: number): this {
    return this.op(OP.local_tee, ...uleb(i));
  }

  // i32 arithmetic.
  i32Const(v: number): this {
    return this.op(OP.i32_const, ...sleb(v));
  }
  i32Add(): this {
    return this.op(OP.i32_add);
  }
  i32Sub(): this {
    return this.op(OP.i32_sub);
  }
  i32Mul(): this {
    return this.op(OP.i32_mul);
  }
  i32LtU(): this {
    return this.op(OP.i32_lt_u);
  }
  i32LtS(): this {
    return this.op(OP.i32_lt_s);
  }
  i32GtS(): this {
    return this.op(0x4a);
  }
  i32GeS(): this {
    return this.op(OP.i32_ge_s);
  }
  i32GeU(): this {
    return this.op(OP.i32_ge_u);
  }
  i32Eqz(): this {
    return this.op(OP.i32_eqz);
  }
  i32DivU(): this {
    return this.op(OP.i32_div_u);
  }
  i32And(): this {
    return this.op(OP.i32_and);
  }
  i32Or(): this {
    return this.op(OP.i32_or);
  }
  i32Shl(): this {
    return this.op(OP.i32_shl);
  }
  i32ShrU(): this {
    return this.op(OP.i32_shr_u);
  }
  /** Pops c, b, a: a when c is nonzero, else b. */
  select(): this {
    return this.op(OP.select);
  }

  // Scalar floats.
  f32Load(offset = 0): this {
    return this.op(OP.f32_load, ...Code.memarg(2, offset));
  }
  f32Store(offset = 0): this {
    return this.op(OP.f32_store, ...Code.memarg(2, offset));
  }
  f64Load(offset = 0): this {
    return this.op(OP.f64_load, ...Code.memarg(3, offset));
  }
  f64PromoteF32(): this {
    return this.op(OP.f64_promote_f32);
  }
  f32DemoteF64(): this {
    return this.op(OP.f32_demote_f64);
  }
  f64Mul(): this {
    return this.op(OP.f64_mul);
  }
  f64Add(): this {
    return this.op(OP.f64_add);
  }
  f32Const(x: number): this {
    return this.op(OP.f32_const, ...new Uint8Array(new Float32Array([x]).buffer));
  }
  f32Lt(): this {
    return this.op(OP.f32_lt);
  }

  // SIMD128: a v128 holds four f32 lanes.
  v128Load(offset = 0): this {
    return this.simd(SIMD.v128_load, ...Code.memarg(4, offset));
  }
  /** One f32 at address+offset, copied into all four lanes. */
  v128Load32Splat(offset = 0): this {
    return this.simd(SIMD.v128_load32_splat, ...Code.memarg(2, offset));
  }
  v128Store(offset = 0): this {
    return this.simd(SIMD.v128_store, ...Code.memarg(4, offset));
  }
  /** Pops n, value, address: n bytes from address set to value (bulk memory's memory.fill). */
  memoryFill(): this {
    return this.op(0xfc, ...uleb(11), 0x00);
  }
  /** One f64 at address+offset, in both lanes. */
  v128Load64Splat(offset = 0): this {
    return this.simd(SIMD.v128_load64_splat, ...Code.memarg(3, offset));
  }
  /** Pops b, a: the 16 bytes lanes[i] of a (0-15) or b (16-31). */
  i8x16Shuffle(lanes: readonly number[]): this {
    return this.simd(SIMD.i8x16_shuffle, ...lanes);
  }
  /** Lanes 0 and 1 of four f32 lanes, as two f64. */
  f64x2PromoteLowF32x4(): this {
    return this.simd(SIMD.f64x2_promote_low_f32x4);
  }
  /** Two f64 rounded to f32 in lanes 0 and 1, lanes 2 and 3 zero. */
  f32x4DemoteF64x2Zero(): this {
    return this.simd(SIMD.f32x4_demote_f64x2_zero);
  }
  f64x2Add(): this {
    return this.simd(SIMD.f64x2_add);
  }
  f64x2Mul(): this {
    return this.simd(SIMD.f64x2_mul);
  }
  /** Pops b, a: lane-wise a < b ? b : a (JavaScript's \`a < 0 ? 0 : a\` with b = 0: NaN and -0 kept). */
  f32x4Pmax(): this {
    return this.simd(SIMD.f32x4_pmax);
  }
  /** The all-zero vector. */
  v128Zero(): this {
    return this.simd(SIMD.v128_const, ...new Array<number>(16).fill(0));
  }
  f32x4Add(): this {
    return this.simd(SIMD.f32x4_add);
  }
  f32x4Mul(): this {
    return this.simd(SIMD.f32x4_mul);
  }
  /** Four lanes of one float32 constant. */
  v128ConstF32(x: number): this {
    const lane = [...new Uint8Array(new Float32Array([x]).buffer)];
    return this.simd(SIMD.v128_const, ...lane, ...lane, ...lane, ...lane);
  }
  /** Lane-wise minimum; NaN in either operand gives NaN. */
  f32x4Min(): this {
    return this.simd(SIMD.f32x4_min);
  }
  /** Lane-wise maximum; NaN in either operand gives NaN (as torch.relu keeps NaN). */
  f32x4Max(): this {
    return this.simd(SIMD.f32x4_max);
  }

  // Used by the window kernels (window-kernel.ts).
  /** The i32 at address+offset. */
  i32Load(offset = 0): this {
    return this.op(0x28, ...Code.memarg(2, offset));
  }
  /** memory.copy(dst, src, bytes) (bulk memory, Node 16+): the operands pushed in that order. */
  memoryCopy(): this {
    return this.op(0xfc, ...uleb(10), 0x00, 0x00);
  }

  // Used by the Winograd transforms (winograd-kernel.ts).
  f32x4Sub(): this {
    return this.simd(0xe5);
  }
  /** Pops b, a: lane-wise b < a ? b : a (JavaScript's \`a > 6 ? 6 : a\` with b = 6: NaN kept). */
  f32x4Pmin(): this {
    return this.simd(0xea);
  }
}

export interface FuncDef {
  /** Export name. */
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** Declared locals, numbered after the parameters. */
  readonly locals: readonly ValType[];
  readonly code: Code;
}

export interface ModuleDef {
  readonly functions: readonly FuncDef[];
  /** A memory of exactly this many 64 KiB pages, exported as "memory". */
  readonly memoryPages?: number;
  /** Instead, a memory imported as env.memory (the caller's WebAssembly.Memory), with these limits in pages. */
  readonly importMemory?: { readonly min: number; readonly max?: number; readonly shared?: boolean };
}

/** The binary module: every function exported under its name. */
export function encodeModule(def: ModuleDef): Uint8Array<ArrayBuffer> {
  const sigs: string[] = [];
  const types: number[][] = [];
  const typeOf = def.functions.map((f) => {
    const t = [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))];
    const key = t.join(',');
    if (!sigs.includes(key)) {
      sigs.push(key);
      types.push(t);
    }
    return sigs.indexOf(key);
  });
  const exports = def.functions.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]);
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  bytes.push(...section(1, vec(types)));
  if (def.importMemory) {
    // Limits: flags 0 (min), 1 (min max), 3 (shared, min max).
    const { min, max, shared } = def.importMemory;
    const limits = max === undefined ? [0x00, ...uleb(min)] : [shared ? 0x03 : 0x01, ...uleb(min), ...uleb(max)];
    bytes.push(...section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, ...limits]])));
  }
  bytes.push(...section(3, vec(typeOf.map((t) => uleb(t)))));
  if (def.memoryPages !== undefined) {
    bytes.push(...section(5, vec([[0x01, ...uleb(def.memoryPages), ...uleb(def.memoryPages)]])));
    exports.push([...utf8('memory'), 0x02, ...uleb(0)]);
  }
  bytes.push(...section(7, vec(exports)));
  const bodies = def.functions.map((f) => {
    // Locals are declared as runs of (count, type).
    const runs: number[][] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      runs.push([...uleb(j - i), f.locals[i]]);
      i = j;
    }
    const body = [...vec(runs), ...f.code.bytes, OP.end];
    return [...uleb(body.length), ...body];
  });
  bytes.push(...section(10, vec(bodies)));
  return new Uint8Array(bytes);
}
