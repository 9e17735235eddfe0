/**
 * The fast YAML reader (src/graph/source-fast.ts) against the full one (parseYaml): the same tree,
 * values and positions, wherever the fast one does not give up; and it reads every bundled file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARCHITECTURES_DIR } from '../../src/bundled.js';
import { buildModel } from '../../src/graph/build.js';
import { ModelError } from '../../src/graph/diagnostics.js';
import { parseYamlFast, plainScalarValue } from '../../src/graph/source-fast.js';
import { MAX_YAML_NODES } from '../../src/graph/source.js';
import { fastReaderMismatch } from './fast-reader.js';

const ROOT = new URL('../..', import.meta.url).pathname;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : yamlFiles(p);
    return /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

describe('the fast reader', () => {
  it('reads every bundled file, to the full reader tree', () => {
    for (const path of yamlFiles(ARCHITECTURES_DIR)) {
      const text = readFileSync(path, 'utf8');
      expect(parseYamlFast(text), path).toBeDefined();
      expect(fastReaderMismatch(text), path).toBeUndefined();
    }
  });

  it('gives the full reader tree for every YAML file of the repository (examples, tests, docs)', () => {
    const files = ['examples', 'test', 'docs', 'schema', 'bench'].flatMap((d) => yamlFiles(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(5);
    for (const path of files) expect(fastReaderMismatch(readFileSync(path, 'utf8')), path).toBeUndefined();
  });

  it('types plain scalars as the core schema does', () => {
    const cases: [string, unknown][] = [
      ['~', null],
      ['Null', null],
      ['NULL', null],
      ['nULL', 'nULL'],
      ['True', true],
      ['FALSE', false],
      ['tRUE', 'tRUE'],
      ['012', 12],
      ['-0', -0],
      ['+7', 7],
      ['0o17', 15],
      ['0x1F', 31],
      ['-0x1F', '-0x1F'],
      ['1_000', '1_000'],
      ['1e3', 1000],
      ['.5', 0.5],
      ['1.', 1],
      ['-.Inf', -Infinity],
      ['.NaN', NaN],
      ['.nAn', '.nAn'],
      ['9007199254740993', 9007199254740992],
    ];
    for (const [text, value] of cases) expect(Object.is(plainScalarValue(text), value), text).toBe(true);
  });

  it('agrees on the edges of its subset: empty values, indentless lists, flow forms, quotes, keys that are numbers', () => {
    const texts = [
      '',
      '# only a comment\n',
      'a:\nb: 1\n',
      'a:    \n',
      '- \n- x\n-\n',
      '{a: , b}\n',
      '[a, ]\n',
      'a: {x: }\n',
      'a: [  ]\n',
      'a:\n- 1\n- - 2\n  - 3\nb: 2\n',
      'a:\n\n  # c\n  b: 2\n',
      "\"a\": 'it''s'\n",
      'a: [1,\n  2]\n',
      'x: 1 # c\ny: a#b\n',
      '1: a\n0x10: b\ntrue: c\n~: d\n',
      'a : b\n',
      'url: http://example.com/a\n',
      '- a: 1\n  b: [x, {y: z}]\n- c\n',
      'text: a, b [c] {d}\n',
      'x: -1\ny: -.inf\n',
      '- [a,\n  b]\n',
      '  a: 1\n  b: 2\n',
      'params:   # the knobs\n  depth: 50\nlayers: # the list\n- # first\n  relu\n',
    ];
    for (const text of texts) {
      expect(parseYamlFast(text), JSON.stringify(text)).toBeDefined();
      expect(fastReaderMismatch(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('gives up on what only the full reader reads, or refuses', () => {
    const texts = [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: |\n  text\n',
      '---\na: 1\n',
      'a: 1\n---\nb: 2\n',
      'a: "x\\ty"\n',
      'a: b\n  c\n',
      '? a\n: b\n',
      'a: 1\na: 2\n',
      'a:\tb\n',
      'a: 1\r\n',
      'a: b: c\n',
      '[a]: b\n',
      'a: [1, 2\n',
      '{a:1}\n',
      'a: "x\n  y"\n',
      'a:\n  b: 1\n c: 2\n',
      'a: 1 #c\n  b: 2\n',
    ];
    for (const text of texts) expect(parseYamlFast(text), JSON.stringify(text)).toBeUndefined();
  });

  it('gives up past the node budget and the nesting limit, where the full reader reports', () => {
    expect(parseYamlFast(`${'['.repeat(202)}${']'.repeat(202)}\n`)).toBeUndefined();
    expect(parseYamlFast(`${'['.repeat(150)}${']'.repeat(150)}\n`)).toBeDefined();
    expect(parseYamlFast(`- 1\n`.repeat(MAX_YAML_NODES + 1))).toBeUndefined();
  });

  it('agrees on generated texts: YAML-like token soup', () => {
    const fragment = fc.constantFrom(
      ...['- ', '-', 'a', 'b1', 'key', ': ', ':', ' :', '[', ']', '{', '}', ', ', ',', '"x"', "'y'", "'it''s'", '"a\\"b"'],
      ...[' #c', '#c', ' ', '  ', '1', '-2', '0x1F', '0o7', '1e3', '.inf', '.NaN', 'null', '~', 'true', 'False', '1.5', '+3'],
      ...['&x ', '*x', '!t ', '|', '>', '? ', '---', '...', '%', 'http://a', 'a b', '\t', '"', "'", '<<', 'é', '\r', '`', '@'],
    );
    const line = fc.tuple(fc.nat({ max: 6 }), fc.array(fragment, { maxLength: 6 })).map(([n, fs]) => ' '.repeat(n) + fs.join(''));
    const text = fc.array(line, { maxLength: 8 }).map((ls) => `${ls.join('\n')}\n`);
    let read = 0;
    fc.assert(
      fc.property(text, (t) => {
        expect(fastReaderMismatch(t), JSON.stringify(t)).toBeUndefined();
        if (parseYamlFast(t) !== undefined) read++;
      }),
      { seed: 13, numRuns: 20_000 },
    );
    // The property says something only where the fast reader reads: a fifth of the soup does.
    expect(read).toBeGreaterThan(3_000);
  });

  it('agrees on generated texts: trees written in block and flow styles, comments and blank lines', () => {
    const scalar = fc.constantFrom(
      'a',
      'b c',
      '1',
      '-2',
      '0x1F',
      '1.50',
      '.inf',
      'null',
      '~',
      'True',
      '"q: r"',
      "'s''t'",
      '""',
      'x#y',
      '${a + b}',
      'é',
    );
    const key = fc.constantFrom('a', 'b', 'conv', '1', '010', 'true', '"q"', "'r s'", 'x-y', 'k.1');
    type Tree = { scalar: string } | { seq: Tree[]; flow: boolean } | { map: [string, Tree][]; flow: boolean };
    const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        scalar.map((s) => ({ scalar: s })),
        fc.record({ seq: fc.array(tie('tree'), { maxLength: 4 }), flow: fc.boolean() }),
        fc.record({ map: fc.uniqueArray(fc.tuple(key, tie('tree')), { maxLength: 4, selector: ([k]) => k }), flow: fc.boolean() }),
      ),
    }));
    const style = fc.record({
      step: fc.integer({ min: 1, max: 4 }),
      indentless: fc.boolean(),
      comment: fc.constantFrom('', ' # c', '  #c'),
      blank: fc.constantFrom('', '\n', '\n  # between\n'),
      space: fc.constantFrom('', ' ', '  '),
    });
    type Style = typeof style extends fc.Arbitrary<infer S> ? S : never;
    const flowText = (t: Tree, s: Style): string => {
      if ('scalar' in t) return t.scalar;
      if ('seq' in t) return `[${s.space}${t.seq.map((x) => flowText(x, s)).join(`,${s.space || ' '}`)}${s.space}]`;
      return `{${s.space}${t.map.map(([k, v]) => `${k}: ${flowText(v, s)}`).join(', ')}${s.space}}`;
    };
    /** Lines of a block node at `indent`; an empty collection is written in flow style. */
    const blockLines = (t: Tree, indent: number, s: Style): { inline?: string; lines?: string[] } => {
      if ('scalar' in t || t.flow || ('seq' in t ? t.seq.length === 0 : t.map.length === 0)) return { inline: flowText(t, s) };
      const pad = ' '.repeat(indent);
      const out: string[] = [];
      const child = (v: Tree, head: string, childIndent: number) => {
        const b = blockLines(v, childIndent, s);
        if (b.inline !== undefined) out.push(`${head} ${b.inline}${s.comment}`);
        else out.push(`${head}${s.comment}`, ...b.lines!);
      };
      if ('seq' in t) for (const v of t.seq) child(v, `${pad}-`, indent + s.step);
      else
        for (const [k, v] of t.map) {
          const indentlessSeq = s.indentless && 'seq' in v && !v.flow && v.seq.length > 0;
          child(v, `${pad}${k}:`, indentlessSeq ? indent : indent + s.step);
          if (s.blank) out.push(...s.blank.slice(1).split('\n').filter(Boolean));
        }
      return { lines: out };
    };
    let read = 0;
    fc.assert(
      fc.property(tree, style, (t, s) => {
        const b = blockLines(t, 0, s);
        const text = `${b.inline ?? b.lines!.join('\n')}\n`;
        expect(fastReaderMismatch(text), text).toBeUndefined();
        if (parseYamlFast(text) !== undefined) read++;
      }),
      { seed: 13, numRuns: 5_000 },
    );
    expect(read).toBeGreaterThan(3_500);
  });
});

describe('building through the fast reader', () => {
  it('reports every problem as the full reader does: the build is redone on its tree', () => {
    const text = 'input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n  - relu\n';
    expect(parseYamlFast(text)).toBeDefined();
    expect(() => buildModel(text, { file: 'm.yaml' })).toThrow(ModelError);
    try {
      buildModel(text, { file: 'm.yaml' });
    } catch (e) {
      expect((e as ModelError).message).toMatch(/^m\.yaml:3:\d+: error: /);
    }
  });
});
