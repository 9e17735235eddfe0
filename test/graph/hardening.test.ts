/**
 * Issue 10, the YAML front end: every input ends in a report or in one-line positioned errors
 * (one per problem), in time linear in the model, whatever it nests, repeats or echoes.
 */
import { describe, expect, it } from 'vitest';
import { parseSets } from '../../src/cli/load.js';
import { buildGraph, ModelError } from '../../src/graph/build.js';
import { escapeUnprintable, formatDiagnostic } from '../../src/graph/diagnostics.js';
import { evaluate, ExprError, MAX_EXPR_DEPTH, parseExpression, type Value } from '../../src/graph/expr.js';
import { cli } from '../cli/run.js';
import { thrown } from '../thrown.js';

/** The error lines of a file that must not build, as the CLI prints them. */
function errorsOf(yaml: string, options: Partial<Parameters<typeof buildGraph>[1]> = {}): string[] {
  const e = thrown(() => buildGraph(yaml, { file: 'm.yaml', ...options }));
  expect(e).toBeInstanceOf(ModelError);
  return (e as ModelError).diagnostics.map(formatDiagnostic);
}

const model = (layers: string, params = '') => `input: [1, 4, 4]\n${params}layers:\n${layers}`;

/** Seconds `fn` takes. */
function seconds(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

describe('#3 a --set value that contains itself', () => {
  it('is refused by parseSets in one line', () => {
    const e = thrown(() => parseSets(['cfg=&a [*a]']));
    expect(e.message).toBe('--set cfg=&a [*a]: alias *a is inside the value it names: a value cannot contain itself');
  });

  it.each([
    ['vgg16', 'cfg=&a [*a]'],
    ['lecture/padding_stride', 'stride=&a [*a]'],
    ['lecture/padding_stride', 'stride=&a {x: [1, *a]}'],
  ])('%s --set %s exits 2 with one line', async (name, set) => {
    const r = await cli(['analyze', name, '--set', set]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cnnscope: error: --set .*: alias \*a is inside the value it names: a value cannot contain itself\n$/);
  });

  it('reads --set values under the model file limits, types kept', () => {
    expect(parseSets(['a=101', 'b=true', 'c=[1, 2]', 'd=', 'e={x: 1}', 'f=&x [1, *x]'.replace('*x', '2')])).toEqual({
      a: 101,
      b: true,
      c: [1, 2],
      d: null,
      e: { x: 1 },
      f: [1, 2],
    });
    // An alias of an earlier value is a copy, not a cycle.
    expect(parseSets(['g=[&x [1], *x]'])).toEqual({ g: [[1], [1]] });
    expect(thrown(() => parseSets([`h=${'['.repeat(300)}${']'.repeat(300)}`])).message).toMatch(
      /: the YAML is nested more than 200 levels deep; refusing it$/,
    );
    expect(thrown(() => parseSets(['i=[1, 2'])).message).toBe('--set i=[1, 2: the value is not valid YAML');
    expect(thrown(() => parseSets(['i=[1,\u2028 2'])).message).toBe('--set i=[1,\\u2028 2: the value is not valid YAML');
  });
});

describe('#4 expression nesting', () => {
  const tooDeep = `the expression nests more than ${MAX_EXPR_DEPTH} levels deep; refusing it`;
  const nested: [string, (n: number) => string, Value][] = [
    ['parentheses', (n) => `${'('.repeat(n)}4${')'.repeat(n)}`, 4],
    ['lists', (n) => `len(${'['.repeat(n)}4${']'.repeat(n)})`, 1],
    ['calls', (n) => `${'abs('.repeat(n)}4${')'.repeat(n)}`, 4],
    ['unary minus', (n) => `${'-'.repeat(2 * n)}4`, 4],
    ['negations', (n) => `${'!'.repeat(2 * n)}true ? 4 : 0`, 4],
    ['powers', (n) => `${'1 ** '.repeat(n)}4`, 1],
    ['a chain of sums', (n) => `${'1 + '.repeat(n)}4`, 64],
    ['conditionals', (n) => `${'false ? 0 : '.repeat(n)}4`, 4],
    ['indexing', (n) => `${'['.repeat(n)}4${']'.repeat(n)}${'[0]'.repeat(n)}`, 4],
  ];

  it.each(nested)('%s: evaluated within the limit', (_, make, value) => {
    expect(evaluate(parseExpression(make(60)), () => undefined)).toBe(value);
  });

  it.each(nested)('%s: 2,000 and 50,000 levels are a positioned error, never a stack overflow', (_, make) => {
    for (const n of [2_000, 50_000]) {
      const e = thrown(() => parseExpression(make(n)));
      expect(e).toBeInstanceOf(ExprError);
      expect((e as ExprError).message).toBe(tooDeep);
    }
  });

  it('names the file, line, column and layer, quoting a long expression by its start', () => {
    const [e, ...rest] = errorsOf(model(`  - conv: {out: "\${${'('.repeat(2000)}4${')'.repeat(2000)}}", kernel: 1}\n`));
    expect(rest).toEqual([]);
    expect(e).toBe(`m.yaml:3:220: error: layer '0' (conv): in "\${${'('.repeat(78)}"...: ${tooDeep}`);
  });

  it('50,000 levels through the CLI: exit 2, one line', async () => {
    const r = await cli(['analyze', '-'], {
      stdin: model(`  - conv: {out: "\${${'('.repeat(50000)}1${')'.repeat(50000)}}", kernel: 1}\n`),
    });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toContain(tooDeep);
  });
});

describe('#5 functions over long lists, and values built to explode', () => {
  const long = (n: number): string => `params: {xs: [${Array.from({ length: n }, (_, i) => i % 7).join(', ')}]}\n`;

  it('max, min and len take a list of 130,000 items (and more)', () => {
    const g = buildGraph(model('  - conv: {out: "${max(xs) + min(xs) + len(xs) - 13000}", kernel: 1}\n', long(13_000)), { file: 'm.yaml' });
    expect(g.nodes[1].outputShape).toEqual([6, 4, 4]);
    // Spreading the list into Math.max's arguments overflowed the stack past about 120,000 items.
    const xs = Array.from({ length: 500_000 }, (_, i) => i % 7);
    expect(evaluate(parseExpression('[max(xs), min(xs), len(xs)]'), (n) => (n === 'xs' ? xs : undefined))).toEqual([6, 0, 500_000]);
  });

  it('keeps Math.max and Math.min answers', () => {
    const ev = (src: string, vars: Record<string, Value> = {}) => evaluate(parseExpression(src), (n) => vars[n]);
    expect(ev('max(3, 9, 2)')).toBe(9);
    expect(ev('min(xs)', { xs: [3, -1, 2] })).toBe(-1);
    expect(Object.is(ev('min(0, -0)'), -0)).toBe(true);
    expect(() => ev('max(xs)', { xs: [] })).toThrow('max needs at least one number');
  });

  it('refuses text doubled through params, at the expression', () => {
    const params = Array.from({ length: 24 }, (_, i) => `  p${i + 1}: "\${p${i} + p${i}}"\n`).join('');
    const [e, ...rest] = errorsOf(model('  - relu\n', `params:\n  p0: "xxxxxxxxxx"\n${params}`));
    expect(rest).toEqual([]);
    expect(e).toMatch(/^m\.yaml:20:\d+: error: in "\$\{p16 \+ p16\}": the text is longer than 1,000,000 characters; refusing it$/);
  });

  it('refuses lists doubled through params, in an expression or in YAML', () => {
    const inExpr = Array.from({ length: 30 }, (_, i) => `  p${i + 1}: "\${[p${i}, p${i}]}"\n`).join('');
    expect(errorsOf(model('  - relu\n', `params:\n  p0: 1\n${inExpr}`))).toEqual([
      'm.yaml:22:11: error: in "${[p18, p18]}": the value holds more than 1,000,000 items (a list used twice counts twice); refusing it',
    ]);
    const inYaml = Array.from({ length: 30 }, (_, i) => `  p${i + 1}: ["\${p${i}}", "\${p${i}}"]\n`).join('');
    expect(errorsOf(model('  - relu\n', `params:\n  p0: 1\n${inYaml}`))).toEqual([
      'm.yaml:22:8: error: the value holds more than 1,000,000 items (a list used twice counts twice); refusing it',
    ]);
  });

  it('bounds the list work a repeat multiplies, and lets small lists be', () => {
    const params = Array.from({ length: 12 }, (_, i) => `  p${i + 1}: "\${[p${i}, p${i}]}"\n`).join('');
    const [e, ...rest] = errorsOf(model('  - relu: {repeat: 100000, if: "${p12 == p12}"}\n', `params:\n  p0: 1\n${params}`));
    expect(rest).toEqual([]);
    expect(e).toMatch(
      /^m\.yaml:17:39: error: layer '#\d+' \(relu\): in "\$\{p12 == p12\}": the model's expressions go through more than 20,000,000 list items in all; refusing it \(and [\d,]+ more times\)$/,
    );
    const g = buildGraph(model('  - relu: {repeat: 100000, if: "${in.shape == [1, 4, 4] && max(in.shape) == 4}"}\n'), { file: 'm.yaml' });
    expect(g.nodes).toHaveLength(100_001);
  });

  it('refuses a value nested past 200 levels through params', () => {
    const params = Array.from({ length: 250 }, (_, i) => `  p${i + 1}: ["\${p${i}}"]\n`).join('');
    expect(errorsOf(model('  - relu\n', `params:\n  p0: 1\n${params}`))).toEqual([
      'm.yaml:204:9: error: the value nests more than 200 levels deep; refusing it',
    ]);
  });
});

describe('#8 generated names in linear time', () => {
  it('names unnamed sums add, add_1, ... around names taken by the user', () => {
    const g = buildGraph(
      model(
        '  - relu: {name: add_1}\n  - residual: {repeat: 3, body: [relu]}\n  - concat: {branches: [[], []]}\n  - concat: {branches: [[], []]}\n',
      ),
      { file: 'm.yaml' },
    );
    expect(g.nodes.map((n) => n.name)).toEqual(['input', 'add_1', '0', 'add', '1', 'add_2', '2', 'add_3', 'concat', 'concat_1']);
  });

  it('builds 20,000 unnamed residuals (40,001 layers) in seconds', () => {
    let nodes = 0;
    const took = seconds(() => {
      nodes = buildGraph(model('  - residual: {repeat: 20000, body: [relu]}\n'), { file: 'm.yaml' }).nodes.length;
    });
    expect(nodes).toBe(40_001);
    // It took 45 s when each name scanned add, add_1, ... from the start; about 1 s now.
    expect(took).toBeLessThan(15);
  });
});

describe('#9 unresolved inputs in a repeat', () => {
  it('is reported once, with the number of copies, in linear time', () => {
    let errors: string[] = [];
    const took = seconds(() => {
      errors = errorsOf(model('  - relu: {inputs: nope, repeat: 8000}\n'));
    });
    expect(errors).toEqual(["m.yaml:3:20: error: layer '#0' (relu): no layer named 'nope' (and 7,999 more times)"]);
    // It took 35 s (150 s on a loaded machine).
    expect(took).toBeLessThan(10);
  });

  it('still tells a cycle from a typo, with suggestions', () => {
    expect(errorsOf(model('  - relu: {name: a, inputs: b}\n  - relu: {name: b}\n  - relu: {inputs: blocks.x.b}\n'))).toEqual([
      "m.yaml:3:29: error: layer 'a' (relu): input 'b' is defined after this layer (line 4): a layer may only read earlier layers, so this would make a cycle",
      "m.yaml:5:20: error: layer '#0' (relu): no layer named 'blocks.x.b'",
    ]);
    expect(errorsOf(model('  - relu: {name: conv1}\n  - relu: {inputs: conv2}\n'))).toEqual([
      "m.yaml:4:20: error: layer '#0' (relu): no layer named 'conv2' (did you mean 'conv1'?)",
    ]);
  });
});

describe('#17 a model of no layers', () => {
  it.each([
    ['layers: []', 'input: [1, 4, 4]\nlayers: []\n', "'layers' is empty"],
    [
      'every layer if: false',
      model('  - relu: {if: false}\n  - conv: {out: 4, kernel: 1, if: false}\n'),
      "every entry is skipped ('if' false or 'repeat' 0)",
    ],
    ['repeat: 0', model('  - relu: {repeat: 0}\n'), "every entry is skipped ('if' false or 'repeat' 0)"],
  ])('%s is a positioned error', (_, yaml, why) => {
    expect(errorsOf(yaml)).toEqual([`m.yaml:2:1: error: the model has no layers: ${why}`]);
  });

  it('exits 2, with no JSON', async () => {
    const r = await cli(['analyze', '-', '--json'], { stdin: model('  - relu: {if: false}\n') });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: "<stdin>:2:1: error: the model has no layers: every entry is skipped ('if' false or 'repeat' 0)\n",
    });
  });
});

