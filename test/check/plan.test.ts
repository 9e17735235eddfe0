/**
 * The check planner (src/check/plan.ts) without the CLI: files, stdin and globs come from a map of
 * texts, the bundled models from a list. Which models and builds are checked, what invalid inputs
 * are reported where, and that each file is read once.
 */
import { describe, expect, it } from 'vitest';
import type { BundledModel } from '../../src/bundled.js';
import { CheckInputError, checkModels, type CheckIo, type CheckOutcome } from '../../src/check/plan.js';
import { isPathPattern, namePattern } from '../../src/check/patterns.js';
import { formatDiagnostic, ModelError } from '../../src/graph/diagnostics.js';

// width 4: conv 4*3*9+4 = 112, linear 4*10+10 = 50: 162 params. width 2: 56 + 30 = 86.
const net = (expectYaml = '') => `name: net
input: [3, 8, 8]
params: {width: 4}
presets:
  net_small: {width: 2}
layers:
  - conv: {name: c1, out: "\${width}", kernel: 3}
  - relu
  - global_avgpool
  - flatten
  - linear: {name: fc, out: 10}
${expectYaml}`;

/** An in-memory file system under /w; `*`, `**` and `{a,b}` globs. */
function memoryIo(files: Record<string, string>, bundled: readonly BundledModel[] = [], stdin = ''): CheckIo & { reads: string[] } {
  const abs = (p: string) => (p.startsWith('/') ? p : `/w/${p}`);
  const reads: string[] = [];
  const globRe = (pattern: string) =>
    new RegExp(
      `^${abs(pattern)
        .replace(/[.+^$()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '\u0000')
        .replace(/\*/g, '[^/]*')
        // eslint-disable-next-line no-control-regex -- NUL marks where `**/` stood
        .replace(/\u0000/g, '(?:.*/)?')
        .replace(/\{([^}]*)\}/g, (_, alts: string) => `(?:${alts.split(',').join('|')})`)}$`,
    );
  return {
    cwd: '/w',
    reads,
    bundled,
    readFile(path, what) {
      const text = files[abs(path)];
      if (text === undefined) throw new Error(`${path}: no such ${what}`);
      reads.push(abs(path));
      return text;
    },
    readStdin: async () => stdin,
    stat: (path) =>
      files[path] !== undefined ? 'file' : Object.keys(files).some((f) => f.startsWith(`${path}/`)) ? 'directory' : undefined,
    glob: async (pattern) => Object.keys(files).filter((f) => globRe(pattern).test(f)),
  };
}

const lines = (o: CheckOutcome) =>
  o.run.models.flatMap((m) => m.results.map((r) => `${r.ok ? 'pass' : 'fail'} ${r.model} ${r.metric} ${r.file}:${r.line}:${r.col}`));
const errors = (o: CheckOutcome) => o.errors.map(formatDiagnostic);

