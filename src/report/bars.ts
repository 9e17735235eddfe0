/**
 * Bars for the terminal (`analyze --bars`): a row's share of a total as a proportional bar, and
 * the liveness timeline as a one-line sparkline. Unicode block elements where the terminal reads
 * UTF-8, plain ASCII otherwise (and with TERM=dumb), so a bar never turns into mojibake.
 */

/** The characters bars are drawn with. */
export interface BarGlyphs {
  /** Partial cells of a bar, from 1/n of a cell to a whole one (the last). */
  readonly partials: readonly string[];
  /** Sparkline levels, lowest first; the last one is kept for the peak. */
  readonly levels: readonly string[];
}

/** Eighths of a cell (U+258F..U+2588) and the eight lower blocks (U+2581..U+2588). */
export const UNICODE_GLYPHS: BarGlyphs = {
  partials: ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'],
  levels: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
};

/** Whole cells only, and a ramp of ASCII characters rising in ink. */
export const ASCII_GLYPHS: BarGlyphs = {
  partials: ['#'],
  levels: ['_', '.', '-', '=', '+', '*', '%', '#'],
};

/**
 * UTF-8 when the locale says so (the first set of LC_ALL, LC_CTYPE, LANG, as C's setlocale reads
 * them) and the terminal is not dumb; ASCII otherwise, the C locale and no locale included.
 */
export function glyphsFor(env: NodeJS.ProcessEnv): BarGlyphs {
  if (env['TERM'] === 'dumb') return ASCII_GLYPHS;
  const locale = [env['LC_ALL'], env['LC_CTYPE'], env['LANG']].find((v) => v !== undefined && v !== '') ?? '';
  return /utf-?8/i.test(locale) ? UNICODE_GLYPHS : ASCII_GLYPHS;
}

/**
 * `part / whole` as a bar `width` cells wide, padded with spaces to the width. Rounded to the
 * nearest partial cell; a share that is not zero shows at least the smallest partial, so a row
 * that costs something never looks free.
 */
export function shareBar(part: number, whole: number, width: number, glyphs: BarGlyphs): string {
  const steps = glyphs.partials.length;
  const share = whole > 0 ? Math.min(1, Math.max(0, part / whole)) : 0;
  let units = Math.round(share * width * steps);
  if (units === 0 && part > 0) units = 1;
  const full = Math.floor(units / steps);
  const rest = units % steps;
  const bar = glyphs.partials[steps - 1].repeat(full) + (rest > 0 ? glyphs.partials[rest - 1] : '');
  return bar + ' '.repeat(width - full - (rest > 0 ? 1 : 0));
}

/** A share as a percentage with one decimal: `12.3%`; `<0.1%` for a small share that is not zero. */
export function percentText(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return '0%';
  const p = (100 * part) / whole;
  return p < 0.05 ? '<0.1%' : `${p.toFixed(1)}%`;
}

export interface Sparkline {
  readonly line: string;
  /** The column of the peak (the first column holding the largest value). */
  readonly peakColumn: number;
}

/**
 * `values` drawn in at most `width` columns: each column the largest value of the steps it covers
 * (so no peak is averaged away), scaled to the levels below the top one; the column holding the
 * peak, and only it, gets the top level, which marks it without colour.
 */
export function sparkline(values: readonly number[], width: number, glyphs: BarGlyphs): Sparkline {
  const columns = Math.max(1, Math.min(width, values.length));
  const maxima: number[] = [];
  for (let c = 0; c < columns; c++) {
    const from = Math.floor((c * values.length) / columns);
    const to = Math.max(from + 1, Math.floor(((c + 1) * values.length) / columns));
    let m = 0;
    for (let i = from; i < to; i++) if (values[i] > m) m = values[i];
    maxima.push(m);
  }
  const peak = Math.max(0, ...maxima);
  const peakColumn = Math.max(0, maxima.indexOf(peak));
  const below = glyphs.levels.length - 1;
  const line = maxima
    .map((m, c) => {
      if (c === peakColumn) return glyphs.levels[below];
      // Levels 0 .. below - 1, proportional to the peak.
      const level = peak > 0 ? Math.min(below - 1, Math.floor((m / peak) * below)) : 0;
      return glyphs.levels[level];
    })
    .join('');
  return { line, peakColumn };
}
