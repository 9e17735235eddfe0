/**
 * Receptive fields through a squeeze-and-excitation gate (docs/metrics.md): the strict field is
 * global past the gate, the windowed one ignores the gate's [C, 1, 1] weights. Worked by hand.
 */
import { describe, expect, it } from 'vitest';
import { analyze, buildGraph, loadBundled } from '../../src/index.js';
import { renderCsv } from '../../src/report/csv.js';
import { renderMarkdown } from '../../src/report/markdown.js';

const TINY_SE = `input: [4, 16, 16]
layers:
  - conv: {name: c1, out: 4, kernel: 3, padding: 1}              # r 3, j 1, P 1
  - gate: {body: [global_avgpool, {conv: {name: fc, out: 4, kernel: 1}}, sigmoid]}
  - conv: {name: c2, out: 4, kernel: 3, stride: 2, padding: 1}   # windowed: r 3 + 2*1 = 5, j 2, P 1 + 1*1 = 2
  - residual: {body: [{conv: {name: c3, out: 4, kernel: 3, padding: 1}}]}   # body r 5 + 2*2 = 9, j 2, P 2 + 1*2 = 4
  - global_avgpool: {name: pool}
  - flatten
  - linear: {out: 2}
`;

const field = (size: number, stride: number, padding: number) => ({
  size: [size, size],
  stride: [stride, stride],
  padding: [padding, padding],
});

describe('receptive fields through a gate', () => {
  const report = analyze(buildGraph(TINY_SE, { file: 'm.yaml' }));
  const byName = new Map(report.layers.map((l) => [l.name, l]));

  it('is global past the gate, strictly, and the windows alone in the windowed field', () => {
    const rows = report.layers.map((l) => [l.name, l.receptive_field, l.windowed_receptive_field]);
    expect(rows).toEqual([
      ['c1', field(3, 1, 1), undefined],
      // The gate's body: global pooling makes it global, strictly and windowed alike.
      ['0', 'global', undefined],
      ['fc', 'global', undefined],
      ['1', 'global', undefined],
      // x * s: s is [4, 1, 1], broadcast over the positions; the windowed field is x's.
      ['mul', 'global', field(3, 1, 1)],
      ['c2', 'global', field(5, 2, 2)],
      ['c3', 'global', field(9, 2, 4)],
      // The body (9, centre (9-1)/2 - 4 = 0) and the identity (5, centre (5-1)/2 - 2 = 0) meet aligned: no warning.
      ['add', 'global', field(9, 2, 4)],
      ['pool', 'global', undefined],
      ['2', 'global', undefined],
      ['3', 'global', undefined],
    ]);
    expect(report.warnings).toEqual([]);
    expect(Object.keys(byName.get('mul')!)).toEqual([...Object.keys(byName.get('c1')!), 'windowed_receptive_field']);
  });

  it('gives the last spatial field of each in the totals', () => {
    expect(report.totals.receptive_field).toBe('global');
    expect(report.totals.windowed_receptive_field).toBeUndefined();
    // Strictly, the last spatial field is the one before the gate; past it, the windowed one goes on to the residual's sum.
    expect(report.totals.last_spatial_receptive_field).toEqual({ layer: 'c1', ...field(3, 1, 1) });
    expect(report.totals.last_windowed_receptive_field).toEqual({ layer: 'add', ...field(9, 2, 4) });
  });

  it('gives a model whose output is spatial both fields of its output', () => {
    const spatial = analyze(buildGraph(TINY_SE.split('  - global_avgpool: {name: pool}')[0], { file: 'm.yaml' }));
    expect(spatial.totals.receptive_field).toBe('global');
    expect(spatial.totals.windowed_receptive_field).toEqual(field(9, 2, 4));
    expect(spatial.totals.last_spatial_receptive_field).toEqual({ layer: 'c1', ...field(3, 1, 1) });
    expect(spatial.totals.last_windowed_receptive_field).toBeUndefined();
  });

  // Found by a 100,000-case campaign (seed 2026): a window over a 1x1 map padded larger has one
  // input of 1x1 positions; only a join ignores inputs, and it keeps at least one.
  it('leaves a padded window over a 1x1 map its input', () => {
    const r = analyze(
      buildGraph('input: [1, 8, 8]\nlayers:\n  - global_avgpool: {name: g}\n  - conv: {name: c, out: 1, kernel: 3, padding: 2}\n', {
        file: 'm.yaml',
      }),
    );
    // [1, 1, 1] padded by 2 on each side, a 3x3 window: [1, 3, 3] (batch 1 in front), whose field is the pool's.
    expect(r.layers.map((l) => [l.name, l.output_shape, l.receptive_field, l.windowed_receptive_field])).toEqual([
      ['g', [1, 1, 1, 1], 'global', undefined],
      ['c', [1, 1, 3, 3], 'global', undefined],
    ]);
  });

  it('changes nothing for a product of two maps, or without a gate', () => {
    const maps = analyze(
      buildGraph('input: [1, 8, 8]\nlayers:\n  - conv: {name: a, out: 1, kernel: 3, padding: 1}\n  - mul: {inputs: [a, input]}\n', {
        file: 'm.yaml',
      }),
    );
    expect(maps.layers.map((l) => l.windowed_receptive_field)).toEqual([undefined, undefined]);
    expect(maps.layers[1].receptive_field).toEqual(field(3, 1, 1));
    const resnet = analyze(loadBundled('resnet18'));
    expect(resnet.layers.some((l) => 'windowed_receptive_field' in l)).toBe(false);
    expect('last_windowed_receptive_field' in resnet.totals).toBe(false);
  });

  it('adds a windowed column to the tables and CSV of a gated model only', () => {
    const md = renderMarkdown(report);
    expect(md).toContain(
      '| Receptive field | global (last spatial: 3 /1 at `c1`); windowed, past gates: global (last spatial: 9 /2 at `add`) |',
    );
    expect(md).toContain('| Layer | Kind | Output shape | Params | MACs | Activations | RF /stride | Windowed RF |');
    expect(md).toMatch(/\| `c2` \|.*\| global \| 5 \/2 \|/);
    const csv = renderCsv(report).split('\r\n');
    expect(
      csv[0].endsWith(
        ',rf_padding_w,windowed_rf_size_h,windowed_rf_size_w,windowed_rf_stride_h,windowed_rf_stride_w,windowed_rf_padding_h,windowed_rf_padding_w',
      ),
    ).toBe(true);
    expect(csv.find((l) => l.startsWith('c2,'))!.endsWith(',global,global,global,global,global,global,5,5,2,2,2,2')).toBe(true);
    expect(csv.find((l) => l.startsWith('c1,'))!.endsWith(',3,3,1,1,1,1,3,3,1,1,1,1')).toBe(true);
    expect(renderCsv(analyze(loadBundled('resnet18'))).split('\r\n')[0]).not.toContain('windowed');
  });

  it('reports the bundled gated models past their squeeze-and-excitation blocks', () => {
    for (const name of ['mobilenet_v3_large', 'efficientnet_b0', 'regnet_y_400mf']) {
      const r = analyze(loadBundled(name));
      expect(r.totals.last_windowed_receptive_field, name).toBeDefined();
      expect(
        r.layers.some((l) => l.windowed_receptive_field !== undefined),
        name,
      ).toBe(true);
    }
  });
});
