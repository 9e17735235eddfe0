import { describe, expect, it } from 'vitest';
import { scriptJson } from '../../src/report/html/markup.js';
import { cli, modelFile } from '../cli/run.js';

const bottleneck = 'architectures/lecture/bottleneck.yaml';

describe('cnnscope report --html', () => {
  it('writes one self-contained page: nothing it could request, the data inline', async () => {
    const r = await cli(['report', bottleneck, '--html', '-o', '-']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const html = r.stdout;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // No attribute or rule that loads anything; the only URL is SVG's namespace name, which is never fetched.
    expect(html).not.toMatch(/\s(src|href|srcset|action|poster)=/i);
    expect(html).not.toMatch(/@import|url\((?!#arrow\))/);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/(https?|ftp|wss?):\/\//);
    expect(html).toContain(`default-src 'none'`);
    const data = JSON.parse(/<script type="application\/json" id="data">(.*?)<\/script>/s.exec(html)![1]);
    expect(data.layers).toEqual(['0', '1', '2', '3', '4']);
    expect(data.items['L:2'][data.labels.L.indexOf('MACs')]).toEqual([115605504, ' (116 MMAC)']);
  });

  it('gives the same bytes for the same model', async () => {
    const a = await cli(['report', 'squeezenet1_1', '-o', '-', '--depth', '1']);
    const b = await cli(['report', 'squeezenet1_1', '-o', '-', '--depth', '1']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('keeps names that look like markup inert', async () => {
    const file = modelFile('name: "x</script><script>alert(1)</script>"\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3}\n');
    const r = await cli(['report', file, '-o', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('<script>alert');
    const data = JSON.parse(/<script type="application\/json" id="data">(.*?)<\/script>/s.exec(r.stdout)![1]);
    expect(data.model).toBe('x</script><script>alert(1)</script>');
  });

  it('refuses a bad command line in one line, exit 2', async () => {
    for (const [argv, message] of [
      [['report', bottleneck], /^cnnscope: error: report: name the output file with -o FILE/],
      [
        ['report', bottleneck, '-o', '-', '--figure', 'flops'],
        /^cnnscope: error: --figure flops: expected one of macs, params, activations, rf/,
      ],
      [['report', bottleneck, '-o', '-', '--depth', '0'], /^cnnscope: error: --depth 0: expected a positive integer/],
      [['report', bottleneck, '-o', '/nonexistent-dir/r.html'], /^cnnscope: error: -o \/nonexistent-dir\/r.html: cannot write the file/],
    ] as const) {
      const r = await cli([...argv]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refuses a graph too large to lay out, in one line, exit 2', async () => {
    const file = modelFile(`name: long\ninput: [1, 4, 4]\nlayers:\n${'  - relu: {}\n'.repeat(4001)}`);
    const r = await cli(['report', file, '-o', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cnnscope: error: report: .* has 4,001 layers; the HTML report lays out at most 4,000 /);
  });

  it('reports a model error positioned, exit 2', async () => {
    const file = modelFile('name: bad\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 30}\n');
    const r = await cli(['report', file, '-o', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/:4:\d+: error: layer '0' \(conv\): /);
  });
});

describe('scriptJson', () => {
  it('escapes what could end a script element, and parses back unchanged', () => {
    const value = { a: '</script><!-- \u2028 \u2029 <b>' };
    const text = scriptJson(value);
    expect(text).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
