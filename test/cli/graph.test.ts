/** `cnnscope graph`: DOT and Mermaid, through the CLI. Rendering is Graphviz's job; here the text is checked. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectGolden, GOLDEN_MODELS } from '../report/golden.js';
import { cli } from './run.js';

/** Node statements of a DOT text: id -> attribute text. */
function dotNodes(dot: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of dot.matchAll(/^\s*(n\d+) \[(.*)\];$/gm)) out.set(m[1], m[2]);
  return out;
}

function dotEdges(dot: string): [string, string][] {
  return [...dot.matchAll(/^\s*(n\d+) -> (n\d+);$/gm)].map((m) => [m[1], m[2]]);
}

/** The label text of a node's attributes. */
function label(attrs: string): string {
  return /label="((?:[^"\\]|\\.)*)"/.exec(attrs)![1].replace(/\\n/g, '\n');
}

describe('cnnscope graph --format dot', () => {
  it('matches the golden files for small models', async () => {
    const cases: [string, string[]][] = [
      ['graph/bottleneck.dot', [GOLDEN_MODELS.bottleneck]],
      ['graph/small_residual.dot', [GOLDEN_MODELS.smallResidual]],
      ['graph/small_residual.depth1.dot', [GOLDEN_MODELS.smallResidual, '--depth', '1']],
    ];
    for (const [golden, argv] of cases) {
      const r = await cli(['graph', ...argv]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expectGolden(golden, r.stdout);
    }
  });

  it('labels every layer with its name, kind, per-sample shape and parameters', async () => {
    const dot = (await cli(['graph', 'resnet50'])).stdout;
    expect(dot.startsWith('digraph "resnet50" {\n')).toBe(true);
    expect(dot).toContain('rankdir=TB');
    const nodes = dotNodes(dot);
    expect(nodes.size).toBe(176); // the input and 175 layers
    expect(label(nodes.get('n0')!)).toBe('input\n3×224×224');
    expect(label(nodes.get('n1')!)).toBe('conv1\nconv 7×7 /2 · 64×112×112\n9.41K params');
    // Inside the cluster of layer1.0 the names are relative; clusters carry the block kinds.
    expect(dot).toContain('label="layer1 · stage"');
    expect(dot).toContain('label="0 · bottleneck"');
    expect(dot).toContain('label="downsample · downsample"');
    expect([...nodes.values()].some((a) => label(a) === 'conv2\nconv 3×3 /2 · 128×28×28\n147K params')).toBe(true);
    // 16 residual sums, drawn as ellipses; the fc output has a double border.
    const adds = [...nodes.values()].filter((a) => a.includes('shape=ellipse'));
    expect(adds).toHaveLength(16);
    expect(nodes.get('n175')).toContain('peripheries=2');
  });

  it('draws googlenet with its concat merge nodes and edges from each branch point', async () => {
    const dot = (await cli(['graph', 'googlenet'])).stdout;
    const nodes = dotNodes(dot);
    const edges = dotEdges(dot);
    const concats = [...nodes].filter(([, a]) => a.includes('shape=invtrapezium'));
    expect(concats).toHaveLength(9); // inception3a ... inception5b
    for (const [id, attrs] of concats) {
      expect(label(attrs)).toMatch(/^concat · \d+×\d+×\d+$/);
      expect(
        edges.filter(([, to]) => to === id),
        id,
      ).toHaveLength(4);
    }
    // Each module's input fans out to its four branches: a branch point, drawn with a thick border.
    const maxpool2 = [...nodes].find(([, a]) => label(a).startsWith('maxpool2\n'))!;
    expect(edges.filter(([from]) => from === maxpool2[0])).toHaveLength(4);
    expect(maxpool2[1]).toContain('penwidth=2');
    expect(dot).toContain('label="inception3a · inception"');
    expect(dot).toContain('label="branch2 · sequential"');
  });

  it('folds blocks into one node each with --depth, edges between blocks', async () => {
    const dot = (await cli(['graph', 'resnet50', '--depth', '1'])).stdout;
    const nodes = dotNodes(dot);
    expect(nodes.size).toBe(12); // input, conv1, bn1, relu, maxpool, layer1-4, avgpool, flatten, fc
    const layer3 = [...nodes].find(([, a]) => label(a).startsWith('layer3\n'))!;
    expect(label(layer3[1])).toBe('layer3\nstage · 62 layers\n1024×14×14\n7.10M params · 1.46G MACs');
    expect(layer3[1]).toContain('shape=box3d');
    expect(dotEdges(dot)).toHaveLength(11);

    const g = (await cli(['graph', 'googlenet', '--depth', '2'])).stdout;
    const gNodes = dotNodes(g);
    // At depth 2 every inception module shows its four branches as blocks, then its concat.
    expect([...gNodes.values()].filter((a) => a.includes('shape=invtrapezium'))).toHaveLength(9);
    expect([...gNodes.values()].some((a) => label(a) === 'branch2\nsequential · 6 layers\n128×28×28\n129K params · 101M MACs')).toBe(true);
  });

  it('is deterministic', async () => {
    const a = await cli(['graph', 'densenet121', '--depth', '2']);
    const b = await cli(['graph', 'densenet121', '--depth', '2']);
    expect(a.stdout).toBe(b.stdout);
  });

  it('escapes quotes and backslashes in names', async () => {
    const r = await cli(['graph', '-'], { stdin: 'name: \'my "net" \\\\ 1\'\ninput: [3, 8, 8]\nlayers: [{conv: {out: 4, kernel: 3}}]\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('digraph "my \\"net\\" \\\\\\\\ 1" {');
  });

  it.skipIf(!existsSync('/usr/bin/dot'))('gives DOT that Graphviz parses for every bundled model', async () => {
    for (const argv of [
      ['googlenet'],
      ['resnet50'],
      ['resnet50', '--depth', '2'],
      ['densenet121', '--depth', '2'],
      ['vgg16'],
      ['alexnet', '--depth', '1'],
    ]) {
      const dot = (await cli(['graph', ...argv])).stdout;
      const r = spawnSync('/usr/bin/dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
      expect(r.status, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr, argv.join(' ')).toBe('');
    }
  });

  it('has help with examples, as diff has', async () => {
    for (const command of ['graph', 'diff']) {
      const r = await cli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });

  it('rejects unknown formats and depths', async () => {
    for (const argv of [
      ['--format', 'svg'],
      ['--depth', '0'],
      ['--format', 'json'],
    ]) {
      const r = await cli(['graph', GOLDEN_MODELS.bottleneck, ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^cnnscope: error: --/);
    }
  });
});

describe('cnnscope graph --format mermaid', () => {
  it('matches the golden file for a small model', async () => {
    const r = await cli(['graph', GOLDEN_MODELS.smallResidual, '--format', 'mermaid']);
    expect(r.code, r.stderr).toBe(0);
    expectGolden('graph/small_residual.mmd', r.stdout);
  });

  it('is a well-formed flowchart: known ids, balanced subgraphs, quoted labels', async () => {
    for (const argv of [['googlenet'], ['resnet50', '--depth', '2'], [GOLDEN_MODELS.smallResidual]]) {
      const text = (await cli(['graph', ...argv, '--format', 'mermaid'])).stdout;
      const lines = text.trimEnd().split('\n');
      expect(lines[0]).toBe('flowchart TB');
      const defined = new Set<string>();
      let open = 0;
      for (const line of lines.slice(1)) {
        const t = line.trim();
        if (t.startsWith('subgraph ')) {
          expect(t).toMatch(/^subgraph c\d+\["[^"]*"\]$/);
          open++;
        } else if (t === 'end') {
          open--;
          expect(open).toBeGreaterThanOrEqual(0);
        } else if (/^n\d+ --> n\d+$/.test(t)) {
          const [from, , to] = t.split(' ');
          expect(defined.has(from) && defined.has(to), t).toBe(true);
        } else if (t.startsWith('classDef ') || t.startsWith('class ')) {
          expect(t).toMatch(/^(classDef \w+ [\w:#,.-]+|class (n\d+,)*n\d+ \w+)$/);
        } else {
          // A node: id, a shape around one quoted label without raw quotes.
          const m = /^(n\d+)(\(\[|\[\[|\(\(|\{\{|\()"([^"]*)"(\]\)|\]\]|\)\)|\}\}|\))$/.exec(t);
          expect(m, t).not.toBeNull();
          const closing = { '([': '])', '[[': ']]', '((': '))', '{{': '}}', '(': ')' } as const;
          expect(m![4]).toBe(closing[m![2] as keyof typeof closing]);
          defined.add(m![1]);
        }
      }
      expect(open).toBe(0);
    }
  });

  it('draws add as a circle, concat as a hexagon, blocks as subroutines', async () => {
    const text = (await cli(['graph', GOLDEN_MODELS.smallResidual, '--format', 'mermaid'])).stdout;
    expect(text).toMatch(/n\d+\(\("add · 8×8×8"\)\)/);
    expect(text).toMatch(/n\d+\{\{"mix · concat · 12×8×8"\}\}/);
    const folded = (await cli(['graph', 'resnet50', '--depth', '1', '--format', 'mermaid'])).stdout;
    expect(folded).toContain('[["layer1<br/>stage · 32 layers<br/>256×56×56<br/>216K params · 668M MACs"]]');
  });
});
