/**
 * layer_scale: a learned scale per channel, y[c] = gamma[c] * x[c] (ConvNeXt's layer scale:
 * torchvision's CNBlock multiplies its branch by `self.layer_scale = nn.Parameter(torch.ones(dim,
 * 1, 1) * layer_scale)`). Input [C, H, W], output of the same shape.
 *
 * The parameter is a bare nn.Parameter of the block, so its state_dict key has no suffix: the
 * layer named `features.1.0.layer_scale` owns the key `features.1.0.layer_scale`, a TensorSpec
 * named '' (stateDictKey in src/execute/weights.ts).
 */
import { number } from './args.js';
import { numel, requireFeatureMap, type LayerKind, type TensorSpec } from './kind.js';

export interface LayerScaleArgs {
  readonly init: number;
}

export const layer_scale: LayerKind<LayerScaleArgs> = {
  kind: 'layer_scale',
  summary: "a learned scale per channel (ConvNeXt's layer_scale, an nn.Parameter [C, 1, 1])",
  arity: { min: 1, max: 1 },
  display: { category: 'arithmetic' },
  args: {
    // torchvision's ConvNeXt default.
    init: number({ default: 1e-6, doc: 'the initial value of every scale (nn.Parameter(torch.ones(C, 1, 1) * init))' }),
  },
  resolve(raw, inputs) {
    requireFeatureMap('layer_scale', inputs[0]);
    // Each value was checked and defaulted by `args` already.
    return raw as unknown as LayerScaleArgs;
  },
  outputShape(inputs) {
    return inputs[0];
  },
  tensors(inputs): TensorSpec[] {
    return [{ name: '', shape: [inputs[0][0], 1, 1], role: 'parameter', dtype: 'float' }];
  },
  cost(inputs) {
    return { macs: 0, flops: numel(inputs[0]) };
  },
  receptiveField() {
    return { type: 'pointwise' };
  },
  /** y[n, c, p] = gamma[c] * x[n, c, p] over the H*W positions p, in float32 as PyTorch. */
  forward([x], _a, w, ctx) {
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const inner = h * wd;
    const y = ctx.alloc(x.shape);
    const gamma = w[''];
    const src = x.data;
    const dst = y.data;
    for (let s = 0; s < n; s++) {
      for (let ch = 0; ch < c; ch++) {
        const g = gamma[ch];
        const base = (s * c + ch) * inner;
        for (let i = base; i < base + inner; i++) dst[i] = g * src[i];
      }
    }
    return y;
  },
  init: {
    /** torch.ones(C, 1, 1) * init. */
    pytorch(_t, _tensors, a) {
      return { constant: a.init };
    },
    /** 1 + U(+-1/4), a scale near the identity, as batchnorm's weight (the fixtures' init value would hide the branch). */
    synthetic() {
      return { uniform: 0.25, center: 1 };
    },
  },
  /** Mul by the parameter [C, 1, 1], which broadcasts over the batch and the positions. */
  onnx(e) {
    e.node('Mul', [e.inputs[0], e.tensor('')], {}, e.output);
  },
  docs: {
    shapes: '`[C, H, W]`, the same shape out',
    params: '`C`',
    flops: '`E`: one multiply per element',
  },
};
