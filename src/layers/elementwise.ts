/**
 * The helper for element-wise kinds (relu, relu6, identity, dropout): one input of any shape, the
 * same shape out, no tensors, a pointwise receptive field, a fixed number of FLOPs per element, and
 * a kernel that maps each element on its own. A kind made with it states only its name, summary,
 * arguments (if any), FLOPs and loop: see relu6.ts.
 */
import type { ArgSpec } from './args.js';
import { numel, type KindDocs, type LayerDisplay, type LayerKind } from './kind.js';
import type { OnnxEmitter } from './onnx.js';

export interface ElementwiseSpec<Args> {
  readonly kind: string;
  readonly summary: string;
  readonly display: LayerDisplay<Args>;
  /** Its arguments (dropout's `p`), none by default; used as `args` checked and defaulted them. */
  readonly args?: Readonly<Record<string, ArgSpec<unknown>>>;
  /**
   * FLOPs per element, the count of `cost`, or a function of the arguments when they depend on them
   * (gelu's `approximate`); `docs.flops` says what they are.
   */
  readonly flopsPerElement: number | ((args: Args) => number);
  /**
   * The kernel: dst[i] = f(src[i]) for every i (the arrays have equal lengths and never alias).
   * Each kind writes its own loop rather than a per-element callback, so that V8 compiles a
   * monomorphic loop per kind.
   */
  readonly map: (src: Float32Array, dst: Float32Array, args: Args) => void;
  readonly docs: KindDocs;
  /** Its ONNX form (LayerKind.onnx). */
  readonly onnx?: (e: OnnxEmitter, args: Args) => void;
}

export function elementwise<Args = Record<string, never>>(spec: ElementwiseSpec<Args>): LayerKind<Args> {
  const { flopsPerElement, map } = spec;
  return {
    kind: spec.kind,
    summary: spec.summary,
    arity: { min: 1, max: 1 },
    display: spec.display,
    args: spec.args ?? {},
    resolve(raw) {
      // Each value was checked and defaulted by `args` already.
      return raw as unknown as Args;
    },
    outputShape(inputs) {
      return inputs[0];
    },
    tensors() {
      return [];
    },
    cost(inputs, _output, a) {
      const perElement = typeof flopsPerElement === 'number' ? flopsPerElement : flopsPerElement(a);
      return { macs: 0, flops: perElement * numel(inputs[0]) };
    },
    receptiveField() {
      return { type: 'pointwise' };
    },
    /** A fresh output (outputs never alias inputs, so each tensor can be freed on its own). */
    forward([x], a, _w, ctx) {
      const y = ctx.alloc(x.shape);
      map(x.data, y.data, a);
      return y;
    },
    docs: spec.docs,
    ...(spec.onnx ? { onnx: spec.onnx } : {}),
  };
}
