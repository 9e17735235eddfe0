/** `analyze --bars`: share bars, the liveness timeline and its sparkline, worked by hand. */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/report.js';
import { buildModel } from '../../src/graph/build.js';
import { ASCII_GLYPHS, glyphsFor, percentText, shareBar, sparkline, UNICODE_GLYPHS } from '../../src/report/bars.js';
import { bundledModels } from '../../src/bundled.js';
import { readFileSync } from 'node:fs';
import { cli, modelFile } from '../cli/run.js';

describe('shareBar', () => {
  it('draws eighths of a cell, rounded to the nearest', () => {
    expect(shareBar(1, 2, 4, UNICODE_GLYPHS)).toBe('██  ');
    expect(shareBar(1, 1, 3, UNICODE_GLYPHS)).toBe('███');
    // 3/16 of 4 cells = 0.75 cell = 6 eighths.
    expect(shareBar(3, 16, 4, UNICODE_GLYPHS)).toBe('▊   ');
    // 0.3 of 10 cells = 3 cells; 0.31 = 3.1 cells = 24.8 eighths -> 25: 3 cells and an eighth.
    expect(shareBar(31, 100, 10, UNICODE_GLYPHS)).toBe('███▏      ');
    expect(shareBar(0, 100, 5, UNICODE_GLYPHS)).toBe('     ');
  });

  it('shows a share that is not zero with at least the smallest mark', () => {
    expect(shareBar(1, 1_000_000, 10, UNICODE_GLYPHS)).toBe('▏         ');
    expect(shareBar(1, 1_000_000, 10, ASCII_GLYPHS)).toBe('#         ');
  });

  it('draws whole cells in ASCII', () => {
    expect(shareBar(1, 2, 10, ASCII_GLYPHS)).toBe('#####     ');
    expect(shareBar(34, 100, 10, ASCII_GLYPHS)).toBe('###       ');
    expect(shareBar(36, 100, 10, ASCII_GLYPHS)).toBe('####      ');
  });

  it('prints the percentage with one decimal', () => {
    expect(percentText(1, 3)).toBe('33.3%');
    expect(percentText(0, 3)).toBe('0%');
    expect(percentText(1, 10_000)).toBe('<0.1%');
    expect(percentText(5, 10_000)).toBe('0.1%');
    expect(percentText(3, 3)).toBe('100.0%');
  });
});

describe('sparkline', () => {
  it('gives the top level to the peak column only', () => {
    // Peak 8; others scale to levels 0..6 by floor(v / 8 * 7).
    expect(sparkline([0, 4, 8, 8, 2], 10, UNICODE_GLYPHS)).toEqual({ line: '▁▄█▇▂', peakColumn: 2 });
    expect(sparkline([0, 4, 8, 8, 2], 10, ASCII_GLYPHS).line).toBe('_=#%.');
  });

  it('keeps the largest value of the steps a column covers', () => {
    // 6 steps in 3 columns: [1, 9], [2, 3], [4, 0]: 9 the peak, 3 and 4 at floor(v / 9 * 7) = 2 and 3.
    expect(sparkline([1, 9, 2, 3, 4, 0], 3, UNICODE_GLYPHS)).toEqual({ line: '█▃▄', peakColumn: 0 });
  });
});

describe('glyphsFor', () => {
  it('reads the locale as setlocale does, and refuses Unicode to a dumb terminal', () => {
    expect(glyphsFor({ LANG: 'en_US.UTF-8' })).toBe(UNICODE_GLYPHS);
    expect(glyphsFor({ LC_ALL: 'C', LANG: 'en_US.UTF-8' })).toBe(ASCII_GLYPHS);
    expect(glyphsFor({ LC_CTYPE: 'de_DE.utf8' })).toBe(UNICODE_GLYPHS);
    expect(glyphsFor({})).toBe(ASCII_GLYPHS);
    expect(glyphsFor({ LANG: 'C.UTF-8', TERM: 'dumb' })).toBe(ASCII_GLYPHS);
  });
});

const CHAIN = `name: chain
input: [1, 4, 4]
layers:
  - conv: {name: a, out: 2, kernel: 1}
  - relu: {name: b}
  - conv: {name: c, out: 1, kernel: 3, padding: 1}
`;

