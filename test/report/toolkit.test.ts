/** The formatting toolkit (units, markup, style), the kinds' display, and the figures renderers are given. */
import { describe, expect, it } from 'vitest';
import { foldByDepth } from '../../src/analysis/hierarchy.js';
import { runFigures, type RunReport } from '../../src/execute/report.js';
import { loadBundled } from '../../src/index.js';
import { layerKinds } from '../../src/layers/index.js';
import { code, csvField, csvLines, mdCell, mdCellText, mdTable, mdText, shapeCsv } from '../../src/report/markup.js';
import { BLOCK_STYLE, CATEGORY_STYLES } from '../../src/report/style.js';
import { bytesText, compactNumber, decimal, grouped, opsText, shapeLabel, shapeText } from '../../src/report/units.js';

describe('numbers', () => {
  it('writes counts grouped, decimal, compact and in bytes', () => {
    expect(grouped(25_557_032)).toBe('25,557,032');
    expect([0, 999, 1000, 4_089_184_256].map((n) => decimal(n, 'MAC'))).toEqual(['0 MAC', '999 MAC', '1.00 KMAC', '4.09 GMAC']);
    expect(decimal(999_499, 'FLOP')).toBe('999 KFLOP');
    expect(decimal(999_500, 'FLOP')).toBe('1.00 MFLOP');
    expect([0, -5, 999, 1000, 9408, -3_210_000, 25_557_032].map(compactNumber)).toEqual([
      '0',
      '-5',
      '999',
      '1.00K',
      '9.41K',
      '-3.21M',
      '25.6M',
    ]);
    expect([0, 12, 57_802_752].map((n) => opsText(n, 'MAC'))).toEqual(['0', '12 MAC', '57.8 MMAC']);
    expect([0, 1023, 1024, 102_760_448].map(bytesText)).toEqual(['0 B', '1023 B', '1.00 KiB', '98.0 MiB']);
    // 1000 to 1023 of a unit: four digits, never 1.02e+3.
    expect([1_065_353_216, 1_072_693_248, 1_048_051_712].map(bytesText)).toEqual(['1016 MiB', '1023 MiB', '1000 MiB']);
    expect([shapeText([1, 64, 7, 7]), shapeLabel([64, 7, 7]), shapeCsv([1, 64, 7, 7])]).toEqual(['[1, 64, 7, 7]', '64×7×7', '1x64x7x7']);
  });
});

describe('markup', () => {
  it('fits Markdown into table cells, and plain text shown as written', () => {
    expect(mdCell('a|b\r\nc \\d')).toBe('a\\|b c \\d');
    // mdCellText is check.ts's cell(): backslash, pipe and line breaks escaped, nothing else.
    const checkCell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
    for (const s of ['plain', 'a|b', 'C:\\models\\x.yaml', 'two\nlines\r\nthree', '\\|', 'my_net*', ''])
      expect(mdCellText(s)).toBe(checkCell(s));
    expect(mdText('my_net*v2 <b>')).toBe('my\\_net\\*v2 \\<b\\>');
    expect(code('a`b')).toBe('``a`b``');
    expect(mdTable(['A'], ['right'], [['x|y']])).toEqual(['| A |', '|---:|', '| x\\|y |']);
  });

  it('quotes CSV by RFC 4180, as check.ts does', () => {
    const checkField = (v: string | number) => {
      const s = String(v);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    for (const v of ['plain', 12, 'a,b', 'say "hi"', 'two\nlines', 'cr\r', '']) expect(csvField(v)).toBe(checkField(v));
    expect(
      csvLines([
        ['a', 'b,c'],
        [1, 2],
      ]),
    ).toBe('a,"b,c"\r\n1,2\r\n');
  });
});

describe("kinds' display", () => {
  it('gives every kind a category', () => {
    const categories = Object.fromEntries(Object.values(layerKinds).map((k) => [k.kind, k.display.category]));
    // A subset: kinds added later state their own category.
    expect(categories).toMatchObject({
      conv: 'conv',
      linear: 'linear',
      maxpool: 'pool',
      avgpool: 'pool',
      adaptive_avgpool: 'pool',
      global_avgpool: 'pool',
      batchnorm: 'norm',
      lrn: 'norm',
      relu: 'activation',
      softmax: 'activation',
      dropout: 'regularization',
      flatten: 'reshape',
      identity: 'reshape',
      add: 'arithmetic',
      concat: 'concat',
    });
    expect(loadBundled('lecture/first_conv').nodes[0].layer.display.category).toBe('input');
  });

  it('shows window arguments of convolutions and pooling', () => {
    const detail = (kind: string, args: unknown) => layerKinds[kind].display.detail?.(args) ?? '';
    expect(detail('conv', { kernel: [7, 7], stride: [2, 2], dilation: [1, 1], groups: 1 })).toBe('7×7 /2');
    expect(detail('conv', { kernel: [3, 3], stride: [1, 1], dilation: [2, 2], groups: 32 })).toBe('3×3 d2 g32');
    expect(detail('maxpool', { kernel: [3, 1], stride: [2, 1], dilation: [1, 1] })).toBe('3×1 /2×1');
    expect(detail('avgpool', { kernel: [2, 2], stride: [2, 2] })).toBe('2×2 /2');
    expect(detail('relu', {})).toBe('');
  });

  it('colours categories with distinct fills and class names', () => {
    const styles = [...Object.values(CATEGORY_STYLES).filter((s) => s !== undefined), BLOCK_STYLE];
    expect(new Set(styles.map((s) => s.className)).size).toBe(styles.length);
    for (const s of styles) expect(s.fill).toMatch(/^#[0-9a-f]{6}$/);
  });
});

describe('figures given to renderers', () => {
  it('folds a graph once per depth: the report and the graph view share it', () => {
    const g = loadBundled('resnet18');
    expect(foldByDepth(g, 2)).toBe(foldByDepth(g, 2));
    expect(foldByDepth(g, 1)).not.toBe(foldByDepth(g, 2));
  });

  it('computes the rates, shares and top-K groups of a run', () => {
    const rep: RunReport = {
      schema: 'cnnscope.run/1',
      model: 'm',
      input: { shape: [2, 3, 8, 8], source: 'seed 1' },
      weights: 'synthetic',
      threads: 1,
      engine: 'builtin',
      outputs: [
        {
          name: 'fc',
          shape: [2, 10],
          top: [
            { sample: 0, index: 3, value: 2 },
            { sample: 1, index: 1, value: 1 },
            { sample: 1, index: 4, value: 0 },
          ],
        },
      ],
      macs: { executed: 4_000_000, static: 4_000_000 },
      time_ms: 2,
      profile: [
        { name: 'c', kind: 'conv', time_ms: 1.5, macs: 4_000_000, gmac_per_s: 2.667 },
        { name: 'r', kind: 'relu', time_ms: 0.5, macs: 0, gmac_per_s: 0 },
      ],
      profile_total_ms: 2,
    };
    const f = runFigures(rep);
    expect(f.gmac_per_s).toBe(2);
    expect(f.profile_shares).toEqual([75, 25]);
    expect(f.profile_gmac_per_s).toBe(2);
    expect(f.top.map((t) => [t.output, t.sample, t.samples, t.entries.map((e) => e.index)])).toEqual([
      ['fc', 0, 2, [3]],
      ['fc', 1, 2, [1, 4]],
    ]);
    expect(runFigures({ ...rep, time_ms: 0, profile: undefined, profile_total_ms: undefined }).gmac_per_s).toBe(4_000_000 / 1e-9 / 1e6);
  });
});
