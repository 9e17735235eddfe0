/**
 * linear: a fully connected layer (PyTorch's nn.Linear).
 * Input [F], weight [out, F], output [out].
 */
import { bool, int } from './args.js';
import { fanInInit } from './init.js';
import { LayerError, formatShape, type LayerKind, type TensorSpec } from './kind.js';
import { attr } from './onnx.js';

export interface LinearArgs {
  readonly out: number;
  readonly bias: boolean;
}

export const linear: LayerKind<LinearArgs> = {
  kind: 'linear',
  summary: 'fully connected layer (nn.Linear)',
  arity: { min: 1, max: 1 },
  display: { category: 'linear' },
  args: {
    out: int({ doc: 'output features' }),
    bias: bool({ default: true, doc: 'learn an additive bias per output feature' }),
  },
  resolve(raw, inputs) {
    const input = inputs[0];
    // nn.Linear would act on the last axis of a feature map; in a CNN that is almost always a
    // forgotten flatten, so say so instead of silently producing [C, H, out].
    if (input.length === 3) {
      throw new LayerError(
        `linear expects flat features [F], got the feature map ${formatShape(input)}: add a \`flatten\` layer before it`,
      );
    }
    if (input.length !== 1) throw new LayerError(`linear expects flat features [F], got ${formatShape(input)}`);
    // Each value was checked and defaulted by `args` already.
    return raw as unknown as LinearArgs;
  },
  outputShape(_inputs, a) {
    return [a.out];
  },
  tensors(inputs, a): TensorSpec[] {
    const weight: TensorSpec = { name: 'weight', shape: [a.out, inputs[0][0]], role: 'parameter', dtype: 'float' };
    return a.bias ? [weight, { name: 'bias', shape: [a.out], role: 'parameter', dtype: 'float' }] : [weight];
  },
  cost(inputs, _output, a) {
    // One MAC per weight; the bias is one add per output feature.
    const macs = inputs[0][0] * a.out;
    return { macs, flops: 2 * macs + (a.bias ? a.out : 0) };
  },
  receptiveField() {
    return { type: 'global' };
  },
  /**
   * One GEMM with the weight as A: y^T [out, N] (+)= weight [out, F] · x^T [F, N], where x^T and
   * y^T are strided views of the row-major x [N, F] and y [N, out] (no copies). At N = 1 it is a
   * matrix-vector product. The bias pre-fills y. MACs: out*N*F.
   */
  forward([x], a, w, ctx) {
    const [n, f] = x.shape as [number, number];
    const y = ctx.alloc([n, a.out]);
    const bias = a.bias ? w['bias'] : undefined;
    if (bias) for (let s = 0; s < n; s++) y.data.set(bias, s * a.out);
    ctx.gemm(
      a.out,
      n,
      f,
      { data: w['weight'], offset: 0, rs: f, cs: 1 },
      { data: x.data, offset: 0, rs: 1, cs: f },
      { data: y.data, offset: 0, rs: 1, cs: a.out },
      bias !== undefined,
    );
    return y;
  },
  init: fanInInit,
  /** Gemm with transB: the weight stays [out, F], as the state_dict holds it. */
  onnx(e, a) {
    const inputs = [e.inputs[0], e.tensor('weight'), ...(a.bias ? [e.tensor('bias')] : [])];
    e.node('Gemm', inputs, { transB: attr.int(1) }, e.output);
  },
  docs: {
    shapes: '`[F]` to `[out]` (a feature map needs a `flatten` first)',
    params: '`F·out` weights `+ out` biases',
    macs: '`F · out`',
    flops: '`2·MACs + out` with a bias',
  },
};
