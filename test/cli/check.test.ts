/**
 * `cnnscope check` through the CLI: every exit code, every format (golden files for the small
 * models of test/fixtures/check), the GitHub annotations' positions, JUnit that parses as XML,
 * and the budget file of examples/ci over the bundled zoo.
 *
 * UPDATE_GOLDEN=1 rewrites the golden files from the current output.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYamlText } from 'yaml';
import { bundledModels } from '../../src/index.js';
import { cli, modelFile } from './run.js';

const fixtures = resolve('test/fixtures/check');
const goldenDir = join(fixtures, 'golden');
const inFixtures = (argv: string[], options: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}) => cli(argv, { cwd: fixtures, ...options });
const fixtureArgs = ['small.yaml', 'pass.yaml', 'plain.yaml', '--budget', 'budget.yaml'];

function golden(name: string, actual: string): void {
  const path = join(goldenDir, name);
  if (process.env['UPDATE_GOLDEN']) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const tiny = (expectYaml: string, name = 'tiny') => `name: ${name}
input: [3, 8, 8]
layers:
  - conv: {name: c1, out: 4, kernel: 3}
  - relu
  - global_avgpool
  - flatten
  - linear: {name: fc, out: 10}
${expectYaml}`;
// conv 4*3*9+4 = 112 params, linear 4*10+10 = 50: 162 params; MACs 4*6*6*27 + 40 = 3,928; field 3.

describe('cnnscope check: exit codes', () => {
  it('exits 0 when every expectation holds', async () => {
    const r = await cli(['check', modelFile(tiny('expect:\n  params: 162\n  macs: {max: 4K}\n  output: [N, 10]\n'))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ tiny params 162 = 162 \(.*:10:3\)$/m);
    expect(r.stdout).toMatch(/^✓ tiny macs 3,928 <= max 4K \(.*:11:10\)$/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('3 expectations in 1 model, 0 failed');
  });

  it('exits 1 when one fails, listing failures first', async () => {
    const r = await cli(['check', modelFile(tiny('expect:\n  params: {max: 100}\n  receptive_field: {min: 400}\n  output: [N, 10]\n'))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^✗ tiny params 162 > max 100 \(.*:10:12\)$/);
    expect(lines[1]).toMatch(/^✗ tiny receptive_field 3 < min 400 \(.*:11:21\)$/);
    expect(lines[2]).toMatch(/^✓ tiny output \[1, 10\] = \[N, 10\]/);
    expect(lines[3]).toBe('3 expectations in 1 model, 2 failed');
  });

  it('exits 0 for a file without expectations, saying so', async () => {
    const r = await cli(['check', 'architectures/lecture/bottleneck.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '- lecture-bottleneck: no expectations (architectures/lecture/bottleneck.yaml)\n0 expectations in 1 model, 0 failed (1 model without expectations)\n',
    );
  });

  it('--strict fails a model without expectations', async () => {
    const r = await cli(['check', 'architectures/lecture/bottleneck.yaml', '--strict']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ lecture-bottleneck: no expectations');
    expect(r.stdout).toContain('failing under --strict');
  });

  it('exits 2 for an invalid model, with the other models still checked', async () => {
    const bad = modelFile('name: bad\ninput: [3, 8, 8]\nlayers:\n  - conv2d: {out: 4, kernel: 3}\n');
    const good = modelFile(tiny('expect: {params: 162}\n'));
    const r = await cli(['check', good, bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('✓ tiny params 162 = 162');
    expect(r.stderr).toMatch(
      new RegExp(
        `^${escape(bad)}:4:5: error: layer '#0' \\(conv2d\\): unknown layer kind 'conv2d' \\(did you mean 'conv'\\?\\)[^\\n]*\\n$`,
      ),
    );
  });

  it('exits 2 for misuse, with one line', async () => {
    for (const argv of [
      ['check'],
      ['check', 'resnet50', '--format', 'xml'],
      ['check', 'resnet50', '--json', '--format', 'csv'],
      ['check', 'no-such-model'],
      ['check', 'missing/*.yaml'],
      ['check', 'resnet50', '--budget', 'missing.yaml'],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout, argv.join(' ')).toBe('');
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stderr, argv.join(' ')).toMatch(/^cnnscope: error: /);
    }
  });

  it('documents the exit codes and formats in --help', async () => {
    const r = await cli(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Exit codes: 0 every expectation holds, 1 one failed, 2 an input is invalid');
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(
      'table (default), json, markdown, csv, github (workflow annotations) or junit (JUnit XML)',
    );
  });
});

describe('cnnscope check: invalid expectations are model errors (exit 2, file:line:col)', () => {
  const cases: [string, string][] = [
    ['expect:\n  parms: {max: 1M}\n', "10:3: error: unknown key 'parms' in expectations (did you mean 'params'?)"],
    ['expect:\n  params: {max: 25X}\n', "10:17: error: 'params': unknown unit 'X' in '25X'"],
    ['expect:\n  weight_bytes: {max: 512MB}\n', "10:23: error: 'weight_bytes': '512MB' is ambiguous for bytes"],
    ['expect:\n  params: {max: 1MiB}\n', "10:17: error: 'params': '1MiB': params is a count, not bytes"],
    ['expect:\n  macs: {min: 5G, max: 1G}\n', "10:10: error: 'macs': min 5G is above max 1G"],
    ['expect:\n  params: 1.5\n', "10:11: error: 'params' bound must be a whole number >= 0, got 1.5"],
    ['expect:\n  params: 1.2345K\n', "10:11: error: 'params': '1.2345K' is not a whole number (1234.5)"],
    ['expect:\n  params: {maximum: 1M}\n', "10:12: error: unknown key 'maximum' in 'params' (did you mean 'max'?)"],
    ['expect:\n  output: [1000]\n', "10:11: error: 'output' must be a shape with the batch"],
    ['expect:\n  dtype: fp64\n  params: 1\n', "10:10: error: 'dtype' must be one of fp32, fp16, bf16, int8, got 'fp64'"],
    ['expect:\n  batch: 8\n', '10:3: error: no expectations here: give at least one of params'],
    ['expect:\n  preset: big\n  params: 1\n', "10:11: error: no preset 'big' (presets: none)"],
  ];
  for (const [yaml, message] of cases) {
    it(message, async () => {
      const path = modelFile(tiny(yaml));
      const r = await cli(['check', path]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('0 expectations in 0 models, 0 failed\n');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0].startsWith(`${path}:${message}`), lines[0]).toBe(true);
    });
  }

  it('an output name the model does not have', async () => {
    const path = modelFile(tiny('expect:\n  outputs: {fc2: [N, 10]}\n'));
    const r = await cli(['check', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${path}:10:13: error: model 'tiny' has no output 'fc2' (did you mean 'fc'?) (outputs: fc)\n`);
  });

  it('the same problems in a budget file, before anything is checked', async () => {
    const budget = modelFile('budgets:\n  - models: resnet50\n    expect: {params: {max: 30MB}}\n  - models: vgg16\n    expet: {}\n');
    const r = await cli(['check', 'resnet50', '--budget', budget]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${escape(budget)}:3:28: error: 'params': '30MB': params is a count, not bytes`)),
      `${budget}:4:5: error: a budget entry needs 'expect': the expectations its models must meet`,
      `${budget}:5:5: error: unknown key 'expet' in a budget entry (did you mean 'expect'?) (valid: models, preset, set, input, batch, dtype, optimizer, expect)`,
      '3 errors',
    ]);
  });

  it("a budget's preset or parameter the model does not have, at the budget's line", async () => {
    const budget = modelFile("budgets:\n  - models: 'architectures/resnet.yaml'\n    set: {dept: 101}\n    expect: {params: {max: 50M}}\n");
    const r = await cli(['check', 'architectures/resnet.yaml', '--budget', budget]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^${escape(budget)}:3:11: error: 'set': architectures/resnet.yaml has no parameter 'dept' \\(did you mean 'depth'\\?\\)`),
    );
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('cnnscope check: formats (golden files)', () => {
  const formats: [string, string][] = [
    ['table', 'small.txt'],
    ['json', 'small.json'],
    ['markdown', 'small.md'],
    ['csv', 'small.csv'],
    ['github', 'small.github.txt'],
    ['junit', 'small.junit.xml'],
  ];
  for (const [format, file] of formats) {
    it(format, async () => {
      const r = await inFixtures(['check', ...fixtureArgs, '--format', format]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      golden(file, r.stdout);
    });
  }

  it('--json is --format json', async () => {
    const a = await inFixtures(['check', ...fixtureArgs, '--json']);
    const b = await inFixtures(['check', ...fixtureArgs, '--format', 'json']);
    expect(a.stdout).toBe(b.stdout);
    const report = JSON.parse(a.stdout);
    expect(report.schema).toBe('cnnscope.check/1');
    expect(report.summary).toMatchObject({ models: 3, expectations: 14, failed: 3, models_without_expectations: 1 });
  });

  it('--quiet leaves out what passed', async () => {
    const r = await inFixtures(['check', ...fixtureArgs, '--quiet']);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('✓'))).toEqual([]);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('✗'))).toHaveLength(3);
  });

  it('colours only a TTY, and never with NO_COLOR', async () => {
    const tty = await inFixtures(['check', ...fixtureArgs], { tty: true, env: {} });
    expect(tty.stdout).toContain('\u001b[');
    const noColor = await inFixtures(['check', ...fixtureArgs], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
    expect(noColor.stdout).toBe((await inFixtures(['check', ...fixtureArgs])).stdout);
  });
});

describe('cnnscope check: GitHub annotations', () => {
  it("point at the expectation's line and column", async () => {
    const r = await inFixtures(['check', ...fixtureArgs, '--format', 'github']);
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::error '));
    expect(annotations).toHaveLength(3);
    const written: string[] = [];
    for (const a of annotations) {
      const m = /^::error file=([^,]+),line=(\d+),col=(\d+),title=cnnscope check::(.+)$/.exec(a);
      expect(m, a).not.toBeNull();
      const [, file, line, col] = m!;
      const source = readFileSync(join(fixtures, file), 'utf8').split('\n')[Number(line) - 1];
      written.push(source.slice(Number(col) - 1));
    }
    expect(written).toEqual(['max: 5K}', 'max: 64KiB}', 'min: 32}']);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('cnnscope check: 14 expectations in 3 models, 3 failed (1 model without expectations)');
  });

  it('escape what workflow commands reserve, and annotate invalid inputs too', async () => {
    const path = modelFile(tiny('expect: {params: {max: 100}}\n', '"100%, really:\\nno"'));
    const r = await cli(['check', path, '--format', 'github']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::error file=');
    expect(r.stdout).toContain(',line=9,col=19,title=cnnscope check::100%25, really:%0Ano params 162 > max 100\n');
    const bad = modelFile(tiny('expect: {params: {max: 1MB}}\n'));
    const invalid = await cli(['check', bad, '--format', 'github']);
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toMatch(/^::error file=.*,line=9,col=24,title=cnnscope check::'params': '1MB': params is a count, not bytes/m);
  });
});

describe('cnnscope check: JUnit XML', () => {
  it('parses as XML: one suite per model, one case per expectation, failures with messages', async () => {
    const r = await inFixtures(['check', ...fixtureArgs, '--format', 'junit']);
    const root = parseXml(r.stdout);
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ tests: '15', failures: '3', skipped: '1' });
    expect(root.children.map((s) => [s.attrs['name'], s.children.length])).toEqual([
      ['small-net', 9],
      ['tiny-pass', 5],
      ['plain', 1],
    ]);
    const failures = root.children.flatMap((s) => s.children).flatMap((c) => c.children.filter((x) => x.name === 'failure'));
    expect(failures.map((f) => f.attrs['message'])).toEqual([
      'small-net params 5,418 > max 5K',
      'small-net peak_activation_bytes 131,072 (128 KiB) > max 64KiB',
      'small-net receptive_field 8 < min 32',
    ]);
  });

  it('escapes markup and control characters in names', async () => {
    const path = modelFile(tiny('expect: {params: {max: 100}}\n', '"a<b> & \\"c\\" \'d\' \\u0001 ]]>"'));
    const r = await cli(['check', path, '--format', 'junit']);
    const root = parseXml(r.stdout);
    const suite = root.children[0];
    expect(suite.attrs['name']).toBe('a<b> & "c" \'d\' \uFFFD ]]>');
    expect(suite.children[0].children[0].text).toContain('a<b> & "c"');
  });

  it('the parser in this test is strict', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a x="1 < 2"/>')).toThrow();
    expect(() => parseXml('<a>&nbsp;</a>')).toThrow();
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
    expect(() => parseXml('<a>\u0001</a>')).toThrow();
    expect(parseXml('<a x="&lt;&#10;">t&amp;<b/></a>')).toMatchObject({
      name: 'a',
      attrs: { x: '<\n' },
      text: 't&',
      children: [{ name: 'b' }],
    });
  });
});

describe('cnnscope check: many models', () => {
  it('expands globs and directories, accepts bundled names, checks each file once', async () => {
    const r = await cli([
      'check',
      'architectures/lecture/*.yaml',
      'architectures/lecture',
      'resnet50',
      'architectures/lecture/grouped.yaml',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.models.map((m: { model: string }) => m.model)).toEqual([
      'lecture-bottleneck',
      'lecture-conv3x3-256',
      'lecture-depthwise',
      'lecture-first-conv',
      'lecture-grouped',
      'lecture-padding-stride',
      'resnet50',
    ]);
  });

  it('reads a model from stdin with -', async () => {
    const r = await cli(['check', '-', '--format', 'csv'], { stdin: tiny('expect: {params: 162}\n') });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\r\n')[1]).toBe('pass,tiny,<stdin>,params,equal,162,162,<stdin>,9,10,3x8x8,1,fp32,sgd');
  });

  it('checks the whole zoo without a budget: every file passes with no expectations', async () => {
    const r = await cli(['check', 'architectures/**/*.yaml']);
    expect(r.code).toBe(0);
    // One model per file: every bundled file, whatever the zoo holds.
    const files = new Set(bundledModels().map((m) => m.path)).size;
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`0 expectations in ${files} models, 0 failed (${files} models without expectations)`);
  });

  it('builds a preset or a set of parameters that expectations name', async () => {
    const budget = modelFile(`budgets:
  - models: 'resnet{18,34}'
    expect: {output: [N, 1000]}
  - models: architectures/resnet.yaml
    set: {depth: 101, classes: 10}
    expect: {params: {min: 40M}, output: [N, 10]}
  - models: vgg16
    expect:
      - {input: [3, 64, 64], output: [N, 1000], macs: {max: 2G}}
      - {batch: 2, dtype: int8, weight_bytes: {max: 140MB}}
`);
    const ambiguous = await cli(['check', 'architectures/resnet.yaml', 'architectures/vgg.yaml', '--budget', budget]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(
      /^.*:10:53: error: 'weight_bytes': '140MB' is ambiguous for bytes .*: write 140MiB, or the exact number of bytes\n$/,
    );
    const fixed = modelFile(readFileSync(budget, 'utf8').replace('140MB', '140MiB'));
    const r = await cli(['check', 'architectures/resnet.yaml', 'architectures/vgg.yaml', '--budget', fixed, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    // The files' own builds (resnet, vgg) are not checked: every expectation names another build.
    expect(json.models.map((m: { model: string; expectations: number }) => [m.model, m.expectations])).toEqual([
      ['resnet18', 1],
      ['resnet34', 1],
      ['resnet (depth=101, classes=10)', 2],
      ['vgg16', 3],
    ]);
    const vgg = json.results.filter((x: { model: string }) => x.model === 'vgg16');
    expect(vgg.map((x: { input: number[]; batch: number; dtype: string }) => [x.input, x.batch, x.dtype])).toEqual([
      [[3, 64, 64], 1, 'fp32'],
      [[3, 64, 64], 1, 'fp32'],
      [[3, 224, 224], 2, 'int8'],
    ]);
    // int8 weights: one byte per parameter.
    expect(vgg[2].actual).toBe(138_357_544);
  });

  it('warns about a budget pattern that matches nothing checked', async () => {
    const budget = modelFile('budgets:\n  - models: resnt50\n    expect: {params: 1}\n');
    const r = await cli(['check', 'resnet50', '--budget', budget]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${budget}:2:13: warning: 'resnt50' matches no model checked here (did you mean 'resnet50'?)\n`);
  });
});

describe('examples/ci', () => {
  it('the budget file holds for the whole zoo', async () => {
    const r = await cli(['check', '--budget', 'examples/ci/budget.yaml', 'architectures/**/*.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ resnet50 params 25,557,032 (25.6M) = 25,557,032 (examples/ci/budget.yaml:');
    expect(r.stdout).toContain('✓ resnet50 receptive_field 427 >= min 400');
    expect(r.stdout).toContain('✓ resnet18 params 11,689,512 (11.7M) = 11,689,512');
    expect(r.stdout).toContain('✓ vgg16 params 138,357,544 (138M) = 138,357,544');
    expect(r.stdout).not.toContain('no expectations');
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ expectations in \d+ models, 0 failed$/);
  });

  it('the budget file alone checks the models it names', async () => {
    const a = await cli(['check', '--budget', 'examples/ci/budget.yaml', '--json']);
    const b = await cli(['check', '--budget', 'examples/ci/budget.yaml', 'architectures/**/*.yaml', '--json']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout).summary).toEqual(JSON.parse(b.stdout).summary);
  });

  it('a model over budget fails the check', async () => {
    const budget = readFileSync('examples/ci/budget.yaml', 'utf8').replace('params: 25557032', 'params: {max: 20M}');
    const r = await cli(['check', '--budget', modelFile(budget), 'resnet50', '--format', 'github']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=.*,line=25,col=16,title=cnnscope check::resnet50 params 25,557,032 \(25.6M\) > max 20M$/m);
  });

  it('the workflow runs cnnscope check with the budget file', () => {
    const workflow = parseYamlText(readFileSync('examples/ci/cnnscope.yml', 'utf8')) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    const runs = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ''));
    expect(runs.some((r) => r.includes('check --budget examples/ci/budget.yaml') && r.includes('--format github'))).toBe(true);
    expect(runs.some((r) => r.includes('--format junit'))).toBe(true);
  });
});

// ---- a strict minimal XML parser: well-formedness, nothing more ----------------------------

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Parses one element with optional XML declaration; throws on anything not well-formed XML 1.0 this needs. */
function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML: ${msg} at ${i}`);
  };
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(src)) fail('a character XML forbids');
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>/.exec(src);
  if (decl) i = decl[0].length;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const name = () => {
    const m = /^[A-Za-z_][\w.-]*/.exec(src.slice(i));
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const decode = (raw: string) => {
    if (raw.includes('<')) fail("a raw '<'");
    return raw.replace(/&([^;]*);?/g, (whole, ent: string) => {
      if (!whole.endsWith(';')) fail("a raw '&'");
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
      if (named[ent] !== undefined) return named[ent];
      const num = /^#(\d+)$/.exec(ent) ?? /^#x([0-9a-fA-F]+)$/.exec(ent);
      if (!num) fail(`unknown entity &${ent};`);
      return String.fromCodePoint(parseInt(num![1], ent.startsWith('#x') ? 16 : 10));
    });
  };
  const element = (): XmlElement => {
    if (src[i] !== '<') fail("expected '<'");
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      ws();
      if (src.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected whitespace before an attribute');
      const key = name();
      if (src[i] !== '=' || src[i + 1] !== '"') fail('expected ="');
      i += 2;
      const end = src.indexOf('"', i);
      if (end < 0) fail('unterminated attribute');
      if (Object.hasOwn(el.attrs, key)) fail(`duplicate attribute ${key}`);
      el.attrs[key] = decode(src.slice(i, end));
      i = end + 1;
    }
    for (;;) {
      const next = src.indexOf('<', i);
      if (next < 0) fail(`unclosed <${el.name}>`);
      const text = src.slice(i, next);
      if (text.includes(']]>')) fail("']]>' in text");
      el.text += decode(text);
      i = next;
      if (src.startsWith('</', i)) {
        i += 2;
        if (name() !== el.name) fail(`mismatched </...> for <${el.name}>`);
        ws();
        if (src[i] !== '>') fail("expected '>'");
        i++;
        return el;
      }
      el.children.push(element());
    }
  };
  ws();
  const root = element();
  ws();
  if (i !== src.length) fail('content after the root element');
  return root;
}

describe('cnnscope check --shard', () => {
  const zoo = ['check', 'architectures/**/*.yaml', '--budget', 'examples/ci/budget.yaml', '--json'];
  type Doc = { models: { model: string; file: string }[]; results: unknown[]; summary: { expectations: number } };
  const run = async (extra: string[]): Promise<Doc> => {
    const r = await cli([...zoo, ...extra]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Doc;
  };

  it('splits the zoo into shares that together give the verdicts of one job, each model in one share', async () => {
    const whole = await run([]);
    const shards = await Promise.all([1, 2, 3].map((i) => run(['--shard', `${i}/3`])));
    const key = (m: { model: string; file: string }) => `${m.file} ${m.model}`;
    const models = shards.flatMap((s) => s.models.map(key));
    expect(new Set(models).size).toBe(models.length);
    expect([...models].sort()).toEqual(whole.models.map(key).sort());
    const results = shards.flatMap((s) => s.results.map((r) => JSON.stringify(r)));
    expect(results.sort()).toEqual(whole.results.map((r) => JSON.stringify(r)).sort());
    expect(shards.reduce((n, s) => n + s.summary.expectations, 0)).toBe(whole.summary.expectations);
    // Every share gets work: files are dealt round-robin.
    for (const s of shards) expect(s.models.length).toBeGreaterThan(0);
  });

  it('warns of a pattern that matches nothing once, in the first share', async () => {
    const budget =
      'budgets:\n  - models: no_such_model\n    expect: {params: {max: 1G}}\n  - models: resnet18\n    expect: {params: {max: 1G}}\n';
    const dir = mkdtempSync(join(tmpdir(), 'cnnscope-shard-'));
    writeFileSync(join(dir, 'budget.yaml'), budget);
    const warned = await Promise.all([1, 2].map((i) => cli(['check', '--budget', 'budget.yaml', '--shard', `${i}/2`], { cwd: dir })));
    expect(warned.map((r) => r.stderr.includes("'no_such_model' matches no model checked here"))).toEqual([true, false]);
  });

  it.each(['0/3', '4/3', '1/0', '2', 'a/b', '1/1001'])('refuses --shard %s in one line, exit 2', async (shard) => {
    const r = await cli(['check', 'resnet18', '--shard', shard]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cnnscope: error: --shard: expected i/n with 1 <= i <= n <= 1000 (as 2/4), got '${shard}'\n`);
  });
});