const BRANCH = `name: branch
input: [2, 4, 4]
layers:
  - conv: {name: a, out: 2, kernel: 1}
  - relu: {name: b, inputs: input}
  - add: {name: c, inputs: [a, b]}
`;

describe('the liveness timeline', () => {
  it('is the bytes alive while each step runs (a chain, worked by hand)', () => {
    // fp32: input 1*16*4 = 64 B, a 2*16*4 = 128 B, b 128 B, c 64 B.
    // step 0 input: 64; a: 64 + 128 = 192 (input freed after); b: 128 + 128 = 256 (a freed); c: 128 + 64 = 192.
    const report = analyze(buildModel(CHAIN, { file: 'chain.yaml' }).graph, { liveBytes: true });
    expect(report.memory.live_bytes).toEqual([64, 192, 256, 192]);
    expect(report.totals.peak_activation_bytes).toBe(256);
    expect(report.memory.peak_at).toBe('b');
  });

  it('keeps a tensor alive until its last reader (two branches)', () => {
    // input 2*16*4 = 128 B, a 128, b 128, c 128: the input lives until b, a until c.
    // input: 128; a: 256; b: 128 + 128 + 128 = 384 (input freed after); c: 128 + 128 + 128 = 384.
    const report = analyze(buildModel(BRANCH, { file: 'branch.yaml' }).graph, { liveBytes: true, batch: 2 });
    expect(report.memory.live_bytes).toEqual([256, 512, 768, 768]);
    expect(report.totals.peak_activation_bytes).toBe(768);
    expect(report.memory.peak_at).toBe('b');
  });

  it('is absent unless asked for, and peaks where the report says on every bundled model', () => {
    for (const m of bundledModels()) {
      if (m.preset) continue;
      const { graph } = buildModel(readFileSync(m.path, 'utf8'), { file: m.path });
      expect(analyze(graph).memory.live_bytes).toBeUndefined();
      const report = analyze(graph, { liveBytes: true });
      const live = report.memory.live_bytes!;
      expect(live.length, m.name).toBe(graph.nodes.length);
      const peak = Math.max(...live);
      expect(peak, m.name).toBe(report.totals.peak_activation_bytes);
      expect(graph.nodes[live.indexOf(peak)].name, m.name).toBe(report.memory.peak_at);
    }
  });
});

describe('analyze --bars', () => {
  it('adds the share columns and the sparkline, in Unicode at a UTF-8 terminal', async () => {
    const r = await cli(['analyze', modelFile(CHAIN), '--bars'], { env: { LANG: 'C.UTF-8' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[2]).toContain('MACs share');
    expect(lines[2]).toContain('Activations share');
    // The sparkline: 64, 192, 256, 192 at levels floor(v / 256 * 7) = 1, 5, the peak, 5.
    // MACs: a 2*16*1 = 32, c 1*16*2*9 = 288: shares 10% and 90%; activations 128, 128, 64 of 384 (with the input).
    const row = (name: string) => lines.find((l) => l.startsWith(`│ ${name} `))!;
    expect(row('a')).toContain('█          10.0%');
    expect(row('c')).toContain('█████████  90.0%');
    expect(row('b')).toMatch(/│ {15}0% │ ███▍ {7}33\.3%/);
    expect(r.stdout).toContain('Live activations:  ▂▆█▆  peak 256 B at b (4 steps)');
  });

  it('is plain ASCII without a UTF-8 locale or at a dumb terminal', async () => {
    for (const env of [{}, { LANG: 'C.UTF-8', TERM: 'dumb' }]) {
      const r = await cli(['analyze', modelFile(CHAIN), '--bars'], { env });
      expect(r.stdout).toContain('Live activations:  .*#*  peak 256 B at b');
      expect(r.stdout.split('\n').find((l) => l.startsWith('│ c '))).toContain('#########  90.0%');
    }
  });

  it('refuses formats it does not draw in', async () => {
    const r = await cli(['analyze', modelFile(CHAIN), '--bars', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cnnscope: error: --bars draws in the table; it does not apply to --format json\n');
  });
});
