/**
 * schema/report.schema.json against real outputs: every bundled model analyzed with the defaults
 * and with --depth 1, diffs, and the list, validated strictly (ajv strict mode, no extra fields,
 * integer counts).
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/index.js';
import { cli } from '../cli/run.js';

const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addSchema(schema, 'cnnscope');

function validator(def?: string) {
  const v = ajv.getSchema(def ? `cnnscope#/$defs/${def}` : 'cnnscope');
  if (!v) throw new Error(`no schema ${def}`);
  return (doc: unknown, what: string) => {
    const ok = v(doc);
    expect(ok, `${what}: ${ajv.errorsText(v.errors, { separator: '\n' })}`).toBe(true);
  };
}

const report = validator('report');
const diff = validator('diff');
const list = validator('list');
const any = validator();

async function json(argv: string[]): Promise<unknown> {
  const r = await cli(argv);
  expect(r.code === 0 || r.code === 1, `${argv.join(' ')}: ${r.stderr}`).toBe(true);
  return JSON.parse(r.stdout);
}

describe('schema/report.schema.json', () => {
  it('is a valid draft 2020-12 schema under ajv strict mode', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.getSchema('cnnscope')).toBeDefined();
  });

  it('validates the report of every bundled model, with the defaults and with --depth 1', async () => {
    const models = bundledModels();
    expect(models.length).toBeGreaterThan(30);
    for (const m of models) {
      for (const extra of [[], ['--depth', '1']]) {
        const doc = await json(['analyze', m.name, '--json', ...extra]);
        report(doc, `${m.name} ${extra.join(' ')}`);
        any(doc, `${m.name} ${extra.join(' ')} (top level)`);
      }
    }
    // 172 reports: 8-15 s alone, over 20 s beside the HTML report's browser tests on 2 busy cores.
  }, 60000);

  it('validates reports under other options (batch, dtype, optimizer, input, auxiliary outputs)', async () => {
    for (const argv of [
      ['googlenet', '--set', 'aux=true', '--batch', '8', '--dtype', 'bf16', '--optimizer', 'adam'],
      ['resnet18', '--input', '3,64,64', '--depth', '3'],
      ['architectures/lecture/padding_stride.yaml', '--set', 'stride=2'],
    ]) {
      report(await json(['analyze', ...argv, '--json']), argv.join(' '));
    }
  });

  it('validates diffs: changed, added, removed, folded, with --fail-on', async () => {
    for (const argv of [
      ['resnet50', 'resnext50_32x4d'],
      ['resnet', '--set-a', 'depth=50', '--set-b', 'depth=101'],
      ['resnet', '--set-a', 'depth=101', '--set-b', 'depth=18', '--depth', '2'],
      ['alexnet', 'vgg16', '--fail-on', 'params>+5%,macs<-1G'],
      ['googlenet', 'googlenet', '--set-b', 'aux=true', '--dtype', 'fp16'],
      ['architectures/lecture/conv3x3_256.yaml', 'architectures/lecture/bottleneck.yaml'],
    ]) {
      const doc = await json(['diff', ...argv, '--json']);
      diff(doc, argv.join(' '));
      any(doc, `${argv.join(' ')} (top level)`);
    }
  });

  it('validates the windowed fields of a gated model, strictly', async () => {
    const gated = (await json(['analyze', 'mobilenet_v3_small', '--json', '--depth', '2'])) as Record<string, any>;
    const v = ajv.getSchema('cnnscope#/$defs/report')!;
    expect(v(gated)).toBe(true);
    expect(gated.totals.last_windowed_receptive_field.layer).toBe('features.12.2');
    const row = gated.layers.findIndex((l: Record<string, unknown>) => 'windowed_receptive_field' in l);
    const block = gated.blocks.findIndex((l: Record<string, unknown>) => 'windowed_receptive_field' in l);
    expect(row).toBeGreaterThan(0);
    expect(block).toBeGreaterThan(0);
    const mutated = (f: (d: Record<string, any>) => void) => {
      const d = structuredClone(gated);
      f(d);
      return v(d);
    };
    expect(mutated((d) => (d.layers[row].windowed_receptive_field = 'local'))).toBe(false);
    expect(mutated((d) => (d.blocks[block].windowed_receptive_field = { size: [1, 1] }))).toBe(false);
    expect(mutated((d) => delete d.totals.last_windowed_receptive_field.layer)).toBe(false);
  });

  it('validates the list', async () => {
    const doc = await json(['list', '--json']);
    list(doc, 'list');
    any(doc, 'list (top level)');
  });

  it('is strict: extra fields, missing fields, fractional counts and unknown versions are refused', async () => {
    const good = (await json(['analyze', 'architectures/lecture/bottleneck.yaml', '--json'])) as Record<string, any>;
    const v = ajv.getSchema('cnnscope#/$defs/report')!;
    expect(v(good)).toBe(true);
    const mutate = (f: (d: Record<string, any>) => void) => {
      const d = structuredClone(good);
      f(d);
      return v(d);
    };
    expect(mutate((d) => (d.extra = 1))).toBe(false);
    expect(mutate((d) => (d.layers[0].colour = 'red'))).toBe(false);
    expect(mutate((d) => delete d.totals.macs)).toBe(false);
    expect(mutate((d) => (d.totals.params = 1.5))).toBe(false);
    expect(mutate((d) => (d.totals.params = -1))).toBe(false);
    expect(mutate((d) => (d.layers[0].output_shape = [1, 64, 0, 56]))).toBe(false);
    expect(mutate((d) => (d.schema = 'cnnscope.report/2'))).toBe(false);
    expect(mutate((d) => (d.options.dtype = 'fp8'))).toBe(false);
    expect(mutate((d) => (d.layers[0].receptive_field = 'local'))).toBe(false);

    const dv = ajv.getSchema('cnnscope#/$defs/diff')!;
    const d = (await json(['diff', 'resnet', '--set-a', 'depth=50', '--set-b', 'depth=101', '--json'])) as Record<string, any>;
    expect(dv(d)).toBe(true);
    const added = structuredClone(d);
    added.layers[0].a = added.layers[0].b; // an added row has no side A
    expect(dv(added)).toBe(false);
    const relative = structuredClone(d);
    relative.totals.params.relative = '74%';
    expect(dv(relative)).toBe(false);
  });
});
