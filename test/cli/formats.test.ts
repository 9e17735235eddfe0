/**
 * `cnnscope analyze --format table|json|markdown|csv`, through the CLI, against golden files
 * (test/fixtures/golden/; regenerate with UPDATE_GOLDEN=1 npx vitest run test/cli/formats.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CSV_LAYER_COLUMNS } from '../../src/report/csv.js';
import { expectGolden, GOLDEN_MODELS } from '../report/golden.js';
import { cli } from './run.js';

const MODELS = { bottleneck: GOLDEN_MODELS.bottleneck, small_residual: GOLDEN_MODELS.smallResidual } as const;
const EXTENSIONS = { table: 'txt', json: 'json', markdown: 'md', csv: 'csv' } as const;

/** A minimal RFC 4180 reader, to check that the CSV parses back to the report's figures. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

describe('cnnscope analyze --format: golden files', () => {
  for (const [name, path] of Object.entries(MODELS)) {
    for (const [format, ext] of Object.entries(EXTENSIONS)) {
      it(`${name} as ${format}`, async () => {
        const r = await cli(['analyze', path, '--format', format]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toBe('');
        expectGolden(`analyze/${name}.${ext}`, r.stdout);
      });
    }
  }
  for (const format of ['table', 'markdown', 'csv', 'json'] as const) {
    it(`small_residual --depth 1 as ${format}`, async () => {
      const r = await cli(['analyze', MODELS.small_residual, '--depth', '1', '--format', format]);
      expect(r.code, r.stderr).toBe(0);
      expectGolden(`analyze/small_residual.depth1.${EXTENSIONS[format]}`, r.stdout);
    });
  }
  it('small_residual --by kind as markdown', async () => {
    const r = await cli(['analyze', MODELS.small_residual, '--by', 'kind', '--format', 'markdown']);
    expectGolden('analyze/small_residual.by-kind.md', r.stdout);
  });
});

describe('cnnscope analyze --format', () => {
  it('keeps --json as a short form of --format json', async () => {
    const a = await cli(['analyze', MODELS.bottleneck, '--json']);
    const b = await cli(['analyze', MODELS.bottleneck, '--format', 'json']);
    const c = await cli(['analyze', MODELS.bottleneck, '-f', 'json', '--json']);
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).toBe(a.stdout);
  });

  it('rejects an unknown format and a --json that disagrees', async () => {
    for (const argv of [
      ['--format', 'xml'],
      ['--json', '--format', 'csv'],
    ]) {
      const r = await cli(['analyze', MODELS.bottleneck, ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^cnnscope: error: --/);
      expect(r.stdout).toBe('');
    }
  });

  it('writes CSV with the documented header and one row per layer, equal to the JSON report', async () => {
    expect((await cli(['analyze', 'googlenet', '--format', 'csv'])).stdout).toMatch(/^name,kind,[^\n]*\r\n[^\r]*\r\n/);
    const json = JSON.parse((await cli(['analyze', 'googlenet', '--json'])).stdout);
    const rows = parseCsv((await cli(['analyze', 'googlenet', '--format', 'csv'])).stdout);
    expect(rows[0]).toEqual([...CSV_LAYER_COLUMNS]);
    expect(rows).toHaveLength(json.layers.length + 1);
    const byName = new Map(rows.slice(1).map((r) => [r[0], Object.fromEntries(CSV_LAYER_COLUMNS.map((c, i) => [c, r[i]]))]));
    for (const l of json.layers) {
      const row = byName.get(l.name)!;
      expect(row.kind).toBe(l.kind);
      expect(row.inputs.split(' ')).toEqual(l.inputs);
      expect(row.output_shape).toBe(l.output_shape.join('x'));
      for (const k of ['params', 'trainable_params', 'buffers', 'macs', 'flops', 'activation_bytes']) expect(Number(row[k])).toBe(l[k]);
      if (l.receptive_field === 'global') {
        expect([row.rf_size_h, row.rf_stride_w, row.rf_padding_h]).toEqual(['global', 'global', 'global']);
      } else {
        expect([Number(row.rf_size_h), Number(row.rf_size_w)]).toEqual(l.receptive_field.size);
        expect([Number(row.rf_stride_h), Number(row.rf_padding_w)]).toEqual([l.receptive_field.stride[0], l.receptive_field.padding[1]]);
      }
    }
    // The concat's four inputs, space-separated.
    expect(byName.get('inception3a.concat')!.inputs).toBe(
      'inception3a.branch1.relu inception3a.branch2.1.relu inception3a.branch3.1.relu inception3a.branch4.1.relu',
    );
  });

  it('writes GitHub Markdown tables whose rows all have the header width', async () => {
    for (const argv of [['resnet50'], ['resnet50', '--depth', '2'], ['googlenet', '--by', 'kind']]) {
      const r = await cli(['analyze', ...argv, '--format', 'markdown']);
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(`## ${argv[0]}\n`)).toBe(true);
      const tables = r.stdout.split('\n\n').filter((block) => block.startsWith('|'));
      expect(tables.length).toBeGreaterThanOrEqual(2);
      for (const t of tables) {
        const lines = t.trim().split('\n');
        const width = (line: string) => line.replace(/\\\|/g, '').split('|').length;
        expect(lines[1]).toMatch(/^\|(:---|---:)(\|(:---|---:))*\|$/);
        for (const line of lines) expect(width(line), line).toBe(width(lines[0]));
      }
    }
  });

  it('folds Markdown and CSV with --depth', async () => {
    const md = (await cli(['analyze', 'resnet50', '--depth', '1', '--format', 'markdown'])).stdout;
    expect(md).toContain('### Blocks');
    expect(md).toContain('| **`layer3`** | stage | 62 | [1, 1024, 14, 14] | 7,098,368 | 1.46 GMAC |');
    expect(md).not.toContain('layer3.0.conv1');
    const csv = parseCsv((await cli(['analyze', 'resnet50', '--depth', '1', '--format', 'csv'])).stdout);
    expect(csv[0].slice(0, 4)).toEqual(['name', 'kind', 'layers', 'output_shape']);
    expect(csv.find((r) => r[0] === 'layer3')).toEqual(expect.arrayContaining(['layer3', 'stage', '62', '1x1024x14x14', '7098368']));
  });
});
