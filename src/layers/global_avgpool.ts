/**
 * global_avgpool: average over all positions of each channel (PyTorch's nn.AdaptiveAvgPool2d(1)).
 * Input [C, H, W], output [C, 1, 1]; no tensors.
 */
import { numel, requireFeatureMap, type LayerKind } from './kind.js';
import { single } from './onnx.js';

export const global_avgpool: LayerKind<Record<string, never>> = {
  kind: 'global_avgpool',
  summary: 'average over all positions of each channel (nn.AdaptiveAvgPool2d(1))',
  arity: { min: 1, max: 1 },
  display: { category: 'pool' },
  args: {},
  resolve(_raw, inputs) {
    requireFeatureMap('global_avgpool', inputs[0]);
    return {};
  },
  outputShape(inputs) {
    return [inputs[0][0], 1, 1];
  },
  tensors() {
    return [];
  },
  cost(inputs) {
    // H*W - 1 adds and 1 divide per channel.
    return { macs: 0, flops: numel(inputs[0]) };
  },
  receptiveField() {
    return { type: 'global' };
  },
  /** y[n, c, 0, 0] = mean of the H*W elements of x[n, c], in float64. */
  forward([x], _a, _w, ctx) {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const inner = h * w;
    const y = ctx.alloc([n, c, 1, 1]);
    for (let plane = 0; plane < n * c; plane++) {
      let sum = 0;
      for (let i = plane * inner; i < (plane + 1) * inner; i++) sum += x.data[i];
      y.data[plane] = sum / inner;
    }
    return y;
  },
  /** GlobalAveragePool. */
  onnx(e) {
    single(e, 'GlobalAveragePool');
  },
  docs: {
    shapes: '`[C, H, W]` to `[C, 1, 1]`',
    flops: '`C·H·W` (`H·W − 1` adds + 1 divide per channel)',
  },
};
