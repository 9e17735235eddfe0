/**
 * The warm-up at the end of buildPlan: the first pass of a run was up to twice a steady one,
 * because V8 compiles the JavaScript loops (packing, epilogue copies, pooling, the reference
 * kernels of layer steps) while they run. Here each of them runs on small synthetic data, a few
 * times, before the first pass: about a millisecond per kind of loop. The results are dropped.
 */
import type { LayerNode } from '../graph/graph.js';
import type { LayerWeights } from '../layers/kind.js';
import type { ExecContext } from '../kernels/context.js';
import { LocalContext } from './context.js';
import { depthwiseConv } from './depthwise.js';
import { maxPool2d } from './pool.js';
import { packedFloats, packWeights, type PackedGemm } from './wasm/gemm-kernel.js';
import type { ConvGeometry } from '../kernels/im2col.js';
import { rowMajor } from '../kernels/mat.js';
import { prepareWinograd, runWinograd } from './winograd.js';

const ROUNDS = 40;

/**
 * Runs the engine's loops on small data (a wasm context of its own: the run's is untouched), its
 * buffers in that context's engine memory, as the plan's are (the in-place path of gemm-kernel.ts).
 */
export function warmUpEngine(): void {
  const ctx = new LocalContext();
  const c = 16;
  const s = 12;
  const x = ctx.allocatePlan(c * s * s);
  x.forEach((_, i) => (x[i] = (i % 7) - 3));
  const res = ctx.allocatePlan(c * s * s);
  const y = ctx.allocatePlan(c * s * s);
  const bias = ctx.allocatePlan(c);
  const ssFloats = ctx.allocatePlan(4 * c);
  const ss = new Float64Array(ssFloats.buffer, ssFloats.byteOffset, 2 * c).fill(1);
  const geometry = (k: number, stride: number): ConvGeometry => {
    const out = Math.floor((s + 2 * (k >> 1) - k) / stride) + 1;
    return { h: s, w: s, kh: k, kw: k, sh: stride, sw: stride, dh: 1, dw: 1, top: k >> 1, left: k >> 1, hout: out, wout: out };
  };
  const packed = (K: number) => packWeights(c, K, rowMajor(new Float32Array(c * K), 0, K), ctx.allocatePlan(packedFloats(c, K)), 0);
  const A1 = packed(c);
  const A9 = packed(9 * c);
  // Winograd's transforms (wasm, winograd-kernel.ts): each prologue and epilogue variant.
  const w3 = new Float32Array(9 * c * c).fill(0.1);
  const winograd = [false, true]
    .flatMap((relu) =>
      [false, true].map((relu6) =>
        [undefined, false, true].map((proRelu) =>
          prepareWinograd(
            w3,
            c,
            c,
            geometry(3, 1),
            undefined,
            bias,
            relu || relu6,
            relu6,
            ctx.allocatePlan,
            proRelu === undefined ? undefined : { ss, channels: c, channel0: 0, relu: proRelu },
          ),
        ),
      ),
    )
    .flat();
  for (let r = 0; r < ROUNDS; r++) {
    // Twice each (with and without a residual): compiles them; their loops are wasm, no JIT to warm.
    if (r < 2 * winograd.length) runWinograd(winograd[r % winograd.length], ctx, 1, x, y, r < winograd.length ? res : undefined);
    for (const stride of [1, 2]) {
      const g = geometry(3, stride);
      const N = g.hout * g.wout;
      const job: PackedGemm = {
        M: c,
        N,
        K: 9 * c,
        A: A9,
        B: { kind: 'im2col', x, xOff: 0, geometry: g, ...(r % 2 ? { prologue: { ss, channels: c, channel0: 0, relu: true } } : {}) },
        C: rowMajor(y, 0, N),
        bias,
        biasOffset: 0,
        relu: true,
        relu6: r % 3 === 0,
        ...(r % 2 ? { residual: rowMajor(res, 0, N) } : {}),
      };
      ctx.gemmPacked(job);
      depthwiseConv(
        { cin: c, cout: c, geometry: g, weight: new Float32Array(9 * c), bias, relu: true, relu6: r % 2 === 0 },
        1,
        x,
        y,
        r % 2 ? res : undefined,
        ctx,
      );
      maxPool2d(x, y, c, g, new Float32Array(s * s), ctx);
    }
    // A matrix-vector product (linear at batch 1: gemm-kernel.ts's gemv).
    ctx.gemm(c, 1, 9 * c, rowMajor(x, 0, 9 * c), rowMajor(res, 0, 1), rowMajor(bias, 0, 1), false);
    const N = s * s;
    ctx.gemmPacked({
      M: c,
      N,
      K: c,
      A: A1,
      B: { kind: 'mat', mat: rowMajor(x, 0, N), ...(r % 2 ? { prologue: { ss, channels: c, channel0: 0, relu: r % 4 === 1 } } : {}) },
      C: rowMajor(y, 0, N),
      bias,
      biasOffset: 0,
      relu: r % 2 === 0,
    });
  }
}

/**
 * Runs a layer step's reference forward on a small input of its kind: the node's channels at
 * most 12x12 pixels (feature maps), its own shape otherwise. Kinds with weights of more than
 * 2^16 floats (a large linear) are left out: their first pass is memory bound anyway.
 */
export function warmUpLayer(node: LayerNode, w: LayerWeights, runContext?: ExecContext): void {
  let floats = 0;
  for (const t of Object.values(w)) floats += t.length;
  if (floats > 1 << 16) return;
  // The run's own context when given: V8 compiles the forward for the context's class too (warmed
  // on another, the first pass deoptimized at ctx.alloc); the outputs go back to it.
  const ctx = runContext ?? new LocalContext();
  const macs = ctx.macs;
  // Without weights, the channels can shrink too (a global pool over 2048 channels warms up on 64).
  const channels = (c: number) => (floats === 0 ? Math.min(c, 64) : c);
  const shapes = node.inputShapes.map((shape) =>
    shape.length === 3 ? [channels(shape[0]), Math.min(shape[1], 12), Math.min(shape[2], 12)] : [...shape],
  );
  if (shapes.some((shape) => shape.reduce((p, d) => p * d, 1) > 1 << 16)) return;
  // Inputs made as the run's are (ctx.alloc: tensors in an engine memory): V8 compiles a loop over
  // other objects apart, and then deoptimizes it in the first pass (warmed on plain
  // {shape, data} objects, resnet50's global pool took 5-10 ms in the first pass, 0.2 after).
  const inputs = shapes.map((shape) => {
    const t = ctx.alloc([1, ...shape]);
    t.data.fill(0.5);
    return t;
  });
  try {
    for (let r = 0; r < ROUNDS; r++) ctx.release?.(node.layer.forward(inputs, node.args, w, ctx));
  } catch {
    // A kind whose arguments do not fit the small input (a large pooling window): no warm-up.
  }
  for (const t of inputs) ctx.release?.(t);
  ctx.macs = macs;
}
