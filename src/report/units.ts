/**
 * Numbers and shapes for people, shared by every renderer. JSON never uses these: it prints exact
 * integers.
 */
import type { ReceptiveField, Totals } from '../analysis/report.js';

/** 25557032 -> "25,557,032" (without ICU for whole numbers: see there). */
export { grouped } from '../graph/diagnostics.js';

/** A shape as the table shows it: [1, 64, 112, 112]. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A per-sample shape as graph labels show it: `64×56×56`. */
export function shapeLabel(shape: readonly number[]): string {
  return shape.join('×');
}

const DECIMAL_PREFIXES = ['', 'K', 'M', 'G', 'T', 'P', 'E'] as const;
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/**
 * `n` divided by `base` until it stays below `base` at three significant digits (999.5 would round
 * to 1000), at most `limit` times: the value and the power of `base` it was divided by.
 */
function scaled(n: number, base: number, limit: number): { value: number; power: number } {
  let power = 0;
  let value = n;
  while (Math.abs(value) >= base - 0.5 && power < limit) {
    value /= base;
    power++;
  }
  return { value, power };
}

/** Powers of 1000 with three significant digits: 4089184256 MAC -> "4.09 GMAC"; below 1000 as it is. */
export function decimal(n: number, unit: string): string {
  const { value, power } = scaled(n, 1000, DECIMAL_PREFIXES.length - 1);
  return `${power === 0 ? String(value) : value.toPrecision(3)} ${DECIMAL_PREFIXES[power]}${unit}`;
}

/** Operations of a row, `57.8 MMAC` or `1.20 KFLOP`, and a bare `0` for none (a relu has no MACs). */
export function opsText(n: number, unit: 'MAC' | 'FLOP'): string {
  return n === 0 ? '0' : decimal(n, unit);
}

/** A count in little room (graph labels, diff rows): `9.41K`, `25.6M`, `128`, `-3.21M`. */
export function compactNumber(n: number): string {
  const { value, power } = scaled(n, 1000, DECIMAL_PREFIXES.length - 1);
  return power === 0 ? String(value) : `${value.toPrecision(3)}${DECIMAL_PREFIXES[power]}`;
}

/** Powers of 1024 (KiB, MiB, GiB), three significant digits (four from 1000 to 1023): 102760448 -> "98.0 MiB", 1072693248 -> "1023 MiB". */
export function bytesText(n: number): string {
  const { value, power } = scaled(n, 1024, BINARY_UNITS.length - 1);
  // 1000 to 1023 of a unit keep four digits: toPrecision(3) would write 1.02e+3.
  return power === 0 ? `${value} B` : `${value >= 999.5 ? value.toFixed(0) : value.toPrecision(3)} ${BINARY_UNITS[power]}`;
}

/** "427 /32" for a square field of stride 32, "7x5 /2x1" otherwise, or "global". */
export function fieldText(f: ReceptiveField): string {
  if (f === 'global') return 'global';
  const pair = (p: readonly number[]) => (p[0] === p[1] ? String(p[0]) : `${p[0]}x${p[1]}`);
  return `${pair(f.size)} /${pair(f.stride)}`;
}

/**
 * The totals' receptive field as one line: the field (with the last spatial one when it is global)
 * and, where a gate makes it differ, the windowed one. `layer` formats a layer name.
 */
export function totalFieldText(t: Totals, layer: (name: string) => string): string {
  const withLast = (f: ReceptiveField, last: (Totals['last_spatial_receptive_field'] & object) | undefined) =>
    f === 'global' && last ? `global (last spatial: ${fieldText(last)} at ${layer(last.layer)})` : fieldText(f);
  const strict = withLast(t.receptive_field, t.last_spatial_receptive_field);
  if (t.windowed_receptive_field === undefined && t.last_windowed_receptive_field === undefined) return strict;
  const windowed = t.windowed_receptive_field ?? t.receptive_field;
  return `${strict}; windowed, past gates: ${withLast(windowed, t.last_windowed_receptive_field ?? t.last_spatial_receptive_field)}`;
}

/** Whether any row has a windowed field of its own: then renderers add a column for it. */
export function hasWindowedFields(rows: readonly { readonly windowed_receptive_field?: ReceptiveField }[]): boolean {
  return rows.some((r) => r.windowed_receptive_field !== undefined);
}
