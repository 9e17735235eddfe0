import { describe, expect, it } from 'vitest';
import { LocalContext } from '../../src/execute/context.js';
import { analyze, buildGraph } from '../../src/index.js';
import { tensor } from '../../src/kernels/tensor.js';
import { LayerError } from '../../src/layers/kind.js';
import { axisMap, upsample } from '../../src/layers/upsample.js';
import { apply, thrown } from './helpers.js';

const run = (raw: Record<string, unknown>, shape: [number, number, number], values: number[]) => {
  const { args } = apply(upsample, raw, [shape]);
  return Array.from(upsample.forward([tensor([1, ...shape], Float32Array.from(values))], args, {}, new LocalContext()).data);
};

describe('upsample', () => {
  it('scales by a factor or to a size; nearest is free, bilinear 9 FLOPs per output', () => {
    const r = apply(upsample, { scale_factor: 2 }, [[64, 28, 28]]);
    expect(r.args).toEqual({ mode: 'nearest', size: null, scale_factor: [2, 2], align_corners: false, recompute_scale_factor: false });
    expect(r.output).toEqual([64, 56, 56]);
    expect(r.tensors).toEqual([]);
    expect(r.cost).toEqual({ macs: 0, flops: 0 });
    const b = apply(upsample, { mode: 'bilinear', size: [7, 9] }, [[2, 4, 5]]);
    expect(b.output).toEqual([2, 7, 9]);
    expect(b.cost).toEqual({ macs: 0, flops: 9 * 2 * 7 * 9 });
    // floor(5 * 1.7) = 8, floor(4 * 2.3) = 9: F.interpolate's output size.
    expect(apply(upsample, { scale_factor: [1.7, 2.3] }, [[1, 5, 4]]).output).toEqual([1, 8, 9]);
    expect(upsample.display.detail!(b.args)).toBe('bilinear → 7×9');
    expect(upsample.display.detail!(r.args)).toBe('nearest ×2');
  });

  it('refuses what F.interpolate refuses', () => {
    const both = thrown(() => apply(upsample, { size: 4, scale_factor: 2 }, [[1, 2, 2]]));
    expect(both).toBeInstanceOf(LayerError);
    expect(both.message).toBe('give size or scale_factor, not both');
    expect(thrown(() => apply(upsample, {}, [[1, 2, 2]])).message).toBe('give size or scale_factor');
    expect(thrown(() => apply(upsample, { scale_factor: 2, align_corners: true }, [[1, 2, 2]])).message).toBe(
      'align_corners applies to bilinear interpolation only (as in PyTorch)',
    );
    expect(thrown(() => apply(upsample, { size: 4, recompute_scale_factor: true }, [[1, 2, 2]])).message).toBe(
      'recompute_scale_factor has no meaning with an explicit size (as in PyTorch)',
    );
    expect(thrown(() => apply(upsample, { scale_factor: 0.2 }, [[1, 4, 8]])).message).toBe(
      'output size would be 0×1: [1, 4, 8] scaled by 0.2 × 0.2 is less than 1 pixel',
    );
    expect(thrown(() => apply(upsample, { mode: 'bicubic', size: 4 }, [[1, 2, 2]])).message).toBe(
      'argument \'mode\' must be "nearest" or "bilinear", got "bicubic"',
    );
    expect(thrown(() => apply(upsample, { scale_factor: [2, -1] }, [[1, 2, 2]])).message).toBe(
      "argument 'scale_factor' must be a number > 0 or [h, w], got -1",
    );
    expect(thrown(() => apply(upsample, { size: 4 }, [[16]])).message).toBe('upsample expects a feature map [C, H, W], got [16]');
  });

  it("computes torch's source indices in float32: the given scale, not the sizes, unless recomputed", () => {
    // scale 1.7 on 5 rows: floor(o * float32(1/1.7)); recomputed: floor(o * float32(5/8)).
    expect(Array.from(axisMap('nearest', 5, 8, 1.7, false).i0)).toEqual([0, 0, 1, 1, 2, 2, 3, 4]);
    expect(Array.from(axisMap('nearest', 5, 8, null, false).i0)).toEqual([0, 0, 1, 1, 2, 3, 3, 4]);
    // float32(1/3) rounds up, so o = 3 lands on 1, not on 0.99999.
    expect(Array.from(axisMap('nearest', 2, 6, 3, false).i0)).toEqual([0, 0, 0, 1, 1, 1]);
    // Output twice the input: o >> 1 whatever the scale (2.1 here), as torch's special case.
    expect(Array.from(axisMap('nearest', 4, 8, 2.1, false).i0)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    // Equal sizes copy, whatever the scale.
    expect(Array.from(run({ mode: 'bilinear', scale_factor: 1.1 }, [1, 1, 4], [1, 2, 3, 4]))).toEqual([1, 2, 3, 4]);
  });

  it('interpolates bilinearly with and without align_corners, as F.interpolate', () => {
    // torch: F.interpolate(arange(4), scale_factor=2, mode='bilinear') along the width.
    expect(run({ mode: 'bilinear', scale_factor: [1, 2] }, [1, 1, 4], [0, 1, 2, 3])).toEqual([0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]);
    // align_corners: positions o * 3/6 along the width, ends included.
    expect(run({ mode: 'bilinear', size: [1, 7], align_corners: true }, [1, 1, 4], [0, 1, 2, 3])).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3]);
  });

  it('propagates NaN and infinities as torch: a zero weight times infinity is NaN', () => {
    // torch 1.13 gives [nan, nan, nan, nan, nan, 3.25, 3.75, 4] (the copied height axis weighs the same row by 0).
    expect(run({ mode: 'bilinear', scale_factor: [1, 2] }, [1, 1, 4], [1, Infinity, 3, 4])).toEqual([
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      3.25,
      3.75,
      4,
    ]);
    expect(run({ scale_factor: [1, 2] }, [1, 1, 4], [1, Infinity, NaN, -0])).toEqual([1, 1, Infinity, Infinity, NaN, NaN, -0, -0]);
  });

  it('has the field of the positions it reads, on the input grid refined by the ratio', () => {
    const field = (raw: Record<string, unknown>, shape: [number, number, number]) => apply(upsample, raw, [shape]).field;
    // Nearest x2: output o reads floor(o / 2), within refined positions [o - 1, o].
    expect(field({ scale_factor: 2 }, [1, 4, 4])).toEqual({
      type: 'window',
      kernel: [2, 2],
      stride: [1, 1],
      padding: [1, 1],
      dilation: [1, 1],
      upsample: [2, 2],
    });
    // Bilinear x2: o reads floor((o - 0.5) / 2) and the next, within [o - 2, o + 1].
    expect(field({ mode: 'bilinear', scale_factor: 2 }, [1, 4, 4])).toMatchObject({ kernel: [4, 4], padding: [2, 2], upsample: [2, 2] });
    // Bilinear x0.5 averages pairs: a 2x2 window of stride 2.
    expect(field({ mode: 'bilinear', scale_factor: 0.5 }, [1, 8, 8])).toEqual({
      type: 'window',
      kernel: [2, 2],
      stride: [2, 2],
      padding: [0, 0],
      dilation: [1, 1],
      upsample: [1, 1],
    });
    // 5 -> 8 by the scale 1.7: a window on the grid refined 8 times, stride 5.
    expect(field({ scale_factor: [1.7, 1] }, [1, 5, 4])).toMatchObject({ stride: [5, 1], upsample: [8, 1] });
    expect(field({ size: [4, 4] }, [1, 4, 4])).toEqual({ type: 'pointwise' });
    expect(field({ mode: 'bilinear', size: [1, 4], align_corners: true }, [1, 4, 4])).toEqual({ type: 'global' });
  });

  it('gives the encoder-decoder field, and reports a field finer than the input pixel as global with a warning', () => {
    const yaml = (first: string) => `input: [1, 16, 16]\nlayers:\n${first}  - upsample: {name: up, mode: bilinear, scale_factor: 2}\n`;
    // conv k3 s2: r 3, j 2, P 0; bilinear x2: refined j 1, r 3 + 3*1 = 6, P 0 + 2*1 = 2.
    const r = analyze(buildGraph(yaml('  - conv: {out: 1, kernel: 3, stride: 2}\n'), { file: 'm.yaml' }));
    expect(r.layers[1].receptive_field).toEqual({ size: [6, 6], stride: [1, 1], padding: [2, 2] });
    expect(r.warnings).toEqual([]);
    const fine = analyze(buildGraph(yaml(''), { file: 'm.yaml' }));
    expect(fine.layers[0].receptive_field).toBe('global');
    expect(fine.warnings).toEqual([
      { layer: 'up', message: "upsamples by 2x2 below the input's pixel grid (effective stride 1x1); the field is reported as global" },
    ]);
  });
});
