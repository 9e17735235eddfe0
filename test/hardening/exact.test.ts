/**
 * Regression tests (issue 10): no inexact number is printed.
 *   #16 receptive fields past 2^53 are refused at the layer where they pass it (no 2^54 rounded,
 *       no NaN, Infinity or null)
 *   #20 counts past 2^53 are refused with the file, line, column and layer, and advice that fits
 *       (a batch that keeps every figure exact, or a smaller input when batch 1 is too much)
 */
import { describe, expect, it } from 'vitest';
import { analyze, AnalysisError } from '../../src/analysis/report.js';
import { buildGraph } from '../../src/graph/build.js';
import { cli, modelFile } from '../cli/run.js';
import { thrown } from '../thrown.js';

const stride2 = (repeat: number) => `input: [3, 1, 1]\nlayers:\n  - conv: {out: 1, kernel: 3, stride: 2, padding: 1, repeat: ${repeat}}\n`;

describe('#16 receptive fields stay exact', () => {
  it('carries a field up to 2^53 - 1 exactly', async () => {
    const r = await cli(['analyze', '-', '--json'], { stdin: stride2(52) });
    expect(r.code, r.stderr).toBe(0);
    const rf = JSON.parse(r.stdout).totals.receptive_field;
    expect(rf).toEqual({ size: [2 ** 53 - 1, 2 ** 53 - 1], stride: [2 ** 52, 2 ** 52], padding: [2 ** 52 - 1, 2 ** 52 - 1] });
  });

  it('refuses the layer whose field passes 2^53, positioned like other model errors', async () => {
    const r = await cli(['analyze', '-', '--json'], { stdin: stride2(53) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "<stdin>:3:5: error: layer '52' (conv): the receptive field's size reaches 2^53 here and cannot be counted exactly; cnnscope refuses rather than round (fewer strided or large-kernel layers keep it exact)\n",
    );
  });

  it('a stride that would overflow to Infinity is refused at the layer it reaches 2^53, in every command', async () => {
    const path = modelFile('input: [3, 1, 1]\nlayers:\n  - maxpool: {kernel: 1, stride: 2, repeat: 1100}\n');
    for (const argv of [
      ['analyze', path],
      ['analyze', path, '--json'],
      ['graph', path],
      ['diff', path, path],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toBe(
        `${path}:3:5: error: layer '52' (maxpool): the receptive field's stride reaches 2^53 here and cannot be counted exactly; cnnscope refuses rather than round (fewer strided or large-kernel layers keep it exact)\n`,
      );
    }
  });

  it('is an AnalysisError with the diagnostic for library users', () => {
    const e = thrown(() => analyze(buildGraph(stride2(60), { file: 'm.yaml' })));
    expect(e).toBeInstanceOf(AnalysisError);
    expect((e as AnalysisError).diagnostic).toMatchObject({
      file: 'm.yaml',
      pos: { line: 3, col: 5 },
      layer: { name: '52', kind: 'conv' },
    });
  });
});

describe('#20 counts past 2^53: positioned, with advice that fits', () => {
  it('a batch too large: the layer, and the largest batch that keeps every figure exact', async () => {
    const r = await cli(['analyze', 'vgg16', '--input', '3,2048,2048', '--batch', '1048576']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^\S*architectures\/vgg\.yaml:\d+:\d+: error: layer 'features\.0' \(conv\): its FLOPs reach 2\^53 at batch 1,048,576 and cannot be counted exactly; use a batch of 3,506 or less\n$/,
    );
    // The advice is right: 3,506 analyzes, 3,507 does not.
    expect((await cli(['analyze', 'vgg16', '--input', '3,2048,2048', '--batch', '3506', '--json'])).code).toBe(0);
    expect((await cli(['analyze', 'vgg16', '--input', '3,2048,2048', '--batch', '3507', '--json'])).code).toBe(2);
  });

  it('at batch 1: no advice to reduce the batch', async () => {
    const r = await cli(['analyze', 'vgg16', '--input', '3,200000,200000', '--batch', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /vgg\.yaml:\d+:\d+: error: layer 'features\.12' \(conv\): the model's total FLOPs reach 2\^53 at this layer and cannot be counted exactly; use a smaller input shape or smaller layers\n$/,
    );
    expect(r.stderr).not.toMatch(/batch/);
  });

  it('a batch above 1 when even batch 1 is too much says so', async () => {
    const r = await cli(['analyze', 'vgg16', '--input', '3,200000,200000', '--batch', '2']);
    expect(r.stderr).toMatch(
      /the model's total FLOPs reach 2\^53 at this layer at batch 2 and cannot be counted exactly; use a smaller input shape or smaller layers\n$/,
    );
  });

  it('totals past 2^53 name the layer where the running total passes it', async () => {
    // Each layer holds 2^44 + 2^22 parameters (the most a tensor may have); 2^53 bytes of fp32
    // weights are reached at the 128th; in int8 (a byte each), 2^53 FLOPs (two per MAC) at the 256th.
    const path = modelFile('input: [4194304]\nlayers:\n  - linear: {out: 4194304, repeat: 600}\n');
    const r = await cli(['analyze', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `${path}:3:5: error: layer '127' (linear): the model's total weight bytes reach 2^53 at this layer and cannot be counted exactly; use a smaller input shape or smaller layers\n`,
    );
    const int8 = await cli(['analyze', path, '--dtype', 'int8']);
    expect(int8.stderr).toBe(
      `${path}:3:5: error: layer '255' (linear): the model's total FLOPs reach 2^53 at this layer and cannot be counted exactly; use a smaller input shape or smaller layers\n`,
    );
  });
});
