/**
 * schema/check.schema.json and schema/run.schema.json against real outputs of `cnnscope check
 * --format json` and `cnnscope run --json`, validated strictly.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { cli, modelFile } from '../cli/run.js';

const ajv = new Ajv2020({ strict: true, allErrors: true });
const load = (name: string) => {
  const schema = JSON.parse(readFileSync(new URL(`../../schema/${name}`, import.meta.url), 'utf8'));
  expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  const v = ajv.compile(schema);
  return (doc: unknown, what: string) => expect(v(doc), `${what}: ${ajv.errorsText(v.errors, { separator: '\n' })}`).toBe(true);
};

async function json(argv: string[], expected: number[] = [0, 1]): Promise<Record<string, any>> {
  const r = await cli(argv);
  expect(expected, `${argv.join(' ')}: ${r.stderr}`).toContain(r.code);
  return JSON.parse(r.stdout);
}

describe('schema/check.schema.json', () => {
  const check = load('check.schema.json');

  it('validates the check of the bundled zoo against the example budget', async () => {
    const doc = await json(['check', '--budget', 'examples/ci/budget.yaml', 'architectures/**/*.yaml', '--format', 'json']);
    expect(doc.schema).toBe('cnnscope.check/1');
    expect(doc.results.length).toBeGreaterThan(30);
    check(doc, 'zoo');
  });

  it('validates passing and failing expectations of every kind, and models without any', async () => {
    const model = modelFile(`name: tiny
input: [3, 8, 8]
layers:
  - conv: {name: c1, out: 4, kernel: 3}
  - relu
  - global_avgpool
  - flatten
  - linear: {name: fc, out: 10}
expect:
  params: {max: 100}
  macs: {min: 1K, max: 1M}
  peak_activation_bytes: {max: 1MiB}
  output: [N, 10]
  receptive_field: {min: 5}
`);
    const plain = modelFile('name: plain\ninput: [3, 8, 8]\nlayers: [{conv: {out: 4, kernel: 3}}]\n');
    const failing = await json(['check', model, plain, '--json'], [1]);
    expect(failing.ok).toBe(false);
    check(failing, 'failing');
    check(await json(['check', model, plain, '--json', '--strict'], [1]), 'strict');
    check(await json(['check', plain, '--json']), 'no expectations');
  });
});

describe('schema/run.schema.json', () => {
  const run = load('run.schema.json');

  it('validates runs with the defaults, --top, --profile and a batch', async () => {
    for (const argv of [
      ['architectures/lecture/bottleneck.yaml'],
      ['architectures/lecture/first_conv.yaml', '--profile', '--batch', '2', '--threads', '2'],
      ['alexnet', '--input-shape', '3,64,64', '--top', '3', '--seed', '7'],
      ['googlenet', '--set', 'aux=true', '--input-shape', '3,64,64', '--top', '1'],
      ['test/fixtures/onnx/weighted/squeeze_excite_opset13.onnx', '--profile'],
      ['test/fixtures/onnx/weighted/squeeze_excite_opset13.onnx', '--engine', 'onnxruntime', '--profile', '--top', '2'],
    ]) {
      const doc = await json(['run', ...argv, '--json'], [0]);
      expect(doc.schema).toBe('cnnscope.run/1');
      run(doc, argv.join(' '));
    }
  });
});
