/** Number formats for people. JSON never uses these: it prints exact integers. */
import type { ReceptiveField } from '../analysis/report.js';

/** 25557032 -> "25,557,032". */
export function grouped(n: number): string {
  return n.toLocaleString('en-US');
}

/** A shape as the table shows it: [1, 64, 112, 112]. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Powers of 1000 with three significant digits: 4089184256 MAC -> "4.09 GMAC". */
export function decimal(n: number, unit: string): string {
  const prefixes = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 999.5 && i < prefixes.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? String(v) : v.toPrecision(3)} ${prefixes[i]}${unit}`;
}

/** Powers of 1024 (KiB, MiB, GiB), three significant digits: 102760448 -> "98.0 MiB". */
export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1023.5 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toPrecision(3)} ${units[i]}`;
}

/** "427 /32" for a square field of stride 32, "7x5 /2x1" otherwise, or "global". */
export function fieldText(f: ReceptiveField): string {
  if (f === 'global') return 'global';
  const pair = (p: readonly number[]) => (p[0] === p[1] ? String(p[0]) : `${p[0]}x${p[1]}`);
  return `${pair(f.size)} /${pair(f.stride)}`;
}
