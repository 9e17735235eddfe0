/**
 * The one formula for sliding windows (convolution and pooling), as PyTorch computes it:
 *
 *   out = floor((in + pad_before + pad_after - dilation*(kernel-1) - 1) / stride) + 1
 *
 * In ceil mode the division rounds up, and, as in PyTorch, the last window must start inside
 * the input or the leading padding: if (out-1)*stride >= in + pad_before, one window is dropped.
 */
import { LayerError, type Shape } from './kind.js';

export interface WindowAxis {
  readonly size: number;
  readonly padBefore: number;
  readonly padAfter: number;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly ceil: boolean;
}

export function windowOutputSize(a: WindowAxis): number {
  const extent = a.dilation * (a.kernel - 1) + 1;
  const span = a.size + a.padBefore + a.padAfter - extent;
  // PyTorch's pooling_output_shape: floor division (toward -infinity), so in ceil mode a window
  // larger than the input still gives one output while span > -stride.
  if (!a.ceil) return Math.max(0, Math.floor(span / a.stride) + 1);
  let out = Math.floor((span + a.stride - 1) / a.stride) + 1;
  if (out > 0 && (out - 1) * a.stride >= a.size + a.padBefore) out -= 1;
  return Math.max(0, out);
}

/** The output size along one axis, or a LayerError that says why there is none. */
export function checkedWindowOutputSize(axisName: 'height' | 'width', a: WindowAxis): number {
  const out = windowOutputSize(a);
  if (out <= 0) {
    const extent = a.dilation * (a.kernel - 1) + 1;
    const dil = a.dilation > 1 ? `, dilation ${a.dilation}` : '';
    throw new LayerError(
      `output ${axisName} would be ${out}: input ${axisName} ${a.size} + padding ${a.padBefore + a.padAfter} ` +
        `is smaller than the window extent ${extent} (kernel ${a.kernel}${dil})`,
    );
  }
  return out;
}

/** The graph's detail of a sliding window: `7×7 /2`, `3×3 d2`, `3×3 g32` for a grouped conv, `1×1`; strides and dilations of 1 left out. */
export function windowDetail(a: {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation?: readonly [number, number];
  readonly groups?: number;
}): string {
  const pair = (p: readonly number[]) => (p[0] === p[1] ? String(p[0]) : `${p[0]}×${p[1]}`);
  const ones = (p: readonly number[] | undefined) => !p || (p[0] === 1 && p[1] === 1);
  const stride = ones(a.stride) ? '' : ` /${pair(a.stride)}`;
  const dilation = ones(a.dilation) ? '' : ` d${pair(a.dilation!)}`;
  const groups = a.groups !== undefined && a.groups > 1 ? ` g${a.groups}` : '';
  return `${a.kernel[0]}×${a.kernel[1]}${stride}${dilation}${groups}`;
}

/** A pooling window: symmetric padding, per axis [h, w]. */
export interface PoolingWindow {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly ceil: boolean;
}

/** PyTorch's pooling rule, whatever the dilation: padding at most half the kernel (integer division). */
export function checkPoolingPadding(kernel: readonly [number, number], padding: readonly [number, number]): void {
  for (const [axis, i] of [
    ['height', 0],
    ['width', 1],
  ] as const) {
    if (padding[i] > Math.floor(kernel[i] / 2)) {
      throw new LayerError(
        `padding ${padding[i]} is more than half the kernel ${kernel[i]} along the ${axis}: PyTorch requires padding <= kernel/2`,
        'padding',
      );
    }
  }
}

/** [C, Hout, Wout] of a pooling layer on [C, H, W]. */
export function poolingOutputShape(input: Shape, p: PoolingWindow): Shape {
  const [c, h, w] = input as [number, number, number];
  const axis = (name: 'height' | 'width', size: number, i: 0 | 1) =>
    checkedWindowOutputSize(name, {
      size,
      padBefore: p.padding[i],
      padAfter: p.padding[i],
      kernel: p.kernel[i],
      stride: p.stride[i],
      dilation: p.dilation[i],
      ceil: p.ceil,
    });
  return [c, axis('height', h, 0), axis('width', w, 1)];
}
