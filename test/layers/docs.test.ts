import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_DOCS, renderDocs, showDefault } from '../../src/layers/docs.js';
import { relu6 } from '../../src/layers/relu6.js';

const root = new URL('../../', import.meta.url);

describe('the generated kind tables of the docs', () => {
  for (const file of Object.keys(GENERATED_DOCS)) {
    it(`${file} is up to date with the registry (else run \`npm run docs\`)`, () => {
      const text = readFileSync(new URL(file, root), 'utf8');
      expect(renderDocs(file, text)).toBe(text);
    });
  }

  it('lists every kind with its summary, arguments and FLOPs', () => {
    const format = readFileSync(new URL('docs/format.md', root), 'utf8');
    const metrics = readFileSync(new URL('docs/metrics.md', root), 'utf8');
    expect(format).toContain(`| \`relu6\` | ${relu6.summary} | any, the same shape out | — |`);
    expect(format).toContain('| `dropout` | `p` | a number in [0, 1) | `0.5` | probability of zeroing an element |');
    expect(metrics).toContain(`| relu6 | ${relu6.docs!.flops} |`);
  });

  it('writes defaults as YAML would', () => {
    expect(showDefault([1, 1])).toBe('1');
    expect(showDefault([2, 3])).toBe('[2, 3]');
    expect(showDefault({ top: 0, bottom: 0, left: 0, right: 0 })).toBe('0');
    expect(showDefault(1e-5)).toBe('1e-5');
    expect(showDefault(0.75)).toBe('0.75');
    expect(showDefault(true)).toBe('true');
  });

  it('refuses a file whose markers are gone', () => {
    expect(() => renderDocs('docs/metrics.md', '# no markers\n')).toThrow(/markers of the generated section 'kind-params' are missing/);
  });
});
