/**
 * The boxed tables of the terminal output (analyze, diff, run's profile): the same bytes as
 * cli-table3 0.6.5 gave with `style: { head: [], border: [], compact: true }`, which the renderers
 * used before, but in time linear in the rows (cli-table3's layout compares every cell with every
 * cell above it, cli-table/cli-table3#68: 16,000 rows took minutes, 500,000 overflowed the stack).
 * Widths are terminal columns, as cli-table3 measures them: colour codes take none, East Asian
 * wide characters and emoji two (string-width). A cell may hold several lines; colours open at the
 * end of one of its lines are closed there and reopened on the next, as cli-table3 does.
 */
import stringWidth from 'string-width';

export type ColumnAlign = 'left' | 'right';

/** The table's lines (no final newline): a header row, then the rows, in one box. */
export function textTableLines(head: readonly string[], aligns: readonly ColumnAlign[], rows: readonly (readonly string[])[]): string[] {
  const all = [head, ...rows];
  const columns = head.length;
  const cells = all.map((row) => row.map(cellLines));
  // Each column as wide as its widest cell plus a space either side; each row as tall as its tallest cell.
  const widths = new Array<number>(columns).fill(1);
  for (const row of all) {
    for (let x = 0; x < columns; x++) widths[x] = Math.max(widths[x], displayWidth(row[x] ?? '') + 2);
  }
  const rule = (left: string, mid: string, right: string) => `${left}${widths.map((w) => '─'.repeat(w)).join(mid)}${right}`;
  const out: string[] = [rule('┌', '┬', '┐')];
  cells.forEach((row, y) => {
    if (y === 1) out.push(rule('├', '┼', '┤'));
    const height = Math.max(1, ...row.map((lines) => lines.length));
    for (let line = 0; line < height; line++) {
      let text = '';
      for (let x = 0; x < columns; x++) {
        const content = row[x]?.[line];
        const inner = widths[x] - 2;
        text += `│ ${content === undefined ? ' '.repeat(inner) : pad(content, inner, aligns[x] ?? 'left')} `;
      }
      out.push(`${text}│`);
    }
  });
  out.push(rule('└', '┴', '┘'));
  return out;
}

/** The table as one string, without a final newline (as cli-table3's toString()). */
export function textTable(head: readonly string[], aligns: readonly ColumnAlign[], rows: readonly (readonly string[])[]): string {
  return textTableLines(head, aligns, rows).join('\n');
}

function pad(text: string, width: number, align: ColumnAlign): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** SGR colour codes, the only escapes cli-table3 discounts before measuring. */
// eslint-disable-next-line no-control-regex -- the escape character is what these match
const SGR = /\u001b\[(?:\d*;){0,5}\d*m/g;
// eslint-disable-next-line no-control-regex -- the escape character is what these match
const SGR_CAPTURE = /\u001b\[((?:\d*;){0,5}\d*)m/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Terminal columns of the widest line of a cell. */
export function displayWidth(text: string): number {
  let widest = 0;
  for (const line of text.replace(SGR, '').split('\n')) {
    const w = PRINTABLE_ASCII.test(line) ? line.length : stringWidth(line);
    if (w > widest) widest = w;
  }
  return widest;
}

/** A cell's lines, each closing the colours it leaves open and reopening those the line before left open. */
function cellLines(content: string): string[] {
  const lines = content.split('\n');
  if (!content.includes('\u001b')) return lines;
  let state: ColourState = {};
  return lines.map((raw) => {
    const line = rewind(state, raw);
    state = readState(line);
    return unwind({ ...state }, line);
  });
}

/** What is on at a point of a line: bold and the like by name, the last foreground and background codes. */
interface ColourState {
  lastForegroundAdded?: string;
  lastBackgroundAdded?: string;
  [attribute: string]: string | boolean | undefined;
}

/** The attributes cli-table3 tracks, by their on and off codes. */
const ATTRIBUTES: Readonly<Record<string, { readonly on: string; readonly off: string }>> = {
  bold: { on: '\u001b[1m', off: '\u001b[22m' },
  italics: { on: '\u001b[3m', off: '\u001b[23m' },
  underline: { on: '\u001b[4m', off: '\u001b[24m' },
  inverse: { on: '\u001b[7m', off: '\u001b[27m' },
  strikethrough: { on: '\u001b[9m', off: '\u001b[29m' },
};
const SWITCHES = new Map<string, { readonly set: string; readonly to: boolean }>(
  Object.entries(ATTRIBUTES).flatMap(([name, { on, off }]) => [
    [on, { set: name, to: true }],
    [off, { set: name, to: false }],
  ]),
);

function updateState(state: ColourState, code: string, params: string | undefined): void {
  const n = params ? parseInt(params.split(';')[0], 10) : 0;
  if ((n >= 30 && n <= 39) || (n >= 90 && n <= 97)) {
    state.lastForegroundAdded = code;
    return;
  }
  if ((n >= 40 && n <= 49) || (n >= 100 && n <= 107)) {
    state.lastBackgroundAdded = code;
    return;
  }
  if (n === 0) {
    for (const key of Object.keys(state)) delete state[key];
    return;
  }
  const change = SWITCHES.get(code);
  if (change) state[change.set] = change.to;
}

function readState(line: string): ColourState {
  const state: ColourState = {};
  for (const m of line.matchAll(SGR_CAPTURE)) updateState(state, m[0], m[1]);
  return state;
}

function unwind(state: ColourState, line: string): string {
  const { lastBackgroundAdded: bg, lastForegroundAdded: fg } = state;
  delete state.lastBackgroundAdded;
  delete state.lastForegroundAdded;
  let out = line;
  for (const key of Object.keys(state)) if (state[key]) out += ATTRIBUTES[key].off;
  if (bg && bg !== '\u001b[49m') out += '\u001b[49m';
  if (fg && fg !== '\u001b[39m') out += '\u001b[39m';
  return out;
}

function rewind(state: ColourState, line: string): string {
  const { lastBackgroundAdded: bg, lastForegroundAdded: fg } = state;
  delete state.lastBackgroundAdded;
  delete state.lastForegroundAdded;
  let out = line;
  for (const key of Object.keys(state)) if (state[key]) out = ATTRIBUTES[key].on + out;
  if (bg && bg !== '\u001b[49m') out = bg + out;
  if (fg && fg !== '\u001b[39m') out = fg + out;
  return out;
}