describe('checkModels', () => {
  it("checks a file's own expectations, and a file without any as such", async () => {
    const io = memoryIo({ '/w/a.yaml': net('expect:\n  params: 162\n  macs: {max: 10}\n'), '/w/b.yaml': net() });
    const o = await checkModels({ models: ['a.yaml', 'b.yaml'] }, io);
    expect(lines(o)).toEqual(['pass net params a.yaml:13:3', 'fail net macs a.yaml:14:10']);
    expect(o.run.models.map((m) => [m.model, m.file, m.results.length])).toEqual([
      ['net', 'a.yaml', 2],
      ['net', 'b.yaml', 0],
    ]);
    expect(o.run.summary).toMatchObject({ ok: false, failed: 1, models_without_expectations: 1 });
    expect(o.errors).toEqual([]);
    expect((await checkModels({ models: ['b.yaml'], strict: true }, io)).run.summary.ok).toBe(false);
  });

  it('expands globs and directories, each file once and in path order; reads stdin for -', async () => {
    const io = memoryIo({ '/w/m/b.yaml': net(), '/w/m/x/a.yml': net(), '/w/m/c.txt': 'not a model' }, [], net('expect: {params: 162}\n'));
    const o = await checkModels({ models: ['m', 'm/**/*.yaml', '-'] }, io);
    expect(o.run.models.map((m) => m.file)).toEqual(['m/b.yaml', 'm/x/a.yml', '<stdin>']);
    expect(io.reads).toEqual(['/w/m/b.yaml', '/w/m/x/a.yml', '/w/m/b.yaml']);
    expect(lines(o)).toEqual(['pass net params <stdin>:12:10']);
  });

  it('refuses an argument that names nothing, suggesting a bundled name', async () => {
    const io = memoryIo({}, [{ name: 'net_small', path: '/zoo/net.yaml', preset: 'net_small' }]);
    await expect(checkModels({ models: ['net_smal'] }, io)).rejects.toThrow(
      new CheckInputError("net_smal: no such file or bundled model (did you mean 'net_small'?); 'cnnscope list' shows the bundled models"),
    );
    await expect(checkModels({ models: ['models/*.yaml'] }, io)).rejects.toThrow(CheckInputError);
  });

  it('applies a budget by path glob, by name and by preset, reading each file once', async () => {
    const zoo: BundledModel[] = [
      { name: 'net', path: '/zoo/net.yaml' },
      { name: 'net_small', path: '/zoo/net.yaml', preset: 'net_small' },
    ];
    const io = memoryIo(
      {
        '/zoo/net.yaml': net(),
        '/w/budget.yaml': `budgets:
  - models: 'net*'
    expect: {params: {max: 100}}
  - models: /zoo/*.yaml
    expect: {output: [N, 10]}
  - models: nothing
    expect: {params: 1}
`,
      },
      zoo,
    );
    const o = await checkModels({ models: [], budgets: ['budget.yaml'] }, io);
    // `net*` names the file (its name) and its preset: two builds; the path glob only the file's.
    expect(lines(o)).toEqual([
      'fail net params budget.yaml:3:23',
      'pass net output budget.yaml:5:14',
      'pass net_small params budget.yaml:3:23',
    ]);
    expect(o.warnings.map((w) => `${w.file}:${w.pos.line}:${w.pos.col}: ${w.message}`)).toEqual([
      "budget.yaml:6:13: 'nothing' matches no model checked here",
    ]);
    expect(io.reads).toEqual(['/w/budget.yaml', '/zoo/net.yaml']);
    // A bundled preset named in the arguments is that build alone.
    const small = await checkModels({ models: ['net_small'], budgets: ['budget.yaml'] }, io);
    expect(lines(small)).toEqual(['pass net_small params budget.yaml:3:23', 'pass net_small output budget.yaml:5:14']);
    expect(small.run.models.map((m) => m.file)).toEqual(['/zoo/net.yaml']);
  });

  it('collects every invalid input at its line, and still checks the valid models', async () => {
    const io = memoryIo({
      '/w/ok.yaml': net('expect: {params: 162}\n'),
      '/w/bad.yaml': 'name: bad\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernl: 3}\n',
      '/w/budget.yaml':
        'budgets:\n  - models: ok.yaml\n    preset: net_smal\n    set: {widht: 3}\n    expect: {params: 1}\n  - models: ok.yaml\n    expect: {outputs: {fc2: [N, 10]}}\n',
    });
    const o = await checkModels({ models: ['ok.yaml', 'bad.yaml'], budgets: ['budget.yaml'] }, io);
    expect(lines(o)).toEqual(['pass net params ok.yaml:12:10']);
    expect(errors(o)).toEqual([
      "budget.yaml:3:13: error: ok.yaml has no preset 'net_smal' (did you mean 'net_small'?) (presets: net_small)",
      "budget.yaml:4:11: error: 'set': ok.yaml has no parameter 'widht' (did you mean 'width'?) (params: width)",
      "bad.yaml:4:5: error: layer '0' (conv): missing argument 'kernel' (a positive integer or [h, w])",
      expect.stringMatching(/^bad\.yaml:4:20: error: layer '0' \(conv\): unknown argument 'kernl' \(did you mean 'kernel'\?\)/),
      "budget.yaml:7:24: error: model 'net' has no output 'fc2' (did you mean 'fc'?) (outputs: fc)",
    ]);
  });

  it('throws for an invalid budget file before checking anything', async () => {
    const io = memoryIo({ '/w/ok.yaml': net(), '/w/budget.yaml': 'budgets:\n  - models: ok.yaml\n    expect: {parms: 1}\n' });
    await expect(checkModels({ models: ['ok.yaml'], budgets: ['budget.yaml'] }, io)).rejects.toThrow(ModelError);
    expect(io.reads).toEqual(['/w/budget.yaml']);
  });

  it('names the line that set the batch when counts exceed 2^53', async () => {
    // 512*4096*4096*27 MACs a sample: exact at batch 1, beyond 2^53 at batch 2^20.
    const wide = 'name: wide\ninput: [3, 4096, 4096]\nlayers:\n  - conv: {out: 512, kernel: 3, padding: 1}\n';
    const io = memoryIo({
      '/w/wide.yaml': `${wide}expect:\n  - {params: {max: 1M}}\n  - batch: 1048576\n    macs: {max: 1}\n`,
      '/w/budget.yaml': 'budgets:\n  - models: wide\n    batch: 1048576\n    expect: {params: {max: 1M}}\n',
    });
    const o = await checkModels({ models: ['wide.yaml'], budgets: ['budget.yaml'] }, io);
    expect(errors(o)).toEqual([
      "wide.yaml:7:5: error: wide at batch 1,048,576: layer '0' (conv) at wide.yaml:4:5: its MACs reach 2^53 at batch 1,048,576 and cannot be counted exactly; use a batch of 19,065 or less",
      "budget.yaml:3:5: error: wide at batch 1,048,576: layer '0' (conv) at wide.yaml:4:5: its MACs reach 2^53 at batch 1,048,576 and cannot be counted exactly; use a batch of 19,065 or less",
    ]);
    // The expectations at the default batch are still checked.
    expect(lines(o)).toEqual(['pass wide params wide.yaml:6:15']);
  });
});

describe('budget patterns', () => {
  it('tells path globs from model names', () => {
    expect(['models/*.yaml', 'a.yml', 'x\\y', 'resnet*', 'vgg{11,13}'].map(isPathPattern)).toEqual([true, true, true, false, false]);
  });

  it('matches names with *, ? and {a,b}, the rest literal', () => {
    const re = namePattern('res{net,next}?*.v1');
    expect(['resnet50.v1', 'resnext5.v1', 'resnet.v1', 'resnet50xv1'].map((s) => re.test(s))).toEqual([true, true, false, false]);
  });
});
