/**
 * The packing of B for gemm-kernel.ts's in-place path, in WebAssembly (the same module as the
 * GEMM kernels, so they share the engine's memory): the wasm twins of gemm-kernel.ts's JS packers
 * packB, packBPrologue and packBIm2col, which stay as the reference and the copying path's packers.
 * Every function writes Bp[panel][k][NR] (k-major panels of NR = 8 columns) at the byte address
 * dst, and computes what the JS packer computes, bit for bit:
 *
 *   pack_b(src, rs, kc, panels, dst)             full panels of a row-major matrix (rs: row
 *                                                stride in bytes): two v128 copies per k
 *   pack_b_pro(src, rs, kc, panels, dst, ssp, shift)   the same of f(x) = x*sc + sf, per row k
 *                                                a channel whose sc is the f64 at ssp + 8k and sf
 *                                                at ssp + shift + 8k: in f64x2 lanes, rounded to
 *                                                f32 once (JS's Math.fround(x*sc + sf));
 *                                                pack_b_pro_relu then max with 0 as JS's
 *                                                `v < 0 ? 0 : v` (f32x4.pmax: NaN and -0 kept)
 *   im2col(x, h, w, kw, khw, sh, sw, dh, dw, top, left, wout, pc, kc, jc, nc, dst, ssp, shift)
 *                                                rows pc.. (kc of them) and columns jc.. (nc) of
 *                                                the im2col matrix of the planes at x, padding
 *                                                zero, panels zero-padded to a multiple of NR
 *                                                columns: packBIm2col's runs, scalar (stride
 *                                                1: whole panels of a run by v128 copies)
 *   im2col_pro, im2col_pro_relu                  with the prologue f (ssp: channel 0's scale)
 *
 * Lengths are positive (the caller skips empty ones): the loops test at their end.
 */
import { Code, F32, F64, I32, V128, type FuncDef, type ValType } from './encoder.js';

const NR = 8;
const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const LOWS = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

function packB(): FuncDef {
  const [src, rs, kc, panels, dst] = [0, 1, 2, 3, 4];
  const [s, d, dEnd, srcEnd] = [5, 6, 7, 8];
  const c = new Code();
  c.localGet(src)
    .localGet(panels)
    .i32Const(NR * 4)
    .i32Mul()
    .i32Add()
    .localSet(srcEnd);
  c.localGet(dst).localSet(d);
  c.loop();
  {
    c.localGet(src).localSet(s);
    c.localGet(d)
      .localGet(kc)
      .i32Const(NR * 4)
      .i32Mul()
      .i32Add()
      .localSet(dEnd);
    c.loop();
    {
      c.localGet(d).localGet(s).v128Load(0).v128Store(0);
      c.localGet(d).localGet(s).v128Load(16).v128Store(16);
      c.localGet(s).localGet(rs).i32Add().localSet(s);
      c.localGet(d)
        .i32Const(NR * 4)
        .i32Add()
        .localTee(d)
        .localGet(dEnd)
        .i32LtU()
        .brIf(0);
    }
    c.end();
    c.localGet(src)
      .i32Const(NR * 4)
      .i32Add()
      .localTee(src)
      .localGet(srcEnd)
      .i32LtU()
      .brIf(0);
  }
  c.end();
  return { name: 'pack_b', params: new Array<ValType>(5).fill(I32), results: [], locals: new Array<ValType>(4).fill(I32), code: c };
}

