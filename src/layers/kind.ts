/**
 * The contract every layer kind fulfils. One kind lives in one file of `src/layers/`,
 * holds everything about it (static analysis, execute mode, weight initialization, documentation),
 * and is listed once in `src/layers/index.ts`. CONTRIBUTING.md has the recipe for a new kind.
 */
import type { ExecContext } from '../kernels/context.js';
import type { Tensor } from '../kernels/tensor.js';
import type { ArgSpec } from './args.js';
import type { OnnxEmitter } from './onnx.js';

/** A per-sample tensor shape: [C, H, W] for feature maps, [F] for flat features. The batch is never part of it. */
export type Shape = readonly number[];

/** A named tensor a layer owns, as PyTorch's `state_dict()` names it (`weight`, `bias`, `running_mean`, ...). */
export interface TensorSpec {
  /**
   * The key suffix after the layer's name: `weight` for `layer1.0.conv1.weight`. Empty when the
   * key is the layer's own name: a bare nn.Parameter of the enclosing module, as ConvNeXt's
   * `features.1.0.layer_scale` (stateDictKey in src/execute/weights.ts).
   */
  readonly name: string;
  readonly shape: readonly number[];
  /** Parameters are trainable; buffers (running statistics, counters) are not. */
  readonly role: 'parameter' | 'buffer';
  /** Element type. Every tensor is floating point except batchnorm's `num_batches_tracked` counter. */
  readonly dtype: 'float' | 'int64';
}

/**
 * A problem a kind finds in its arguments or input shapes. `arg` names the argument at fault,
 * so the front end can point at its line and column; without it, the error points at the layer.
 */
export class LayerError extends Error {
  constructor(
    message: string,
    readonly arg?: string,
  ) {
    super(message);
  }
}

/** How many inputs a kind takes. */
export interface Arity {
  readonly min: number;
  readonly max: number;
}

/**
 * What a layer does, in a word. Renderers colour by it (src/report/style.ts), so kinds that do the
 * same thing look the same in every output, and a new kind picks the category it belongs to.
 */
export type LayerCategory =
  /** The model input (the front end's own kind). */
  | 'input'
  /** Convolutions, plain or transposed. */
  | 'conv'
  /** Fully connected layers. */
  | 'linear'
  /** Windowed, adaptive and global pooling. */
  | 'pool'
  /** Normalization: batchnorm, lrn, layernorm, groupnorm. */
  | 'norm'
  /** Element-wise nonlinearities, and softmax: relu, sigmoid, hardswish, gelu. */
  | 'activation'
  /** Element-wise arithmetic between inputs: add, mul. */
  | 'arithmetic'
  /** Joining inputs along the channels. */
  | 'concat'
  /** Moving or passing elements on with no arithmetic: flatten, identity, channel_shuffle. */
  | 'reshape'
  /** Changing the spatial size by interpolation: upsample. */
  | 'resample'
  /** Active in training only: dropout. */
  | 'regularization';

/** How renderers show a layer of the kind. */
export interface LayerDisplay<Args = unknown> {
  readonly category: LayerCategory;
  /** The arguments worth seeing at a glance in the graph (`3×3 /2 g32`); '' or absent for none. */
  detail?(args: Args): string;
}

export interface LayerKind<Args = unknown> {
  /** The key used in YAML: `conv`, `maxpool`, ... */
  readonly kind: string;
  /** One line for `--help` and the kind table of docs/format.md. */
  readonly summary: string;
  readonly arity: Arity;
  readonly display: LayerDisplay<Args>;
  /** Argument specifications, in the order they are documented. `name`, `inputs`, `if`, `repeat`, `output` are common to all kinds and not listed. */
  readonly args: Readonly<Record<string, ArgSpec<unknown>>>;
  /**
   * Checks relations between arguments and the input shapes and returns the normalized arguments.
   * Receives arguments already type-checked and defaulted by `args`.
   */
  resolve(raw: Readonly<Record<string, unknown>>, inputs: readonly Shape[]): Args;
  /** The per-sample output shape. Throws LayerError when the inputs cannot produce a valid output. */
  outputShape(inputs: readonly Shape[], args: Args): Shape;
  /** The tensors this layer owns, with PyTorch's names and shapes. */
  tensors(inputs: readonly Shape[], args: Args): readonly TensorSpec[];
  /**
   * Arithmetic per sample (batch 1); the analysis multiplies by the batch. Every kind states its
   * count here and says how in `docs.flops` (docs/metrics.md), so no kind is silently free.
   */
  cost(inputs: readonly Shape[], output: Shape, args: Args): OpCount;
  /** How this layer transforms a receptive field (Araujo et al., Distill 2019). */
  receptiveField(inputs: readonly Shape[], output: Shape, args: Args): FieldStep;
  /**
   * Execute mode: computes the output for a batch, in inference mode (float32, NCHW; see
   * src/kernels/tensor.ts). `inputs` have shapes [N, ...inputs[i]]; the result has shape
   * [N, ...outputShape] and is a new tensor from `ctx.alloc` (inputs are never modified or
   * aliased). Convolution and linear add their multiply-accumulates to `ctx.macs`.
   */
  forward(inputs: readonly Tensor[], args: Args, weights: LayerWeights, ctx: ExecContext): Tensor;
  /**
   * Execute mode: the most floats one call of `forward` asks `ctx.scratch` for, whatever the batch
   * (conv's im2col matrix); absent when it asks for none. The memory estimate counts it.
   */
  scratchFloats?(inputs: readonly Shape[], output: Shape, args: Args): number;
  /**
   * `cnnscope export`: writes the layer as ONNX nodes through the emitter (src/layers/onnx.ts),
   * in a form cnnscope's ONNX front end reads back as this kind with these figures. Throws
   * OnnxFormError when the arguments have no form at `e.opset`. Every registered kind has it.
   */
  onnx?(e: OnnxEmitter, args: Args, inputs: readonly Shape[], output: Shape): void;
  /** Execute mode: how the layer's float tensors are filled without a weights file. Required when `tensors` returns any. */
  readonly init?: WeightInit<Args>;
  /**
   * What docs/format.md and docs/metrics.md say about the kind besides `summary` and each
   * argument's `doc` (`npm run docs`). Every registered kind has it (test/layers/index.test.ts);
   * only the front end's model input, which is no kind of the registry, goes without.
   */
  readonly docs?: KindDocs;
}

