/**
 * The two text formats of tables, shared by every renderer that writes them: GitHub-flavoured
 * Markdown (tables, escaping, code spans) and CSV (RFC 4180 quoting, CRLF lines).
 */

export type Align = 'left' | 'right';

/** A GFM table: a header row, the alignment row, one row per entry. Each cell is passed through mdCell. */
export function mdTable(head: readonly string[], align: readonly Align[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(head), `|${align.map((a) => (a === 'right' ? '---:' : ':---')).join('|')}|`, ...rows.map(line)];
}

/** Markdown made to fit one table cell: line breaks become spaces, `|` is escaped. */
export function mdCell(markdown: string): string {
  return markdown.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** Plain text for a table cell, shown as written: backslashes escaped too (other punctuation is left to Markdown). */
export function mdCellText(text: string): string {
  return mdCell(text.replace(/\\/g, '\\\\'));
}

/** Text with Markdown's punctuation escaped, so a name like `my_model*` shows as written (`|` is escaped by mdCell). */
export function mdText(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#!~]/g, (c) => `\\${c}`);
}

/** A code span; names are shown this way (dots, underscores and digits stay literal). */
export function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** RFC 4180: quote a field holding a comma, a double quote, CR or LF; double the quotes inside. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as RFC 4180 lines, each ending with CRLF. */
export function csvLines(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

/** A shape in a CSV cell: `1x64x56x56`. */
export function shapeCsv(shape: readonly number[]): string {
  return shape.join('x');
}
