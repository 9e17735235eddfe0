/**
 * adaptive_avgpool: average pooling to a fixed output size (PyTorch's nn.AdaptiveAvgPool2d).
 * Input [C, H, W], output [C, h, w]; no tensors.
 *
 * Along an axis of input size n and output size m, output i averages the input window
 * [floor(i*n/m), ceil((i+1)*n/m)), as PyTorch computes it. Windows may differ in size and overlap.
 */
import { pair } from './args.js';
import { requireFeatureMap, type FieldStep, type LayerKind } from './kind.js';
import { attr, single, OnnxFormError } from './onnx.js';

export interface AdaptiveAvgPoolArgs {
  readonly size: readonly [number, number];
}

/** Sum of the window sizes along one axis. */
function windowTotal(n: number, m: number): number {
  let total = 0;
  for (let i = 0; i < m; i++) total += Math.ceil(((i + 1) * n) / m) - Math.floor((i * n) / m);
  return total;
}

export const adaptive_avgpool: LayerKind<AdaptiveAvgPoolArgs> = {
  kind: 'adaptive_avgpool',
  summary: 'average pooling to a fixed output size (nn.AdaptiveAvgPool2d)',
  arity: { min: 1, max: 1 },
  display: { category: 'pool' },
  args: {
    size: pair({ doc: 'output size' }),
  },
  resolve(raw, inputs) {
    requireFeatureMap('adaptive_avgpool', inputs[0]);
    // Each value was checked and defaulted by `args` already.
    return raw as unknown as AdaptiveAvgPoolArgs;
  },
  outputShape(inputs, a) {
    return [inputs[0][0], a.size[0], a.size[1]];
  },
  tensors() {
    return [];
  },
  cost(inputs, _output, a) {
    const [c, h, w] = inputs[0];
    // A window of area A costs A - 1 adds and 1 divide, so A flops, as in avgpool. The windows
    // are separable, so the sum of the areas is (sum of heights) * (sum of widths) per channel.
    return { macs: 0, flops: c * windowTotal(h, a.size[0]) * windowTotal(w, a.size[1]) };
  },
  receptiveField(inputs, _output, a): FieldStep {
    const [, h, w] = inputs[0];
    const [oh, ow] = a.size;
    if (h === oh && w === ow) return { type: 'pointwise' };
    if (oh === 1 && ow === 1) return { type: 'global' };
    if (h % oh === 0 && w % ow === 0) {
      // Uniform windows: exactly a pooling with kernel = stride = in/out.
      const k = [h / oh, w / ow] as const;
      return { type: 'window', kernel: k, stride: k, padding: [0, 0], dilation: [1, 1] };
    }
    // Non-uniform windows (sizes and steps vary) have no single window step; reported
    // conservatively as global, which over-states the field rather than under-stating it.
    return { type: 'global' };
  },
  /**
   * For each plane (n, c) and output (i, j): the mean of x over rows [floor(i*H/h), ceil((i+1)*H/h))
   * and columns [floor(j*W/w), ceil((j+1)*W/w)), in float64 (PyTorch's adaptive_avg_pool2d windows).
   */
  forward([x], a, _w, ctx) {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [oh, ow] = a.size;
    const y = ctx.alloc([n, c, oh, ow]);
    const src = x.data;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let i = 0; i < oh; i++) {
        const h0 = Math.floor((i * h) / oh);
        const h1 = Math.ceil(((i + 1) * h) / oh);
        for (let j = 0; j < ow; j++) {
          const w0 = Math.floor((j * w) / ow);
          const w1 = Math.ceil(((j + 1) * w) / ow);
          let sum = 0;
          for (let r = h0; r < h1; r++) for (let q = w0; q < w1; q++) sum += src[base + r * w + q];
          y.data[(plane * oh + i) * ow + j] = sum / ((h1 - h0) * (w1 - w0));
        }
      }
    }
    return y;
  },
  /**
   * As torch exports it: GlobalAveragePool to 1×1, else an AveragePool of kernel = stride =
   * input / output, which only uniform windows (sizes dividing the input) have.
   */
  onnx(e, a, inputs) {
    const [, h, w] = inputs[0];
    const [oh, ow] = a.size;
    if (oh === 1 && ow === 1) return single(e, 'GlobalAveragePool');
    if (h % oh !== 0 || w % ow !== 0) {
      throw new OnnxFormError(`output ${oh}×${ow} of an input ${h}×${w} has windows of unequal sizes, which no ONNX pooling writes`);
    }
    const k = [h / oh, w / ow];
    single(e, 'AveragePool', { kernel_shape: attr.ints(k), strides: attr.ints(k) });
  },
  docs: {
    shapes: '`[C, H, W]` to `[C, h, w]`',
    flops: "the sum of every window's area (area − 1 adds + 1 divide), with PyTorch's windows `[floor(i·in/out), ceil((i+1)·in/out))`",
  },
};
