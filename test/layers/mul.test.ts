import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { buildGraph } from '../../src/graph/build.js';
import { tensor } from '../../src/kernels/tensor.js';
import { LayerError } from '../../src/layers/kind.js';
import { mul } from '../../src/layers/mul.js';
import { apply, thrown } from './helpers.js';

const run = (a: [number[], number[]], b: [number[], number[]]) =>
  mul.forward([tensor(a[0], Float32Array.from(a[1])), tensor(b[0], Float32Array.from(b[1]))], {}, {}, new LocalContext());

describe('mul', () => {
  it('scales a feature map by channel weights (squeeze-and-excitation): one multiply per output element', () => {
    const r = apply(mul, {}, [
      [64, 56, 56],
      [64, 1, 1],
    ]);
    expect(r.output).toEqual([64, 56, 56]);
    expect(r.tensors).toEqual([]);
    // 64 * 56 * 56
    expect(r.cost).toEqual({ macs: 0, flops: 200_704 });
    expect(r.field).toEqual({ type: 'pointwise' });
    // Either order, and equal shapes.
    expect(
      apply(mul, {}, [
        [64, 1, 1],
        [64, 56, 56],
      ]).output,
    ).toEqual([64, 56, 56]);
    expect(
      apply(mul, {}, [
        [8, 4, 4],
        [8, 4, 4],
      ]).cost.flops,
    ).toBe(128);
  });

  it('broadcasts as NumPy on the per-sample shapes: aligned from the right, 1 stretches', () => {
    expect(
      apply(mul, {}, [
        [8, 1, 5],
        [1, 3, 1],
      ]).output,
    ).toEqual([8, 3, 5]);
    expect(apply(mul, {}, [[8, 4, 5], [5]]).output).toEqual([8, 4, 5]);
    expect(apply(mul, {}, [[1], [16]]).output).toEqual([16]);
    // [8, 3, 5] elements
    expect(
      apply(mul, {}, [
        [8, 1, 5],
        [1, 3, 1],
      ]).cost.flops,
    ).toBe(120);
  });

  it('takes two inputs', () => {
    expect(mul.arity).toEqual({ min: 2, max: 2 });
  });

  it('names the inputs whose shapes do not broadcast', () => {
    const e = thrown(() =>
      apply(mul, {}, [
        [64, 56, 56],
        [32, 1, 1],
      ]),
    );
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe(
      'input 2 has shape [32, 1, 1], input 1 has [64, 56, 56]: they do not broadcast (32 against 64; aligned from the right, sizes must be equal or 1)',
    );
    expect(thrown(() => apply(mul, {}, [[8, 4, 4], [3]])).message).toBe(
      'input 2 has shape [3], input 1 has [8, 4, 4]: they do not broadcast (3 against 4; aligned from the right, sizes must be equal or 1)',
    );
  });

  it('multiplies per sample, broadcasting either input, in float32 with IEEE specials', () => {
    // Batch 2, [2, 1, 3] times [2, 2, 1]: out[s, c, h, w] = a[s, c, 0, w] · b[s, c, h, 0].
    const a = [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6];
    const b = [10, 100, 1000, 10000, 2, 3, 5, 7];
    const y = run([[2, 2, 1, 3], a], [[2, 2, 2, 1], b]);
    expect(y.shape).toEqual([2, 2, 2, 3]);
    expect(Array.from(y.data)).toEqual([
      10, 20, 30, 100, 200, 300, 4000, 5000, 6000, 40000, 50000, 60000, -2, -4, -6, -3, -6, -9, -20, -25, -30, -28, -35, -42,
    ]);
    // A rank-1 input against a feature map: aligned with the last axis.
    expect(
      Array.from(
        run(
          [
            [1, 2, 1, 2],
            [1, 2, 3, 4],
          ],
          [
            [1, 2],
            [10, -1],
          ],
        ).data,
      ),
    ).toEqual([10, -2, 30, -4]);
    const special = run(
      [
        [1, 4],
        [-0, Infinity, NaN, 0.1],
      ],
      [[1, 1], [0]],
    );
    expect(Array.from(special.data)).toEqual([-0, NaN, NaN, 0]);
    expect(Object.is(special.data[0], -0)).toBe(true);
    expect(run([[1, 1], [0.1]], [[1, 1], [0.3]]).data[0]).toBe(Math.fround(Math.fround(0.1) * Math.fround(0.3)));
  });

  it('gates with branches, as squeeze-and-excitation, and reads named inputs', () => {
    const yaml = `input: [16, 8, 8]
layers:
  - conv: {name: conv, out: 32, kernel: 1}
  - mul:
      branches:
        - []
        - - global_avgpool
          - conv: {name: fc1, out: 8, kernel: 1}
          - relu
          - conv: {name: fc2, out: 32, kernel: 1}
          - hardsigmoid: {name: scale}
  - mul: {name: again, inputs: [scale, conv]}
`;
    const g = buildGraph(yaml, { file: 'm.yaml' });
    const node = (name: string) => g.nodes.find((n) => n.name === name)!;
    expect(node('mul').inputs.map((i) => g.nodes[i].name)).toEqual(['conv', 'scale']);
    expect(node('mul').outputShape).toEqual([32, 8, 8]);
    expect(node('again').outputShape).toEqual([32, 8, 8]);
  });

  it('reports shapes that do not broadcast at the layer', () => {
    const yaml =
      'input: [16, 8, 8]\nlayers:\n  - global_avgpool: {name: pool}\n  - conv: {name: fc, out: 8, kernel: 1}\n  - mul: {inputs: [input, fc]}\n';
    expect(thrown(() => buildGraph(yaml, { file: 'm.yaml' })).message).toBe(
      "m.yaml:5:5: error: layer 'mul' (mul): input 2 has shape [8, 1, 1], input 1 has [16, 8, 8]: they do not broadcast (8 against 16; aligned from the right, sizes must be equal or 1)",
    );
    const three = 'input: [4, 2, 2]\nlayers:\n  - mul: {branches: [[], [], []]}\n';
    expect(thrown(() => buildGraph(three, { file: 'm.yaml' })).message).toBe("m.yaml:3:5: error: layer 'mul' (mul): takes 2 inputs, got 3");
  });
});
