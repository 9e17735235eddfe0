/**
 * avgpool: 2-D average pooling (PyTorch's nn.AvgPool2d).
 * Input [C, H, W], output [C, Hout, Wout]; no tensors.
 */
import { bool, optionalPair, pair, symmetricPadding } from './args.js';
import { numel, requireFeatureMap, type LayerKind } from './kind.js';
import { checkPoolingPadding, poolingOutputShape, windowDetail } from './window.js';
import { attr, single } from './onnx.js';

export interface AvgPoolArgs {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly ceil: boolean;
  readonly count_include_pad: boolean;
}

export const avgpool: LayerKind<AvgPoolArgs> = {
  kind: 'avgpool',
  summary: '2-D average pooling (nn.AvgPool2d)',
  arity: { min: 1, max: 1 },
  display: { category: 'pool', detail: windowDetail },
  args: {
    kernel: pair({ doc: 'window size' }),
    stride: optionalPair({ doc: 'stride; the kernel size when left out (as in PyTorch)' }),
    padding: symmetricPadding({ default: [0, 0], doc: 'implicit zero padding on both sides; at most half the kernel' }),
    ceil: bool({ default: false, doc: "round the output size up (PyTorch's ceil_mode)" }),
    // Changes only the divisor at the borders: the forward kernel reads it; shapes and counts do not.
    count_include_pad: bool({ default: true, doc: 'count the zero padding in the divisor' }),
  },
  resolve(raw, inputs) {
    requireFeatureMap('avgpool', inputs[0]);
    const a = raw as Omit<AvgPoolArgs, 'stride'> & { stride: readonly [number, number] | null };
    checkPoolingPadding(a.kernel, a.padding);
    return { ...a, stride: a.stride ?? a.kernel };
  },
  outputShape(inputs, a) {
    return poolingOutputShape(inputs[0], { ...a, dilation: [1, 1] });
  },
  tensors() {
    return [];
  },
  cost(_inputs, output, a) {
    // kh*kw - 1 adds and 1 divide per output element, on the nominal window.
    return { macs: 0, flops: numel(output) * a.kernel[0] * a.kernel[1] };
  },
  receptiveField(_inputs, _output, a) {
    return { type: 'window', kernel: a.kernel, stride: a.stride, padding: a.padding, dilation: [1, 1] };
  },
  /**
   * As PyTorch's avg_pool2d, per plane and output (oh, ow): the window starts at
   * (oh*sh - ph, ow*sw - pw) and ends kernel later but at most at H + ph (W + pw); the
   * divisor is that window's area (count_include_pad), which counts the padding but not cells
   * beyond it that ceil mode reaches, or else the area of the window clipped to the input.
   * The sum is over the clipped window, in float64.
   */
  forward([x], a, _w, ctx) {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [, hout, wout] = avgpool.outputShape([[c, h, w]], a) as [number, number, number];
    const y = ctx.alloc([n, c, hout, wout]);
    const [kh, kw] = a.kernel;
    const [sh, sw] = a.stride;
    const [ph, pw] = a.padding;
    const src = x.data;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let oh = 0; oh < hout; oh++) {
        let h0 = oh * sh - ph;
        let h1 = Math.min(h0 + kh, h + ph);
        const spanH = h1 - h0;
        h0 = Math.max(h0, 0);
        h1 = Math.min(h1, h);
        for (let ow = 0; ow < wout; ow++) {
          let w0 = ow * sw - pw;
          let w1 = Math.min(w0 + kw, w + pw);
          const spanW = w1 - w0;
          w0 = Math.max(w0, 0);
          w1 = Math.min(w1, w);
          let sum = 0;
          for (let r = h0; r < h1; r++) for (let q = w0; q < w1; q++) sum += src[base + r * w + q];
          const divisor = a.count_include_pad ? spanH * spanW : (h1 - h0) * (w1 - w0);
          y.data[(plane * hout + oh) * wout + ow] = sum / divisor;
        }
      }
    }
    return y;
  },
  /** AveragePool with its padding as pads [top, left, bottom, right] and count_include_pad. */
  onnx(e, a) {
    const [ph, pw] = a.padding;
    single(e, 'AveragePool', {
      kernel_shape: attr.ints(a.kernel),
      strides: attr.ints(a.stride),
      pads: attr.ints([ph, pw, ph, pw]),
      ceil_mode: attr.int(a.ceil ? 1 : 0),
      count_include_pad: attr.int(a.count_include_pad ? 1 : 0),
    });
  },
  docs: {
    shapes: '`[C, H, W]` to `[C, Hout, Wout]`',
    flops: '`E·kh·kw`: `kh·kw − 1` adds and 1 divide per output, full window',
  },
};
