/**
 * Element-wise activations against PyTorch on the edge cases: the inputs below, and each kind's
 * outputs from torch 1.13 in float64 rounded to float32 (scripts: `f(torch.tensor(ACTIVATION_INPUTS,
 * dtype=torch.float32).double()).float()`).
 */
import { expect } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { tensor } from '../../src/kernels/tensor.js';
import type { LayerKind } from '../../src/layers/kind.js';

export const ACTIVATION_INPUTS = [-Infinity, -100, -5, -3, -1, -0.5, -1e-30, -0, 0, 1e-30, 0.5, 1, 3, 5, 100, Infinity, NaN];

/** The kernel's outputs on ACTIVATION_INPUTS (as float32), batch 1. */
export function activate<Args>(kind: LayerKind<Args>, args: Args): Float32Array {
  const x = Float32Array.from(ACTIVATION_INPUTS);
  const y = kind.forward([tensor([1, x.length], x)], args, {}, new LocalContext()).data;
  expect(y).not.toBe(x);
  return y;
}

/** NaN where torch gives NaN, the same infinities and signed zeros, the rest within 1e-6 relative. */
export function expectTorchValues(actual: Float32Array, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i];
    const at = `element ${i} (x = ${ACTIVATION_INPUTS[i]})`;
    if (Number.isNaN(e)) expect(a, at).toBeNaN();
    else if (e === 0 || !Number.isFinite(e)) expect(Object.is(a, e), `${at}: ${a} is ${e}`).toBe(true);
    else expect(Math.abs(a - e) / Math.abs(e), `${at}: ${a} against ${e}`).toBeLessThan(1e-6);
  });
}
