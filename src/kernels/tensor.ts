/**
 * The tensor of execute mode: dense float32 in row-major (C) order, the batch first.
 * Feature maps are NCHW [N, C, H, W]; flat features are [N, F]. Kernels never keep views into
 * each other's tensors: every layer writes a fresh output, so freeing a tensor frees its memory.
 */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A tensor of `shape` over `data` (zeros when left out); the lengths must agree. */
export function tensor(shape: readonly number[], data?: Float32Array): Tensor {
  const n = numel(shape);
  const d = data ?? new Float32Array(n);
  if (d.length !== n) throw new Error(`tensor: ${d.length} values do not fill the shape [${shape.join(', ')}] (${n})`);
  return { shape: [...shape], data: d };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The index of the first NaN or infinity in `data`, or -1. */
export function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v - v is 0 for every finite v, NaN for NaN and the infinities.
    if (v - v !== 0) return i;
  }
  return -1;
}

/**
 * How far `actual` is from `expected`, relative to the size of `expected`:
 *   max_i |actual_i - expected_i| / max(max_i |expected_i|, 1e-6)
 * One number per tensor, so tiny elements next to large ones do not inflate it.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`relativeError: lengths differ (${actual.length} vs ${expected.length})`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    // NaN compares false: make any NaN difference infinite.
    diff = d > diff || d !== d ? (d !== d ? Infinity : d) : diff;
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-6);
}
