/**
 * maxpool: 2-D max pooling (PyTorch's nn.MaxPool2d).
 * Input [C, H, W], output [C, Hout, Wout]; no tensors.
 */
import { bool, optionalPair, pair, symmetricPadding } from './args.js';
import { numel, requireFeatureMap, type LayerKind } from './kind.js';
import { checkPoolingPadding, poolingOutputShape, windowDetail } from './window.js';
import { attr, single } from './onnx.js';

export interface MaxPoolArgs {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly ceil: boolean;
}

export const maxpool: LayerKind<MaxPoolArgs> = {
  kind: 'maxpool',
  summary: '2-D max pooling (nn.MaxPool2d)',
  arity: { min: 1, max: 1 },
  display: { category: 'pool', detail: windowDetail },
  args: {
    kernel: pair({ doc: 'window size' }),
    stride: optionalPair({ doc: 'stride; the kernel size when left out (as in PyTorch)' }),
    padding: symmetricPadding({ default: [0, 0], doc: 'implicit -infinity padding on both sides; at most half the kernel' }),
    dilation: pair({ default: [1, 1], doc: 'spacing between window taps' }),
    ceil: bool({ default: false, doc: "round the output size up (PyTorch's ceil_mode)" }),
  },
  resolve(raw, inputs) {
    requireFeatureMap('maxpool', inputs[0]);
    const a = raw as Omit<MaxPoolArgs, 'stride'> & { stride: readonly [number, number] | null };
    checkPoolingPadding(a.kernel, a.padding);
    return { ...a, stride: a.stride ?? a.kernel };
  },
  outputShape(inputs, a) {
    return poolingOutputShape(inputs[0], { ...a, dilation: a.dilation });
  },
  tensors() {
    return [];
  },
  cost(_inputs, output, a) {
    // kh*kw - 1 comparisons per output element, counted on the nominal window even where it
    // overlaps the padding (the padding is -infinity, still compared).
    return { macs: 0, flops: numel(output) * (a.kernel[0] * a.kernel[1] - 1) };
  },
  receptiveField(_inputs, _output, a) {
    return { type: 'window', kernel: a.kernel, stride: a.stride, padding: a.padding, dilation: a.dilation };
  },
  /**
   * Per plane and output (oh, ow): the maximum of x over the taps (oh*sh - ph + i*dh,
   * ow*sw - pw + j*dw), i < kh, j < kw, that fall inside the input (the padding is -infinity,
   * so taps outside are skipped). A NaN tap makes the result NaN, as in PyTorch.
   */
  forward([x], a, _w, ctx) {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [, hout, wout] = maxpool.outputShape([[c, h, w]], a) as [number, number, number];
    const y = ctx.alloc([n, c, hout, wout]);
    const [kh, kw] = a.kernel;
    const [sh, sw] = a.stride;
    const [ph, pw] = a.padding;
    const [dh, dw] = a.dilation;
    const src = x.data;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let oh = 0; oh < hout; oh++) {
        for (let ow = 0; ow < wout; ow++) {
          let m = -Infinity;
          for (let i = 0; i < kh; i++) {
            const r = oh * sh - ph + i * dh;
            if (r < 0 || r >= h) continue;
            for (let j = 0; j < kw; j++) {
              const q = ow * sw - pw + j * dw;
              if (q < 0 || q >= w) continue;
              const v = src[base + r * w + q];
              if (v > m || v !== v) m = v;
              if (m !== m) break;
            }
          }
          y.data[(plane * hout + oh) * wout + ow] = m;
        }
      }
    }
    return y;
  },
  /** MaxPool with its padding as pads [top, left, bottom, right]. */
  onnx(e, a) {
    const [ph, pw] = a.padding;
    single(e, 'MaxPool', {
      kernel_shape: attr.ints(a.kernel),
      strides: attr.ints(a.stride),
      pads: attr.ints([ph, pw, ph, pw]),
      dilations: attr.ints(a.dilation),
      ceil_mode: attr.int(a.ceil ? 1 : 0),
    });
  },
  docs: {
    shapes: '`[C, H, W]` to `[C, Hout, Wout]`',
    flops: '`E·(kh·kw − 1)` comparisons, over the full window even where it overlaps padding',
  },
};