describe('#18 one line per problem, naming the layer', () => {
  it.each([
    ['if', '  - relu: {repeat: 3, if: "${j}"}\n', `m.yaml:3:30: error: layer '#0' (relu): in "\${j}": unknown name 'j' (and 2 more times)`],
    [
      'if, not a boolean',
      '  - relu: {if: [1, 2], repeat: 3}\n',
      "m.yaml:3:16: error: layer '#0' (relu): 'if' must be true or false, got [1, 2] (and 2 more times)",
    ],
    ['repeat', '  - relu: {repeat: [3]}\n', "m.yaml:3:20: error: layer '#0' (relu): 'repeat' must be an integer >= 0, got [3]"],
    [
      'name',
      '  - relu: {repeat: 3, name: [1, 2]}\n',
      "m.yaml:3:29: error: layer '#0' (relu): 'name' must be text without spaces, got [1, 2]",
    ],
    [
      'name with i',
      '  - relu: {repeat: 3, name: "r${i}${j}"}\n',
      `m.yaml:3:37: error: layer 'r\${i}\${j}' (relu): in "r\${i}\${j}": unknown name 'j'`,
    ],
    [
      'output',
      '  - relu: {repeat: 3, output: "${j}"}\n',
      `m.yaml:3:34: error: layer '0' (relu): in "\${j}": unknown name 'j' (and 2 more times)`,
    ],
    [
      'inputs',
      '  - relu: {repeat: 3, inputs: 5}\n',
      "m.yaml:3:31: error: layer '#0' (relu): 'inputs' must be a layer name or a list of layer names, got 5 (and 2 more times)",
    ],
    ['unknown kind', '  - relux: {repeat: 3}\n', "m.yaml:3:5: error: layer '#0' (relux): unknown layer kind 'relux' (did you mean 'relu'"],
    [
      'inside a repeat group',
      '  - conv: {name: c, repeat: 4096, inputs: input, out: "${j}", kernel: 1}\n',
      `m.yaml:3:58: error: layer 'c.0' (conv): in "\${j}": unknown name 'j' (and 4,095 more times)`,
    ],
    [
      'a residual argument',
      '  - residual: {body: [relu], stride: 2, repeat: 3}\n',
      "m.yaml:3:30: error: layer '(residual)' (residual): unknown argument 'stride' ('residual' takes: body, shortcut, name, inputs, repeat, if, output) (and 2 more times)",
    ],
  ])('%s', (_, layers, line) => {
    const errors = errorsOf(model(layers));
    expect(errors).toHaveLength(1);
    expect(errors[0].slice(0, line.length)).toBe(line);
  });

  it('a block called twice with an error inside reports it once', () => {
    const yaml = 'input: [1, 4, 4]\nblocks:\n  b:\n    layers: [{conv: {out: "${j}", kernel: 1}}]\nlayers: [b, {b: {inputs: input}}]\n';
    expect(errorsOf(yaml)).toEqual([`m.yaml:4:30: error: layer '0.0' (conv): in "\${j}": unknown name 'j' (and 1 more time)`]);
  });

  it('a malformed nested flow list with a comment: no line twice', async () => {
    const stdin = model(`  - relu: {p: ${'['.repeat(90)} # c\n${']'.repeat(90)}}\n`);
    const r = await cli(['analyze', '-'], { stdin });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(new Set(lines).size).toBe(lines.length);
  });

  it('a name behind a failed input makes no bogus duplicate', () => {
    expect(
      errorsOf(model('  - conv: {out: "${j}", kernel: 1}\n  - relu: {name: "r${in.c}", repeat: 3}\n  - relu: {name: [1], repeat: 2}\n')),
    ).toEqual([`m.yaml:3:20: error: layer '0' (conv): in "\${j}": unknown name 'j'`]);
  });
});

