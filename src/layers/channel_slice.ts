/**
 * channel_slice: the channels start to end - 1 of its input, x[:, start:end] in PyTorch (with the
 * batch). A split into parts, as ShuffleNet v2's x.chunk(2, dim=1), is one slice per part, each a
 * layer of its own (a node has one output). [C, H, W] or flat [F]; no tensors.
 */
import { ArgTypeError, int, show, type ArgSpec } from './args.js';
import { LayerError, formatShape, type LayerKind } from './kind.js';

export interface ChannelSliceArgs {
  readonly start: number;
  readonly end: number;
}

/** `end`: a non-negative integer, or absent (null) for the input's channel count. */
const endSpec: ArgSpec<number | null> = {
  type: 'a non-negative integer',
  required: false,
  default: null,
  doc: 'one past the last channel taken; the input channels when left out',
  parse(value) {
    if (value === null) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new ArgTypeError(`must be a non-negative integer, got ${show(value)}`);
    }
    return value;
  },
};

export const channel_slice: LayerKind<ChannelSliceArgs> = {
  kind: 'channel_slice',
  summary: 'channels start to end − 1, x[:, start:end] (one part of torch.chunk or torch.split on dim 1)',
  arity: { min: 1, max: 1 },
  display: { category: 'reshape', detail: (a) => `[${a.start}:${a.end}]` },
  args: {
    start: int({ min: 0, default: 0, doc: 'the first channel taken' }),
    end: endSpec,
  },
  resolve(raw, inputs) {
    const shape = inputs[0];
    if (shape.length !== 1 && shape.length !== 3) {
      throw new LayerError(`channel_slice expects a feature map [C, H, W] or flat features [F], got ${formatShape(shape)}`);
    }
    const channels = shape[0];
    const start = raw['start'] as number;
    const end = (raw['end'] as number | null) ?? channels;
    if (end > channels) throw new LayerError(`end ${end} is beyond the input's ${channels} channels`, 'end');
    if (start >= end) {
      throw new LayerError(`start ${start} is not before end ${end}: the slice would be empty`, raw['end'] === null ? 'start' : 'end');
    }
    return { start, end };
  },
  outputShape(inputs, a) {
    return [a.end - a.start, ...inputs[0].slice(1)];
  },
  tensors() {
    return [];
  },
  cost() {
    // A copy of a contiguous block per sample: no arithmetic.
    return { macs: 0, flops: 0 };
  },
  receptiveField() {
    // Channels are dropped; spatial positions are untouched.
    return { type: 'pointwise' };
  },
  /** Per sample, the channels [start, end) are one contiguous block of (end − start)·inner floats (inner = H·W, or 1). */
  forward([x], a, _w, ctx) {
    const shape = x.shape;
    const n = shape[0];
    const c = shape[1];
    const inner = shape.slice(2).reduce((p, d) => p * d, 1);
    const y = ctx.alloc([n, a.end - a.start, ...shape.slice(2)]);
    const block = (a.end - a.start) * inner;
    for (let s = 0; s < n; s++) {
      const from = (s * c + a.start) * inner;
      y.data.set(x.data.subarray(from, from + block), s * block);
    }
    return y;
  },
  /** Slice of axis 1, its starts, ends and axes as inputs (opset 10 on). */
  onnx(e, a) {
    e.node('Slice', [e.inputs[0], e.constant([a.start]), e.constant([a.end]), e.constant([1])], {}, e.output);
  },
  docs: {
    shapes: '`[C, H, W]` to `[end − start, H, W]`; or flat `[F]` to `[end − start]`',
    flops: '0: a copy',
  },
};
