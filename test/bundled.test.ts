/**
 * The bundled models' index (dist/bundled-index.json, written by the build) against a fresh scan
 * of architectures/: the same names, files, presets, families and sources, in the same order.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ARCHITECTURES_DIR, bundledIndex, bundledModels, scanBundled } from '../src/bundled.js';

describe('the bundled index', () => {
  it('is what a scan of architectures/ gives (npm run build writes it)', () => {
    const built = readFileSync(fileURLToPath(new URL('../dist/bundled-index.json', import.meta.url)), 'utf8');
    expect(built).toBe(bundledIndex(scanBundled()));
  });

  it('holds paths relative to the directory, and reads back to the scan', () => {
    const text = bundledIndex(scanBundled());
    for (const row of JSON.parse(text) as { path: string }[]) expect(row.path).not.toMatch(/^\//);
    // The sources run without an index (it sits beside dist/bundled.js): they scan.
    expect(bundledModels(ARCHITECTURES_DIR)).toEqual(scanBundled());
  });
});
