import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { tensor } from '../../src/kernels/tensor.js';
import { relu6 } from '../../src/layers/relu6.js';
import { apply, thrown } from './helpers.js';

describe('relu6', () => {
  it('costs a max and a min per element, on any shape', () => {
    const r = apply(relu6, {}, [[32, 112, 112]]);
    expect(r.output).toEqual([32, 112, 112]);
    expect(r.tensors).toEqual([]);
    // 2 * 32 * 112 * 112
    expect(r.cost).toEqual({ macs: 0, flops: 802_816 });
    expect(r.field).toEqual({ type: 'pointwise' });
    expect(apply(relu6, {}, [[1280]]).cost.flops).toBe(2560);
  });

  it('has no arguments', () => {
    expect(thrown(() => apply(relu6, { inplace: true }, [[4]])).message).toBe("unknown argument 'inplace' for relu6");
  });

  it('clips to [0, 6]; NaN stays NaN and -0 stays -0, as torch.nn.functional.relu6', () => {
    const x = Float32Array.from([-1, -0, 0, 2.5, 6, 6.5, Infinity, -Infinity, NaN, 1e-30]);
    const y = relu6.forward([tensor([2, 5], x)], {}, {}, new LocalContext()).data;
    expect(Array.from(y)).toEqual([0, -0, 0, 2.5, 6, 6, 6, 0, NaN, Math.fround(1e-30)]);
    expect(Object.is(y[1], -0)).toBe(true);
    expect(y).not.toBe(x);
  });
});
