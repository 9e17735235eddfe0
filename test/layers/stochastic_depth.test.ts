import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { tensor } from '../../src/kernels/tensor.js';
import { stochastic_depth } from '../../src/layers/stochastic_depth.js';
import { apply, thrown } from './helpers.js';

describe('stochastic_depth', () => {
  it('is free and shape-preserving at inference', () => {
    const r = apply(stochastic_depth, { p: 0.2, mode: 'row' }, [[96, 56, 56]]);
    expect(r.args).toEqual({ p: 0.2, mode: 'row' });
    expect(r.output).toEqual([96, 56, 56]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 0 });
    expect(r.field).toEqual({ type: 'pointwise' });
    expect(stochastic_depth.display.detail!({ p: 0.2, mode: 'row' })).toBe('p0.2 row');
  });

  it('needs p in [0, 1] and mode "batch" or "row", as torchvision.ops.StochasticDepth', () => {
    expect(apply(stochastic_depth, { p: 1, mode: 'batch' }, [[4]]).args).toEqual({ p: 1, mode: 'batch' });
    expect(apply(stochastic_depth, { p: 0, mode: 'row' }, [[4]]).args.p).toBe(0);
    expect(thrown(() => apply(stochastic_depth, { mode: 'row' }, [[4]])).message).toBe("missing argument 'p' for stochastic_depth");
    expect(thrown(() => apply(stochastic_depth, { p: 0.1 }, [[4]])).message).toBe("missing argument 'mode' for stochastic_depth");
    expect(thrown(() => apply(stochastic_depth, { p: 1.5, mode: 'row' }, [[4]])).message).toBe(
      "argument 'p' must be a number in [0, 1], got 1.5",
    );
    expect(thrown(() => apply(stochastic_depth, { p: 0.1, mode: 'sample' }, [[4]])).message).toBe(
      'argument \'mode\' must be "batch" or "row", got "sample"',
    );
  });

  it('passes values through unchanged, NaN, infinities and -0 included', () => {
    const x = Float32Array.from([1.5, -0, NaN, Infinity, -Infinity, -2]);
    const y = stochastic_depth.forward([tensor([2, 3], x)], { p: 0.5, mode: 'row' }, {}, new LocalContext()).data;
    expect(Array.from(y)).toEqual(Array.from(x));
    expect(Object.is(y[1], -0)).toBe(true);
    expect(y).not.toBe(x);
  });
});
