/** `cnnscope diff`, through the CLI. */
import { describe, expect, it } from 'vitest';
import { expectGolden, GOLDEN_MODELS } from '../report/golden.js';
import { cli, modelFile } from './run.js';

const small = GOLDEN_MODELS.smallResidual;

describe('cnnscope diff: resnet50 against resnext50_32x4d', () => {
  it('gives the totals side by side and the changed layers (JSON)', async () => {
    const r = await cli(['diff', 'resnet50', 'resnext50_32x4d', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const d = JSON.parse(r.stdout);
    expect(d.schema).toBe('cnnscope.diff/1');
    expect(d.a).toMatchObject({ label: 'resnet50', model: 'resnet50', input: { shape: [1, 3, 224, 224] } });
    expect(d.b).toMatchObject({ label: 'resnext50_32x4d', model: 'resnext50_32x4d' });
    expect(d.totals.params).toEqual({ a: 25_557_032, b: 25_028_904, change: -528_128, relative: -528_128 / 25_557_032 });
    expect(d.totals.macs).toMatchObject({ a: 4_089_184_256, b: 4_230_479_872, change: 141_295_616 });
    expect(d.totals.layers).toEqual({ a: 175, b: 175, change: 0, relative: 0 });
    expect(d.summary).toEqual({ added: 0, removed: 0, changed: d.layers.length, unchanged: 175 - d.layers.length });
    const byName = new Map(d.layers.map((l: { name: string }) => [l.name, l]));
    // ResNeXt's bottleneck is twice as wide (128 = 32 groups x 4) with a grouped 3x3 conv.
    expect(byName.get('layer1.0.conv1')).toEqual({
      status: 'changed',
      name: 'layer1.0.conv1',
      a: { kind: 'conv', output_shape: [1, 64, 56, 56], params: 4096, macs: 12_845_056, flops: 25_690_112 },
      b: { kind: 'conv', output_shape: [1, 128, 56, 56], params: 8192, macs: 25_690_112, flops: 51_380_224 },
      changed: ['output_shape', 'params', 'macs', 'flops'],
      delta: { params: 4096, macs: 12_845_056, flops: 25_690_112 },
    });
    expect(byName.get('layer1.0.conv2')).toMatchObject({ a: { params: 36_864 }, b: { params: 4608 } });
    for (const name of ['layer2.3.conv3', 'layer4.2.bn2', 'layer3.5.relu2']) expect(byName.has(name), name).toBe(true);
    // The stem, the projection shortcuts, the block outputs and the classifier keep their shapes.
    for (const name of ['conv1', 'layer1.0.downsample.0', 'layer2.0.add', 'fc']) expect(byName.has(name), name).toBe(false);
  });

  it('prints a table with the totals and the changed layers', async () => {
    const r = await cli(['diff', 'resnet50', 'resnext50_32x4d']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/│ Params +│ 25,557,032 │ 25,028,904 │ +-528,128 │ +-2\.07% │/);
    expect(r.stdout).toMatch(/│ MACs +│ +4\.09 GMAC │ +4\.23 GMAC │ +\+141 MMAC │ +\+3\.46% │/);
    expect(r.stdout).toContain('Layers: 0 added, 0 removed, 112 changed, 63 unchanged');
    expect(r.stdout).toMatch(/│ ~ │ layer1\.0\.conv1 +│ conv +│ \[1, 64, 56, 56\] → \[1, 128, 56, 56\] +│ +4,096 → 8,192 \(\+4,096\) │/);
  });

  it('prints Markdown for a pull-request comment', async () => {
    const r = await cli(['diff', 'resnet50', 'resnext50_32x4d', '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^### cnnscope diff: resnet50 → resnext50\\_32x4d\n/);
    expect(r.stdout).toContain('| Params | 25,557,032 | 25,028,904 | -528,128 | -2.07% |');
    expect(r.stdout).toContain('| MACs | 4.09 GMAC | 4.23 GMAC | +141 MMAC | +3.46% |');
    // 112 rows: folded into <details> so the comment stays short.
    expect(r.stdout).toContain('<details>\n<summary>112 layers differ</summary>');
    expect(r.stdout).toContain('| changed | `layer1.0.conv1` | conv | [1, 64, 56, 56] → [1, 128, 56, 56] | 4,096 → 8,192 (+4,096) |');
  });
});

describe('cnnscope diff: one model, two sides', () => {
  it('compares --set-a and --set-b: added layers in order', async () => {
    const r = await cli(['diff', 'resnet', '--set-a', 'depth=50', '--set-b', 'depth=101', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.a.label).toBe('resnet --set depth=50');
    expect(d.b.label).toBe('resnet --set depth=101');
    expect(d.totals.params).toMatchObject({ a: 25_557_032, b: 44_549_160 });
    expect(d.summary).toEqual({ added: 170, removed: 0, changed: 0, unchanged: 175 });
    expect(d.layers[0]).toMatchObject({ status: 'added', name: 'layer3.6.conv1', b: { params: 262_144 } });
    expect(d.layers[0].a).toBeUndefined();
    expect(d.layers.at(-1).name).toBe('layer3.22.relu_out');
  });

  it('lists removed layers where they were (B smaller than A)', async () => {
    const d = JSON.parse((await cli(['diff', 'resnet', '--set-a', 'depth=101', '--set-b', 'depth=50', '--json'])).stdout);
    expect(d.summary).toMatchObject({ added: 0, removed: 170 });
    expect(d.layers[0]).toMatchObject({ status: 'removed', name: 'layer3.6.conv1', a: { params: 262_144 } });
    expect(d.totals.params.change).toBe(-18_992_128);
  });

  it('compares --input-a and --input-b', async () => {
    const d = JSON.parse((await cli(['diff', 'resnet50', '--input-a', '3,224,224', '--input-b', '3,320,320', '--json'])).stdout);
    expect(d.b.input.shape).toEqual([1, 3, 320, 320]);
    expect(d.b.label).toBe('resnet50 --input 3,320,320');
    expect(d.totals.params.change).toBe(0);
    expect(d.totals.macs.b).toBeGreaterThan(d.totals.macs.a);
    // Only flatten and fc keep their shapes and figures: global pooling makes them independent of the input size.
    expect(d.layers.find((l: { name: string }) => l.name === 'conv1').changed).toEqual(['output_shape', 'macs', 'flops']);
    expect(d.summary.unchanged).toBe(2);
  });

  it('applies --set to both sides and --preset-a/--preset-b to one each', async () => {
    const d = JSON.parse(
      (await cli(['diff', 'resnet', '--preset-a', 'resnet18', '--preset-b', 'resnet34', '--set', 'classes=10', '--json'])).stdout,
    );
    expect([d.a.model, d.b.model]).toEqual(['resnet18', 'resnet34']); // a model loaded through a preset is called by it
    expect(d.a.label).toBe('resnet --preset resnet18');
    expect(d.layers.find((l: { name: string }) => l.name === 'fc')).toBeUndefined(); // 10 classes on both sides
    expect(d.summary.added).toBeGreaterThan(0);
  });

  it('reads one model from stdin for both sides', async () => {
    const text = 'name: t\ninput: [3, 8, 8]\nparams: {w: 4}\nlayers:\n  - conv: {out: "${w}", kernel: 3}\n';
    const r = await cli(['diff', '-', '--set-b', 'w=8', '--json'], { stdin: text });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).totals.params).toMatchObject({ a: 4 * 27 + 4, b: 8 * 27 + 8 });
  });

  it('refuses one model without options that make the sides differ', async () => {
    const r = await cli(['diff', 'resnet50']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cnnscope: error: diff with one model needs --set-a/);
  });

  it('compares blocks with --depth', async () => {
    const d = JSON.parse((await cli(['diff', 'resnet50', 'wide_resnet50_2', '--depth', '1', '--json'])).stdout);
    expect(d.rows).toBe('blocks');
    expect(d.layers.map((l: { name: string }) => l.name)).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
    expect(d.summary).toEqual({ added: 0, removed: 0, changed: 4, unchanged: 7 });
  });

  it('matches the golden files for a small model', async () => {
    for (const [format, ext] of [
      ['table', 'txt'],
      ['markdown', 'md'],
      ['json', 'json'],
      ['csv', 'csv'],
    ] as const) {
      const r = await cli(['diff', small, '--set-b', 'width=16', '--format', format]);
      expect(r.code, r.stderr).toBe(0);
      expectGolden(`diff/small_residual.width16.${ext}`, r.stdout);
    }
    const failing = await cli(['diff', small, '--set-b', 'width=16', '--format', 'markdown', '--fail-on', 'params>+100%,macs<-1%']);
    expect(failing.code).toBe(1);
    expectGolden('diff/small_residual.width16.fail-on.md', failing.stdout);
  });
});

describe('cnnscope diff --fail-on', () => {
  const run = (...conditions: string[]) => cli(['diff', 'resnet50', 'resnext50_32x4d', ...conditions.flatMap((c) => ['--fail-on', c])]);

  it('exits 0 when every condition holds', async () => {
    // params -2.07%, MACs +3.46% (+141 M), peak activations unchanged.
    for (const c of ['params>+5%', 'macs>+1G', 'peak_activation_bytes>+10%', 'params<-5%', 'macs>+4%', 'layers>0', 'weight_bytes>+1MiB']) {
      const r = await run(c);
      expect(r.code, c).toBe(0);
      expect(r.stderr, c).toBe('');
      expect(r.stdout).toContain(`Fail-on ${c.replace('>0', '>+0')}: ok`);
    }
  });

  it('exits 1 when a condition breaks, after printing the diff', async () => {
    for (const c of [
      'macs>+3%',
      'macs>+100M',
      'params<-2%',
      'params<=-528128',
      'buffers>=+15104',
      'flops>+0.1G',
      'activation_bytes>+30MiB',
    ]) {
      const r = await run(c);
      expect(r.code, c).toBe(1);
      expect(r.stdout).toContain('Layers: 0 added, 0 removed, 112 changed');
      expect(r.stdout).toMatch(/Fail-on .*: FAILED/);
      expect(r.stderr).toMatch(/^cnnscope: diff: 1 of 1 --fail-on conditions failed: /);
    }
  });

  it('takes several conditions, comma-separated or repeated, and reports each in JSON', async () => {
    const r = await cli([
      'diff',
      'resnet50',
      'resnext50_32x4d',
      '--json',
      '--fail-on',
      'params>+5%, macs>+3%',
      '--fail-on',
      'peak_activation_bytes>+10%',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).fail_on).toEqual([
      { condition: 'params>+5%', metric: 'params', failed: false },
      { condition: 'macs>+3%', metric: 'macs', failed: true },
      { condition: 'peak_activation_bytes>+10%', metric: 'peak_activation_bytes', failed: false },
    ]);
    expect(r.stderr).toContain('1 of 3 --fail-on conditions failed: macs>+3%');
  });

  it('treats a malformed condition as a usage error (exit 2)', async () => {
    for (const c of ['params', 'params>', 'params>5x', 'parms>+5%', 'params=5%', '>5%', 'macs>+1Q', 'params>+5%,']) {
      const r = await run(c);
      expect(r.code, c).toBe(2);
      expect(r.stdout, c).toBe('');
      expect(r.stderr, c).toMatch(/^cnnscope: error: --fail-on '/);
      expect(r.stderr.trim().split('\n'), c).toHaveLength(1);
    }
    const unknown = await run('parms>+5%');
    expect(unknown.stderr).toContain("unknown metric 'parms'");
  });

  it('reports model errors with exit 2', async () => {
    const broken = modelFile('input: [3, 8, 8]\nlayers: [{conv: {out: 4}}]\n');
    const r = await cli(['diff', 'resnet50', broken]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