describe('#19 user text stays on one line', () => {
  it('escapes control characters, separators and bidirectional controls', () => {
    expect(escapeUnprintable('a\rb\nc\td\u0000e\u007f\u0085f\u2028g\u2029h\u202ei\u2066j é ü 中')).toBe(
      'a\\rb\\nc\\td\\u0000e\\u007f\\u0085f\\u2028g\\u2029h\\u202ei\\u2066j é ü 中',
    );
  });

  it.each([
    ['a key', '  - conv: {out: 1, kernel: 1, "ker\\rnel": 1}\n', "m.yaml:3:31: error: layer '0' (conv): unknown argument 'ker\\rnel'"],
    [
      'a name',
      '  - relu: {name: "a\\u2028b"}\n',
      `m.yaml:3:18: error: layer 'a\\u2028b' (relu): 'name' must be text without spaces, got "a\\u2028b"`,
    ],
    ['a kind', '  - "re\\u2029lu"\n', "m.yaml:3:5: error: layer '#0' (re\\u2029lu): unknown layer kind 're\\u2029lu'"],
    ['an input', '  - relu: {inputs: "x\\ry"}\n', "m.yaml:3:20: error: layer '#0' (relu): no layer named 'x\\ry'"],
  ])('in %s', (_, layers, start) => {
    const [e, ...rest] = errorsOf(model(layers));
    expect(rest).toEqual([]);
    expect(e.startsWith(start)).toBe(true);
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    expect(e).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it('in the file name and a --set', async () => {
    expect(formatDiagnostic({ file: 'a\nb.yaml', pos: { line: 1, col: 1 }, message: 'm' })).toBe('a\\nb.yaml:1:1: error: m');
    const r = await cli(['analyze', 'lecture/padding_stride', '--set', 'no\u2028pe=1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--set no\\u2028pe: the model has no parameter 'no\\u2028pe'");
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('#22 YAML nested thousands of levels deep', () => {
  it.each([
    ['flow lists', (n: number) => model(`  - relu: {p: ${'['.repeat(n)}${']'.repeat(n)}}\n`), 10_000],
    ['flow maps', (n: number) => model(`  - relu: {p: ${'{a: '.repeat(n)}1${'}'.repeat(n)}}\n`), 10_000],
    // Indented n levels deep, the text grows as n squared: 3,000 levels are 9 MB.
    [
      'block maps',
      (n: number) => model(`  - relu:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 4)}k:\n`).join('')}${' '.repeat(n + 4)}1\n`),
      3_000,
    ],
    ['compact block lists', (n: number) => model(`  - relu:\n      p:\n        ${'- '.repeat(n)}1\n`), 10_000],
  ])('%s: the documented message, once', async (_, make, most) => {
    for (const n of [300, 2_800, most]) {
      const r = await cli(['analyze', '-'], { stdin: make(n) });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^<stdin>:\d+:\d+: error: the YAML is nested more than 200 levels deep; refusing it\n$/);
    }
  });
});

describe('the model name', () => {
  // Found by a 100,000-case campaign (seed 2026): `name: ""` gave `check --json` a model its schema refuses.
  it.each(['""', "'  '"])('%s is refused: a report, diff or budget keys the model by it', (name) => {
    expect(errorsOf(`name: ${name}\n${model('  - relu\n')}`)).toEqual(["m.yaml:1:7: error: 'name' must be non-empty text"]);
  });
});