function packBPrologue(relu: boolean): FuncDef {
  const [src, rs, kc, panels, dst, ssp, shift] = [0, 1, 2, 3, 4, 5, 6];
  const [sRow, dRow, s, d, dRowEnd, sEnd, panelStride] = [7, 8, 9, 10, 11, 12, 13];
  const [sc, sf, v, t] = [14, 15, 16, 17];
  const c = new Code();
  c.localGet(kc)
    .i32Const(NR * 4)
    .i32Mul()
    .localSet(panelStride);
  c.localGet(dst).localGet(panelStride).i32Add().localSet(dRowEnd);
  c.localGet(src).localSet(sRow);
  c.localGet(dst).localSet(dRow);
  c.loop();
  {
    c.localGet(ssp).v128Load64Splat(0).localSet(sc);
    c.localGet(ssp).localGet(shift).i32Add().v128Load64Splat(0).localSet(sf);
    c.localGet(ssp).i32Const(8).i32Add().localSet(ssp);
    c.localGet(sRow).localSet(s);
    c.localGet(dRow).localSet(d);
    c.localGet(sRow)
      .localGet(panels)
      .i32Const(NR * 4)
      .i32Mul()
      .i32Add()
      .localSet(sEnd);
    c.loop();
    {
      for (const half of [0, 16]) {
        c.localGet(s).v128Load(half).localSet(v);
        c.localGet(v).f64x2PromoteLowF32x4().localGet(sc).f64x2Mul().localGet(sf).f64x2Add().f32x4DemoteF64x2Zero().localSet(t);
        c.localGet(d).localGet(t);
        c.localGet(v).localGet(v).i8x16Shuffle(HIGH_TO_LOW);
        c.f64x2PromoteLowF32x4().localGet(sc).f64x2Mul().localGet(sf).f64x2Add().f32x4DemoteF64x2Zero();
        c.i8x16Shuffle(LOWS);
        if (relu) c.v128Zero().f32x4Pmax();
        c.v128Store(half);
      }
      c.localGet(d).localGet(panelStride).i32Add().localSet(d);
      c.localGet(s)
        .i32Const(NR * 4)
        .i32Add()
        .localTee(s)
        .localGet(sEnd)
        .i32LtU()
        .brIf(0);
    }
    c.end();
    c.localGet(sRow).localGet(rs).i32Add().localSet(sRow);
    c.localGet(dRow)
      .i32Const(NR * 4)
      .i32Add()
      .localTee(dRow)
      .localGet(dRowEnd)
      .i32LtU()
      .brIf(0);
  }
  c.end();
  return {
    name: relu ? 'pack_b_pro_relu' : 'pack_b_pro',
    params: new Array<ValType>(7).fill(I32),
    results: [],
    locals: [...new Array<ValType>(7).fill(I32), ...new Array<ValType>(4).fill(V128)],
    code: c,
  };
}

