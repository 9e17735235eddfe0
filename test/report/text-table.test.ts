/**
 * The table writer gives the bytes cli-table3 gave (kept as a development dependency for this
 * comparison): random tables of ASCII, wide characters, emoji, combining marks, colour codes
 * (balanced or left open) and multi-line cells, in both alignments.
 */
import Table from 'cli-table3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textTable, textTableLines, type ColumnAlign } from '../../src/report/text-table.js';

function cliTable3(head: readonly string[], aligns: readonly ColumnAlign[], rows: readonly (readonly string[])[]): string {
  const table = new Table({ head: [...head], colAligns: [...aligns], style: { head: [], border: [], compact: true } });
  for (const r of rows) table.push([...r]);
  return table.toString();
}

const piece = fc.constantFrom(
  'a',
  'conv',
  ' ',
  '1,024',
  '→',
  '日本',
  '한',
  '😀',
  '👍🏽',
  'e\u0301',
  '\t',
  '\n',
  '\u001b[1m',
  '\u001b[22m',
  '\u001b[2m',
  '\u001b[33m',
  '\u001b[39m',
  '\u001b[41m',
  '\u001b[49m',
  '\u001b[4m',
  '\u001b[0m',
  '\u001b[m',
  '\u001b[1;31m',
);
const cell = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));

describe('text tables', () => {
  it('match cli-table3 byte for byte', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((columns) =>
            fc.tuple(
              fc.array(cell, { minLength: columns, maxLength: columns }),
              fc.array(fc.constantFrom<ColumnAlign>('left', 'right'), { minLength: columns, maxLength: columns }),
              fc.array(fc.array(cell, { minLength: columns, maxLength: columns }), { maxLength: 4 }),
            ),
          ),
        ([head, aligns, rows]) => {
          expect(textTable(head, aligns, rows)).toBe(cliTable3(head, aligns, rows));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('draw a header with no rows, and one line per row', () => {
    const head = ['Layer', 'Params'];
    expect(textTable(head, ['left', 'right'], [])).toBe(cliTable3(head, ['left', 'right'], []));
    const rows = Array.from({ length: 50 }, (_, i) => [`l${i}`, String(i * 1000)]);
    // A top rule, the header, the rule under it, the rows, the bottom rule.
    expect(textTableLines(head, ['left', 'right'], rows)).toHaveLength(rows.length + 4);
    expect(textTable(head, ['left', 'right'], rows)).toBe(cliTable3(head, ['left', 'right'], rows));
  });
});
