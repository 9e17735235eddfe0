/**
 * Bad input never ends in a stack trace, a hang or a partial report: mutated copies of the
 * bundled models either analyze (exit 0) or fail with one-line positioned errors (exit 2).
 * Deterministic: the mutations come from a fixed seed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from './run.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SNIPPETS = [
  '',
  ' ',
  '\n',
  ':',
  '-',
  '[',
  ']',
  '{',
  '}',
  '"',
  '${',
  '}',
  '*a',
  '&a ',
  '0',
  '-1',
  '99999999',
  'x',
  'conv',
  'in.c',
  '//',
  '#',
];

function mutate(text: string, random: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * out.length);
    const len = Math.floor(random() * 6);
    const snippet = SNIPPETS[Math.floor(random() * SNIPPETS.length)];
    out = out.slice(0, at) + snippet + out.slice(at + len);
  }
  return out;
}

describe('mutated models', () => {
  for (const file of [
    'architectures/resnet.yaml',
    'architectures/googlenet.yaml',
    'architectures/densenet.yaml',
    'architectures/vgg.yaml',
  ]) {
    it(`${file}: 60 mutations analyze or fail cleanly`, async () => {
      const text = readFileSync(file, 'utf8');
      const random = mulberry32(file.length * 7919);
      let failed = 0;
      for (let n = 0; n < 60; n++) {
        const r = await cli(['analyze', '-', '--json'], { stdin: mutate(text, random) });
        expect([0, 2], r.stderr).toContain(r.code);
        if (r.code === 0) {
          expect(() => JSON.parse(r.stdout)).not.toThrow();
          continue;
        }
        failed++;
        expect(r.stdout).toBe('');
        for (const line of r.stderr.trim().split('\n')) {
          expect(line, r.stderr).toMatch(/^(<stdin>:\d+:\d+: error: .+|\d+ errors|cnnscope: error: .+)$/);
        }
      }
      // The mutations do break files: most runs must have been errors, or the test tests nothing.
      expect(failed).toBeGreaterThan(20);
    });
  }
});