function im2col(pro: 'none' | 'plain' | 'relu'): FuncDef {
  const P = [...Array(19).keys()];
  const [x, h, w, kw, khw, sh, sw, dh, dw, top, left, wout, pc, kc, jc, nc, dst, ssp, shift] = P;
  let n = 19;
  const L = () => n++;
  const [k, r, ch, i, j, plane, colShift, owLo, owHi, row, q, oh, ow0, run, ih, ow1, src, lo, hi, qEnd, panelB, tmp] = Array.from(
    { length: 22 },
    L,
  );
  const tmp2 = n++;
  const sc = n++;
  const sf = n++;
  const vf = n++;
  const c = new Code();
  /** Pushes min or max of two locals (signed). */
  const min = (a: number, b: number) => c.localGet(a).localGet(b).localGet(a).localGet(b).i32LtS().select();
  const max = (a: number, b: number) => c.localGet(a).localGet(b).localGet(a).localGet(b).i32GeS().select();
  /** Pushes the byte address of column q's slot in row `row`. */
  const slot = () =>
    c
      .localGet(q)
      .i32Const(3)
      .i32ShrU()
      .localGet(panelB)
      .i32Mul()
      .localGet(row)
      .i32Add()
      .localGet(q)
      .i32Const(7)
      .i32And()
      .i32Const(2)
      .i32Shl()
      .i32Add();
  /** Zeros from q to qEnd (q advances). */
  const zeros = () => {
    c.block().loop();
    c.localGet(q).localGet(qEnd).i32GeS().brIf(1);
    slot().f32Const(0).f32Store();
    c.localGet(q).i32Const(1).i32Add().localSet(q);
    c.br(0).end().end();
  };
  c.localGet(kc)
    .i32Const(NR * 4)
    .i32Mul()
    .localSet(panelB);
  c.localGet(jc).localGet(wout).i32DivU().localSet(tmp); // the first column's output row
  c.i32Const(0).localSet(k);
  c.loop();
  {
    // r = pc + k = (ch, i, j): ch*khw + i*kw + j
    c.localGet(pc).localGet(k).i32Add().localSet(r);
    c.localGet(r).localGet(khw).i32DivU().localSet(ch);
    c.localGet(r).localGet(ch).localGet(khw).i32Mul().i32Sub().localSet(j);
    c.localGet(j).localGet(kw).i32DivU().localSet(i);
    c.localGet(j).localGet(i).localGet(kw).i32Mul().i32Sub().localSet(j);
    c.localGet(x).localGet(ch).localGet(h).i32Mul().localGet(w).i32Mul().i32Const(4).i32Mul().i32Add().localSet(plane);
    c.localGet(j).localGet(dw).i32Mul().localGet(left).i32Sub().localSet(colShift);
    // owLo = -shift > 0 ? min(wout, ceil(-shift / sw)) : 0
    c.i32Const(0).localGet(colShift).i32Sub().localSet(owLo);
    c.localGet(owLo).i32Const(0).i32GeS().localGet(owLo).i32Eqz().i32Eqz().i32And();
    c.if();
    c.localGet(owLo).localGet(sw).i32Add().i32Const(1).i32Sub().localGet(sw).i32DivU().localSet(owLo);
    min(owLo, wout).localSet(owLo);
    c.else();
    c.i32Const(0).localSet(owLo);
    c.end();
    // owHi = max(owLo, min(wout, w-1-shift < 0 ? 0 : floor((w-1-shift)/sw) + 1))
    c.localGet(w).i32Const(1).i32Sub().localGet(colShift).i32Sub().localSet(owHi);
    c.localGet(owHi).i32Const(0).i32LtS();
    c.if().i32Const(0).localSet(owHi).else();
    c.localGet(owHi).localGet(sw).i32DivU().i32Const(1).i32Add().localSet(owHi);
    c.end();
    min(owHi, wout).localSet(owHi);
    max(owLo, owHi).localSet(owHi);
    c.localGet(dst)
      .localGet(k)
      .i32Const(NR * 4)
      .i32Mul()
      .i32Add()
      .localSet(row);
    if (pro !== 'none') {
      c.localGet(ssp).localGet(ch).i32Const(8).i32Mul().i32Add().localTee(src).f64Load(0).localSet(sc);
      c.localGet(src).localGet(shift).i32Add().f64Load(0).localSet(sf);
    }
    c.i32Const(0).localSet(q);
    c.localGet(tmp).localSet(oh);
    c.localGet(jc).localGet(oh).localGet(wout).i32Mul().i32Sub().localSet(ow0);
    c.loop(); // output rows (runs)
    {
      // run = min(wout - ow0, nc - q)
      c.localGet(wout).localGet(ow0).i32Sub().localSet(run);
      c.localGet(nc).localGet(q).i32Sub().localSet(ow1);
      min(run, ow1).localSet(run);
      c.localGet(ow0).localGet(run).i32Add().localSet(ow1);
      c.localGet(oh).localGet(sh).i32Mul().localGet(top).i32Sub().localGet(i).localGet(dh).i32Mul().i32Add().localSet(ih);
      c.localGet(ih).i32Const(0).i32LtS().localGet(ih).localGet(h).i32GeS().i32Or();
      c.if();
      {
        c.localGet(q).localGet(run).i32Add().localSet(qEnd);
        zeros();
      }
      c.else();
      {
        // lo = max(ow0, min(owLo, ow1)); hi = max(lo, min(owHi, ow1))
        min(owLo, ow1).localSet(lo);
        max(ow0, lo).localSet(lo);
        min(owHi, ow1).localSet(hi);
        max(lo, hi).localSet(hi);
        c.localGet(q).localGet(lo).i32Add().localGet(ow0).i32Sub().localSet(qEnd);
        zeros();
        // src = plane + (ih*w + shift + lo*sw) * 4
        c.localGet(plane)
          .localGet(ih)
          .localGet(w)
          .i32Mul()
          .localGet(colShift)
          .i32Add()
          .localGet(lo)
          .localGet(sw)
          .i32Mul()
          .i32Add()
          .i32Const(4)
          .i32Mul()
          .i32Add()
          .localSet(src);
        c.localGet(q).localGet(hi).i32Add().localGet(lo).i32Sub().localSet(qEnd);
        if (pro === 'none') {
          // Stride 1: the run is contiguous in x; whole panels of it are two v128 copies. First
          // the scalar head up to a panel boundary, then the panels; the loop below does the tail.
          c.localGet(sw).i32Const(1).i32Sub().i32Eqz();
          c.if();
          {
            c.block().loop();
            c.localGet(q).i32Const(7).i32And().i32Eqz().brIf(1);
            c.localGet(q).localGet(qEnd).i32GeS().brIf(1);
            slot().localGet(src).f32Load(0).f32Store();
            c.localGet(src).i32Const(4).i32Add().localSet(src);
            c.localGet(q).i32Const(1).i32Add().localSet(q);
            c.br(0).end().end();
            c.block().loop();
            c.localGet(q).i32Const(NR).i32Add().localGet(qEnd).i32GtS().brIf(1);
            slot().localTee(tmp2).localGet(src).v128Load(0).v128Store(0);
            c.localGet(tmp2).localGet(src).v128Load(16).v128Store(16);
            c.localGet(src)
              .i32Const(NR * 4)
              .i32Add()
              .localSet(src);
            c.localGet(q).i32Const(NR).i32Add().localSet(q);
            c.br(0).end().end();
          }
          c.end();
        }
        c.block().loop();
        c.localGet(q).localGet(qEnd).i32GeS().brIf(1);
        slot();
        c.localGet(src).f32Load(0);
        if (pro !== 'none') {
          c.f64PromoteF32().localGet(sc).f64Mul().localGet(sf).f64Add().f32DemoteF64();
          if (pro === 'relu') c.localSet(vf).f32Const(0).localGet(vf).localGet(vf).f32Const(0).f32Lt().select();
        }
        c.f32Store();
        c.localGet(src).localGet(sw).i32Const(4).i32Mul().i32Add().localSet(src);
        c.localGet(q).i32Const(1).i32Add().localSet(q);
        c.br(0).end().end();
        c.localGet(q).localGet(ow1).i32Add().localGet(hi).i32Sub().localSet(qEnd);
        zeros();
      }
      c.end();
      c.i32Const(0).localSet(ow0);
      c.localGet(oh).i32Const(1).i32Add().localSet(oh);
      c.localGet(q).localGet(nc).i32LtS().brIf(0);
    }
    c.end();
    // Pad the last panel: q to nc rounded up to NR.
    c.localGet(nc)
      .i32Const(NR - 1)
      .i32Add()
      .i32Const(-NR)
      .i32And()
      .localSet(qEnd);
    zeros();
    c.localGet(k).i32Const(1).i32Add().localTee(k).localGet(kc).i32LtS().brIf(0);
  }
  c.end();
  return {
    name: pro === 'none' ? 'im2col' : pro === 'relu' ? 'im2col_pro_relu' : 'im2col_pro',
    params: new Array<ValType>(19).fill(I32),
    results: [],
    locals: [...new Array<ValType>(23).fill(I32), F64, F64, F32],
    code: c,
  };
}

/** The packing functions, for gemm-kernel.ts's module. */
export function packFunctions(): FuncDef[] {
  return [packB(), packBPrologue(false), packBPrologue(true), im2col('none'), im2col('plain'), im2col('relu')];
}

export type PackBFn = (src: number, rs: number, kc: number, panels: number, dst: number) => void;
export type PackBProFn = (src: number, rs: number, kc: number, panels: number, dst: number, ssp: number, shift: number) => void;
export type Im2colFn = (...args: number[]) => void;
