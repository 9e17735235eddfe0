import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { initWeights } from '../../src/execute/weights.js';
import { analyze, buildGraph } from '../../src/index.js';
import { tensor } from '../../src/kernels/tensor.js';
import { conv } from '../../src/layers/conv.js';
import { conv_transpose } from '../../src/layers/conv_transpose.js';
import { LayerError } from '../../src/layers/kind.js';
import { CountingContext, randomArray, rng } from '../execute/helpers.js';
import { apply, param, thrown } from './helpers.js';

describe('conv_transpose', () => {
  it("doubles U-Net's 28x28 with a 2x2 stride-2 kernel: weight [Cin, Cout, 2, 2], MACs per input element", () => {
    const r = apply(conv_transpose, { out: 512, kernel: 2, stride: 2 }, [[1024, 28, 28]]);
    // (28 - 1)*2 - 0 + 1*(2 - 1) + 0 + 1 = 56
    expect(r.output).toEqual([512, 56, 56]);
    expect(r.tensors).toEqual([param('weight', [1024, 512, 2, 2]), param('bias', [512])]);
    expect(r.params).toBe(1024 * 512 * 4 + 512);
    // 1024 * 512 * 4 * 784 = 1,644,167,168 MACs; bias adds 512 * 56 * 56 = 1,605,632.
    expect(r.cost).toEqual({ macs: 1_644_167_168, flops: 2 * 1_644_167_168 + 1_605_632 });
    // The stride-1 window over the input with one zero inserted between neighbours, leading padding 1*(2-1) - 0.
    expect(r.field).toEqual({ type: 'window', kernel: [2, 2], stride: [1, 1], padding: [1, 1], dilation: [1, 1], upsample: [2, 2] });
    expect(conv_transpose.display.detail!(r.args)).toBe('2×2 ↑2');
  });

  it('applies padding, output_padding, dilation and groups as nn.ConvTranspose2d', () => {
    // height: (7 - 1)*2 - 2*1 + 2*(3 - 1) + 1 + 1 = 16; width: (5 - 1)*1 - 0 + 2*2 + 0 + 1 = 9.
    const r = apply(
      conv_transpose,
      { out: 6, kernel: 3, stride: [2, 1], padding: [1, 0], output_padding: [1, 0], dilation: 2, groups: 2, bias: false },
      [[4, 7, 5]],
    );
    expect(r.output).toEqual([6, 16, 9]);
    expect(r.tensors).toEqual([param('weight', [4, 3, 3, 3])]);
    expect(r.cost).toEqual({ macs: 4 * 3 * 9 * 35, flops: 2 * 4 * 3 * 9 * 35 });
    expect(r.field).toEqual({ type: 'window', kernel: [3, 3], stride: [1, 1], padding: [3, 4], dilation: [2, 2], upsample: [2, 1] });
    expect(conv_transpose.display.detail!(r.args)).toBe('3×3 d2 g2 ↑2×1');
  });

  it('refuses what PyTorch refuses', () => {
    const e = thrown(() => apply(conv_transpose, { out: 4, kernel: 3, stride: 2, output_padding: 2 }, [[4, 5, 5]]));
    expect(e).toBeInstanceOf(LayerError);
    expect(e.message).toBe('output_padding 2 along the height must be smaller than the stride 2 or the dilation 1 (as in PyTorch)');
    expect((e as LayerError).arg).toBe('output_padding');
    expect(thrown(() => apply(conv_transpose, { out: 4, kernel: 3, groups: 3 }, [[4, 5, 5]])).message).toBe(
      'groups 3 does not divide the 4 input channels',
    );
    expect(thrown(() => apply(conv_transpose, { out: 5, kernel: 3, groups: 2 }, [[4, 5, 5]])).message).toBe(
      'groups 2 does not divide the 5 output channels',
    );
    // (1 - 1)*1 - 2*2 + 0 + 0 + 1 = -3
    expect(thrown(() => apply(conv_transpose, { out: 1, kernel: 1, padding: 2 }, [[1, 1, 4]])).message).toBe(
      'output height would be -3: the padding 2 crops more than the 1 rows and columns of the full output',
    );
    expect(thrown(() => apply(conv_transpose, { out: 1, kernel: 2 }, [[4]])).message).toBe(
      'conv_transpose expects a feature map [C, H, W], got [4]',
    );
  });

  it('scatters each input into a window of the output (stride 2, kernel 2: no overlap)', () => {
    const x = tensor([1, 1, 1, 2], Float32Array.from([1, NaN]));
    const a = apply(conv_transpose, { out: 1, kernel: 2, stride: 2 }, [[1, 1, 2]]).args;
    const y = conv_transpose.forward(
      [x],
      a,
      { weight: Float32Array.from([1, 2, 3, 4]), bias: Float32Array.from([0.5]) },
      new LocalContext(),
    );
    expect(y.shape).toEqual([1, 1, 2, 4]);
    // Input 0 writes its 2x2 window [1 2; 3 4] + 0.5; the NaN spoils only its own window.
    expect(Array.from(y.data)).toEqual([1.5, 2.5, NaN, NaN, 3.5, 4.5, NaN, NaN]);
  });

  it('is the adjoint of the convolution with the same weight: <conv(y), x> = <y, conv_transpose(x)>', () => {
    const next = rng(7);
    const cases: [Record<string, unknown>, number[]][] = [
      [{ out: 6, kernel: 3, stride: 2, padding: 1, output_padding: 1 }, [4, 4, 5]],
      [{ out: 4, kernel: [2, 3], stride: [2, 1], padding: [0, 1], groups: 2 }, [6, 3, 4]],
      [{ out: 3, kernel: 3, stride: 3, padding: 2, dilation: 2, groups: 3 }, [3, 4, 3]],
    ];
    for (const [raw, input] of cases) {
      const { args, output, tensors } = apply(conv_transpose, { ...raw, bias: false }, [input]);
      const a = args;
      const weight = randomArray(
        tensors[0].shape.reduce((p, d) => p * d, 1),
        next,
      );
      const x = tensor(
        [1, ...input],
        randomArray(
          input.reduce((p, d) => p * d, 1),
          next,
        ),
      );
      const y = tensor(
        [1, ...output],
        randomArray(
          output.reduce((p, d) => p * d, 1),
          next,
        ),
      );
      const t = conv_transpose.forward([x], a, { weight }, new LocalContext());
      const p = { top: a.padding[0], bottom: a.padding[0], left: a.padding[1], right: a.padding[1] };
      const c = conv.forward(
        [y],
        { out: input[0], kernel: a.kernel, stride: a.stride, padding: p, dilation: a.dilation, groups: a.groups, bias: false },
        { weight },
        new LocalContext(),
      );
      expect(c.shape).toEqual(x.shape);
      const dot = (u: Float32Array, v: Float32Array) => u.reduce((s, e, i) => s + e * v[i], 0);
      expect(dot(c.data, x.data)).toBeCloseTo(dot(y.data, t.data), 4);
    }
  });

  it('does one GEMM per sample and group, the static MACs, with scratch for one column matrix', () => {
    const { args, output, cost } = apply(conv_transpose, { out: 6, kernel: 3, stride: 2, groups: 3 }, [[3, 4, 5]]);
    const ctx = new CountingContext();
    const y = conv_transpose.forward([tensor([2, 3, 4, 5])], args, { weight: new Float32Array(3 * 2 * 9), bias: new Float32Array(6) }, ctx);
    expect(y.shape).toEqual([2, ...output]);
    expect([ctx.gemms, ctx.macs, ctx.maxScratch]).toEqual([6, 2 * cost.macs, 2 * 9 * 20]);
    expect(conv_transpose.scratchFloats!([[3, 4, 5]], output, args)).toBe(2 * 9 * 20);
  });

  it("initializes as PyTorch: fan_in from the weight's dimension 1, Cout/groups * kh * kw", () => {
    const g = buildGraph('input: [8, 4, 4]\nlayers:\n  - conv_transpose: {name: up, out: 6, kernel: 2, stride: 2, groups: 2}\n', {
      file: 'm.yaml',
    });
    const w = initWeights(g, 1).get(1)!;
    // fan_in = 3 * 2 * 2 = 12: U(+-1/sqrt(12)) for weight and bias.
    const bound = 1 / Math.sqrt(12);
    const largest = (name: string) => Math.max(...Array.from(w[name]).map(Math.abs));
    expect(largest('bias')).toBeLessThanOrEqual(bound);
    // 96 weights reach near the bound; a conv's fan_in, Cin/groups * kh * kw = 16, would bound them by 1/4.
    expect(largest('weight')).toBeLessThanOrEqual(bound);
    expect(largest('weight')).toBeGreaterThan(1 / Math.sqrt(16));
  });

  it("gives a U-Net's decoder the field of its encoder, aligned with the skip connection", () => {
    const r = analyze(
      buildGraph(
        `input: [1, 32, 32]
layers:
  - conv: {out: 4, kernel: 3, padding: 1}            # r 3, j 1, P 1
  - maxpool: {kernel: 2}                             # r 4, j 2, P 1
  - conv: {name: skip, out: 4, kernel: 3, padding: 1} # r 8, j 2, P 3: centred at 3.5 - 3 = 0.5
  - maxpool: {kernel: 2}                             # r 10, j 4, P 3
  - conv: {out: 8, kernel: 3, padding: 1}            # r 18, j 4, P 7
  - conv_transpose: {name: up, out: 4, kernel: 2, stride: 2} # refined j 2: r 18 + 1*2, j 2, P 7 + 1*2
  - concat: {inputs: [up, skip]}
`,
        { file: 'unet.yaml' },
      ),
    );
    expect(r.layers.find((l) => l.name === 'up')!.receptive_field).toEqual({ size: [20, 20], stride: [2, 2], padding: [9, 9] });
    expect(r.layers.at(-1)!.receptive_field).toEqual({ size: [20, 20], stride: [2, 2], padding: [9, 9] });
    expect(r.warnings).toEqual([]);
  });
});
