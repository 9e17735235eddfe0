/**
 * The lecture note's examples (architectures/lecture/), with its arithmetic corrected:
 * each number here was worked by hand in the file's header comment.
 */
import { describe, expect, it } from 'vitest';
import { analyze, loadBundled } from '../../src/index.js';

const totals = (name: string, options: Parameters<typeof loadBundled>[1] = {}) => analyze(loadBundled(name, options)).totals;
const outputShape = (name: string, options: Parameters<typeof loadBundled>[1] = {}) => analyze(loadBundled(name, options)).outputs[0].shape;

describe('lecture examples', () => {
  it('5x5 input, 3x3 kernel, padding 1, stride 1 gives 5x5', () => {
    expect(outputShape('lecture/padding_stride')).toEqual([1, 1, 5, 5]);
  });

  it('stride 2 gives 3x3, not 2x2', () => {
    expect(outputShape('lecture/padding_stride', { set: { stride: 2 } })).toEqual([1, 1, 3, 3]);
  });

  it('the first conv, 3 to 64 channels with padding 1, keeps the resolution', () => {
    expect(outputShape('lecture/first_conv')).toEqual([1, 64, 224, 224]);
    expect(totals('lecture/first_conv').params).toBe(3 * 3 * 3 * 64 + 64);
  });

  it('a 3x3 conv from 256 to 256 channels has 589,824 weights and 256 biases', () => {
    const g = loadBundled('lecture/conv3x3_256');
    expect(g.nodes[1].tensors.map((t) => [t.name, t.shape])).toEqual([
      ['weight', [256, 256, 3, 3]],
      ['bias', [256]],
    ]);
    expect(totals('lecture/conv3x3_256').params).toBe(589_824 + 256);
  });

  it('the 256-64-64-256 bottleneck has 69,632 weights', () => {
    expect(totals('lecture/bottleneck').params).toBe(16_384 + 36_864 + 16_384);
    expect(totals('lecture/bottleneck').params).toBe(69_632);
  });

  it('a depthwise separable conv: 2,304 + 65,536 weights', () => {
    const g = loadBundled('lecture/depthwise');
    expect(g.nodes.find((n) => n.name === 'depthwise')!.tensors[0].shape).toEqual([256, 1, 3, 3]);
    expect(totals('lecture/depthwise').params).toBe(67_840);
  });

  it('a grouped conv in 32 groups: 1/32 of the plain conv', () => {
    expect(totals('lecture/grouped').params).toBe(18_432);
    expect(totals('lecture/grouped').params * 32).toBe(589_824);
  });
});
