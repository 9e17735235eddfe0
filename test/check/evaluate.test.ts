/**
 * Expectations (src/graph/expect.ts) and their evaluation (src/check/evaluate.ts), without the CLI:
 * units, positions, the parse of `expect` sections and budget files, and judging a report.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/report.js';
import { checkDocument, evaluate, expectationProblems, summarize } from '../../src/check/evaluate.js';
import { buildModel, ModelError } from '../../src/graph/build.js';
import { parseBudget, type ExpectGroup } from '../../src/graph/expect.js';
import { parseQuantity } from '../../src/quantity.js';
import { loadBundled } from '../../src/index.js';

const head = 'name: t\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3}\n  - flatten\n  - linear: {name: fc, out: 10}\n';
// conv 4*3*9+4 = 112, linear 144*10+10 = 1450: 1,562 params; MACs 4*36*27 + 1440 = 5,328.
const groupsOf = (expectYaml: string) => buildModel(head + expectYaml, { file: 'm.yaml' }).expectations!;
const errorsOf = (expectYaml: string) => {
  try {
    buildModel(head + expectYaml, { file: 'm.yaml' });
  } catch (e) {
    if (e instanceof ModelError) return e.diagnostics.map((d) => `${d.pos.line}:${d.pos.col}: ${d.message}`);
    throw e;
  }
  return [];
};

describe('quantities', () => {
  it('reads decimal units for counts, exactly', () => {
    expect(parseQuantity('25M', 'params')).toBe(25_000_000);
    expect(parseQuantity('4.1G', 'macs')).toBe(4_100_000_000);
    expect(parseQuantity('4.1 GMAC', 'macs')).toBe(4_100_000_000);
    expect(parseQuantity('15.47GFLOPs', 'flops')).toBe(15_470_000_000);
    expect(parseQuantity('0.5k', 'params')).toBe(500);
    expect(parseQuantity('1.5T', 'flops')).toBe(1_500_000_000_000);
    expect(parseQuantity('25,557,032', 'params')).toBe(25_557_032);
    expect(parseQuantity('25_557_032', 'params')).toBe(25_557_032);
    expect(parseQuantity('7', 'params')).toBe(7);
  });

  it('reads binary units for bytes, exactly', () => {
    expect(parseQuantity('512MiB', 'bytes')).toBe(512 * 2 ** 20);
    expect(parseQuantity('1.5 GiB', 'bytes')).toBe(1.5 * 2 ** 30);
    expect(parseQuantity('64KiB', 'bytes')).toBe(65_536);
    expect(parseQuantity('100B', 'bytes')).toBe(100);
    expect(parseQuantity('2TiB', 'bytes')).toBe(2 * 2 ** 40);
  });

  it('refuses what is ambiguous, misplaced or not whole', () => {
    expect(parseQuantity('512MB', 'bytes')).toMatch(/ambiguous.*write 512MiB/);
    expect(parseQuantity('1.5GB', 'bytes')).toMatch(/write 1\.5GiB/);
    expect(parseQuantity('512M', 'bytes')).toMatch(/ambiguous/);
    expect(parseQuantity('1MiB', 'params')).toMatch(/params is a count, not bytes/);
    expect(parseQuantity('1m', 'params')).toMatch(/unknown unit 'm'/);
    expect(parseQuantity('1GMAC', 'params')).toMatch(/unknown unit 'GMAC'/);
    expect(parseQuantity('0.1KiB', 'bytes')).toMatch(/not a whole number \(102\.4\)/);
    expect(parseQuantity('1.2345K', 'params')).toMatch(/not a whole number/);
    expect(parseQuantity('1,00', 'params')).toMatch(/commas must group digits by three/);
    expect(parseQuantity('-5M', 'params')).toMatch(/not a number/);
    expect(parseQuantity('10000T', 'params')).toMatch(/too large/);
    expect(parseQuantity('400px', 'pixels')).toBe(400);
    expect(parseQuantity('1K', 'pixels')).toMatch(/whole number of pixels/);
  });
});

describe('the expect section', () => {
  it('keeps every bound with its position and its written text', () => {
    const [g] = groupsOf('expect:\n  params: {max: 30M, min: 1K}\n  macs: 5,328\n  output: [N, 10]\n  receptive_field: {min: 3}\n');
    expect(g.file).toBe('m.yaml');
    expect(g.at).toEqual({});
    expect(g.items).toEqual([
      { kind: 'total', metric: 'params', relation: 'max', value: 30_000_000, text: '30M', pos: { line: 8, col: 12 } },
      { kind: 'total', metric: 'params', relation: 'min', value: 1000, text: '1K', pos: { line: 8, col: 22 } },
      { kind: 'total', metric: 'macs', relation: 'equal', value: 5328, text: '5,328', pos: { line: 9, col: 3 } },
      { kind: 'output', shape: ['N', 10], text: '[N, 10]', pos: { line: 10, col: 3 } },
      { kind: 'receptive_field', relation: 'min', value: 3, text: '3', pos: { line: 11, col: 21 } },
    ]);
  });

  it('takes a list of groups, each at its own input, batch, dtype and optimizer', () => {
    const groups = groupsOf(
      'expect:\n  - params: 1562\n  - {input: [3, 16, 16], batch: 4, dtype: bf16, optimizer: adam, output: [4, 10]}\n',
    );
    expect(groups.map((g) => g.at)).toEqual([{}, { input: [3, 16, 16], batch: 4, dtype: 'bf16', optimizer: 'adam' }]);
  });

  it('is absent from a graph whose file has none', () => {
    expect(buildModel(head, { file: 'm.yaml' }).expectations).toBeUndefined();
  });

  it('reports every problem at its line and column', () => {
    expect(errorsOf('expect:\n  macs: {max: 5G}\n  flop: {max: 1G}\n  params: {min: 2M, max: 1M}\n  output: [N, 0]\n')).toEqual([
      "9:3: unknown key 'flop' in expectations (did you mean 'flops'?) (valid: preset, set, input, batch, dtype, optimizer, params, trainable_params, buffers, macs, flops, weight_bytes, activation_bytes, peak_activation_bytes, training_bytes, output, outputs, receptive_field)",
      "10:12: 'params': min 2M is above max 1M",
      "11:11: 'output' must be a shape with the batch, like [N, 1000] or [1, 64, 56, 56] (N, first only, stands for the batch)",
    ]);
    expect(errorsOf('expect: []\n')).toEqual(["7:9: 'expect' is empty: give a map of expectations, or a list of them"]);
    expect(errorsOf('expect:\n  input: [3, 0, 8]\n  params: 1\n')).toEqual([
      "8:10: 'input' must be [channels, height, width] (or [features]) of positive integers, without the batch",
    ]);
    expect(errorsOf('expect:\n  set: {classes: 10}\n  params: 1\n')).toEqual([
      "8:9: 'set': the model has no parameter 'classes' (params: none)",
    ]);
  });
});

describe('budget files', () => {
  it('maps names and globs to groups, entry keys being defaults for their groups', () => {
    const b = parseBudget(
      `budgets:
  - models: [resnet50, 'models/*.yaml']
    dtype: fp16
    set: {classes: 10}
    expect:
      - params: {max: 30M}
      - {dtype: int8, set: {depth: 18}, weight_bytes: {max: 20MiB}}
`,
      'b.yaml',
    );
    expect(b.entries).toHaveLength(1);
    const e = b.entries[0];
    expect(e.models).toEqual([
      { pattern: 'resnet50', pos: { line: 2, col: 14 } },
      { pattern: 'models/*.yaml', pos: { line: 2, col: 24 } },
    ]);
    expect(e.groups.map((g) => [g.file, g.at, g.set?.map((s) => [s.name, s.value])])).toEqual([
      ['b.yaml', { dtype: 'fp16' }, [['classes', 10]]],
      [
        'b.yaml',
        { dtype: 'int8' },
        [
          ['classes', 10],
          ['depth', 18],
        ],
      ],
    ]);
  });

  it('refuses a file that is not a budget, with positions', () => {
    const problems = (text: string) => {
      try {
        parseBudget(text, 'b.yaml');
        return [];
      } catch (e) {
        return (e as ModelError).diagnostics.map((d) => `${d.pos.line}:${d.pos.col}: ${d.message}`);
      }
    };
    expect(problems('budget: []\n')).toEqual([
      "1:1: unknown key 'budget' (did you mean 'budgets'?) (a budget file has: budgets)",
      "1:1: missing 'budgets': a list of {models, expect} entries",
    ]);
    expect(problems('budgets:\n  - expect: {params: 1}\n')).toEqual([
      "2:5: a budget entry needs 'models': a model name or a path glob, or a list of them",
    ]);
    expect(problems('budgets:\n  - {models: [], expect: {params: 1}}\n')).toEqual(["2:14: 'models' is empty"]);
    expect(problems('budgets: [\n')[0]).toMatch(/^\d+:\d+: malformed YAML/);
  });
});

describe('evaluation', () => {
  const { graph, expectations } = buildModel(
    `${head}expect:\n  params: {max: 1K}\n  macs: 5328\n  output: [N, 10]\n  outputs: {fc: [2, 10]}\n  receptive_field: {min: 3, max: 3}\n`,
    { file: 'm.yaml' },
  );
  const group = expectations![0];

  it('judges each expectation against the report, keeping its position', () => {
    const results = evaluate(analyze(graph), group, { name: 't', file: 'm.yaml' });
    expect(results.map((r) => [r.metric, r.relation, r.expected, r.actual, r.ok, r.line, r.col])).toEqual([
      ['params', 'max', '1K', 1562, false, 8, 12],
      ['macs', 'equal', '5,328', 5328, true, 9, 3],
      ['output', 'equal', '[N, 10]', [1, 10], true, 10, 3],
      ['outputs.fc', 'equal', '[2, 10]', [1, 10], false, 11, 13],
      ['receptive_field', 'min', '3', [3, 3], true, 12, 21],
      ['receptive_field', 'max', '3', [3, 3], true, 12, 29],
    ]);
    expect(results[0]).toMatchObject({
      model: 't',
      model_file: 'm.yaml',
      file: 'm.yaml',
      input: [3, 8, 8],
      batch: 1,
      dtype: 'fp32',
      optimizer: 'sgd',
      at: {},
    });
  });

  it('N matches any batch; the receptive field is the last spatial one after a global field', () => {
    const results = evaluate(analyze(graph, { batch: 2 }), group, { name: 't', file: 'm.yaml' });
    expect(results.filter((r) => r.metric.startsWith('output')).map((r) => r.ok)).toEqual([true, true]);
    const resnet = loadBundled('resnet50');
    const g: ExpectGroup = {
      file: 'b.yaml',
      pos: { line: 1, col: 1 },
      at: {},
      items: [{ kind: 'receptive_field', relation: 'min', value: 400, text: '400', pos: { line: 2, col: 3 } }],
    };
    expect(evaluate(analyze(resnet), g, { name: 'resnet50', file: 'r.yaml' })[0]).toMatchObject({ actual: [427, 427], ok: true });
  });

  it('is pure: the same inputs give the same results, and nothing is changed', () => {
    const report = analyze(graph);
    const before = JSON.stringify([report, group]);
    expect(evaluate(report, group, { name: 't', file: 'm.yaml' })).toEqual(evaluate(report, group, { name: 't', file: 'm.yaml' }));
    expect(JSON.stringify([report, group])).toBe(before);
  });

  it('finds output names the model does not have', () => {
    const g = buildModel(`${head}expect: {outputs: {fc1: [N, 10]}}\n`, { file: 'm.yaml' }).expectations![0];
    expect(expectationProblems(analyze(graph), g)).toEqual([
      { file: 'm.yaml', pos: { line: 7, col: 20 }, message: "model 't' has no output 'fc1' (did you mean 'fc'?) (outputs: fc)" },
    ]);
  });

  it('summarizes: a failure fails the run; a model without expectations only under strict', () => {
    const results = evaluate(analyze(graph), group, { name: 't', file: 'm.yaml' });
    const models = [
      { model: 't', file: 'm.yaml', results },
      { model: 'u', file: 'u.yaml', results: [] },
    ];
    expect(summarize(models).summary).toEqual({
      ok: false,
      models: 2,
      expectations: 6,
      passed: 4,
      failed: 2,
      models_failed: 1,
      models_without_expectations: 1,
      strict: false,
    });
    const passing = [{ model: 't', file: 'm.yaml', results: results.filter((r) => r.ok) }, models[1]];
    expect(summarize(passing).summary.ok).toBe(true);
    expect(summarize(passing, true).summary).toMatchObject({ ok: false, models_failed: 1 });
  });

  it('gives the JSON document its shape: counts per model, results without their conditions as written', () => {
    const results = evaluate(analyze(graph), group, { name: 't', file: 'm.yaml' });
    const doc = checkDocument(
      summarize([
        { model: 't', file: 'm.yaml', results },
        { model: 'u', file: 'u.yaml', results: [] },
      ]),
    );
    expect(Object.keys(doc)).toEqual(['schema', 'ok', 'summary', 'models', 'results']);
    expect(doc.summary).toEqual({
      models: 2,
      expectations: 6,
      passed: 4,
      failed: 2,
      models_failed: 1,
      models_without_expectations: 1,
      strict: false,
    });
    expect(doc.models).toEqual([
      { model: 't', file: 'm.yaml', expectations: 6, failed: 2 },
      { model: 'u', file: 'u.yaml', expectations: 0, failed: 0 },
    ]);
    expect(Object.keys(doc.results[0])).toEqual([
      'model',
      'model_file',
      'metric',
      'relation',
      'expected',
      'expected_value',
      'actual',
      'ok',
      'file',
      'line',
      'col',
      'input',
      'batch',
      'dtype',
      'optimizer',
    ]);
  });
});