/**
 * How execute mode fills one float tensor: a constant, or `center + U(-uniform, uniform)` from
 * the tensor's own stream of src/execute/random.ts (computed in float64, rounded to float32 once).
 */
export type TensorFill = { readonly constant: number } | { readonly uniform: number; readonly center?: number };

/**
 * A kind's two initializations, for one float tensor among the layer's `tensors`, given the
 * layer's arguments (layer_scale's initial value is one).
 */
export interface WeightInit<Args = unknown> {
  /** PyTorch's default, the module's reset_parameters: what `cnnscope run` uses (with `--seed`). */
  pytorch(tensor: TensorSpec, tensors: readonly TensorSpec[], args: Args): TensorFill;
  /**
   * The reference fixtures' formula (test/fixtures/reference/): scripts/torch_reference_nets.py
   * computes the same values (synthetic_state_dict), so no weights need storing.
   */
  synthetic(tensor: TensorSpec, tensors: readonly TensorSpec[], args: Args): TensorFill;
}

/**
 * The documentation of a kind, rendered into the kind tables of docs/format.md and
 * docs/metrics.md by `npm run docs` (src/layers/docs.ts). Text is Markdown; E is the number of
 * output elements per sample.
 */
export interface KindDocs {
  /** The input shapes it takes and the output it gives; absent: one input of any shape, the same shape out. */
  readonly shapes?: string;
  /** Its parameters per layer, when it can have any. */
  readonly params?: string;
  /** Its MACs per sample, when not 0 (conv and linear only: torchvision's convention). */
  readonly macs?: string;
  /** How `cost` counts its FLOPs per sample (and, when 0, why). */
  readonly flops: string;
}

/** A layer's float tensors in execute mode, by TensorSpec name (`weight`, `running_var`, ...), in C order. */
export type LayerWeights = Readonly<Record<string, Float32Array>>;

/**
 * Operation counts for one sample. `macs` counts multiply-accumulates of conv and linear only
 * (torchvision's "GFLOPS" convention); `flops` counts every arithmetic op, 2 per MAC.
 */
export interface OpCount {
  readonly macs: number;
  readonly flops: number;
}

/**
 * A layer's effect on receptive fields:
 * - `window`: a sliding window with kernel, stride, leading padding and dilation per axis [h, w];
 *   with `upsample` u, the window slides over the input grid refined u times (u - 1 positions
 *   inserted between neighbours, a fractional stride 1/u): a transposed convolution is the stride-1
 *   window over its zero-inserted input (Dumoulin and Visin, 2016), an upsampling the window of
 *   the input positions its interpolation reads. The leading padding may then be negative;
 * - `pointwise`: each output element sees exactly the same input positions (relu, batchnorm,
 *   flatten, dropout); merges (add, concat) are pointwise per input and the analysis combines paths;
 * - `global`: each output sees the whole input (global pooling, linear, softmax over features).
 */
export type FieldStep =
  | {
      readonly type: 'window';
      readonly kernel: readonly [number, number];
      readonly stride: readonly [number, number];
      readonly padding: readonly [number, number];
      readonly dilation: readonly [number, number];
      /** The refinement of the input grid per axis; absent: [1, 1]. */
      readonly upsample?: readonly [number, number];
    }
  | { readonly type: 'pointwise' }
  | { readonly type: 'global' };

/** Product of a shape's dimensions (one definition, shared with the kernels). */
export { numel } from '../kernels/tensor.js';

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws unless the input is a feature map [C, H, W]. */
export function requireFeatureMap(kind: string, shape: Shape): void {
  if (shape.length !== 3) {
    throw new LayerError(`${kind} expects a feature map [C, H, W], got ${formatShape(shape)}`);
  }
}

/** A kind whatever its argument type: the registry's element type (each kind alone reads its own arguments). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the argument type is existential here
export type AnyLayerKind = LayerKind<any>;
