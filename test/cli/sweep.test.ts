/** `cnnscope sweep`: totals over a grid, and `--fit`, against figures worked by hand. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { cli, modelFile } from './run.js';

/**
 * Per sample at [1, r, r]: activations input r² + a 2r² + b 2r² + c r² floats = 24r² bytes;
 * MACs a 2r² (1x1, 1 -> 2) + c 18r² (3x3, 2 -> 1) = 20r². Parameters a 2 + 2, c 18 + 1: 23, 92 bytes.
 */
const CHAIN = `name: chain
input: [1, 4, 4]
layers:
  - conv: {name: a, out: 2, kernel: 1}
  - relu: {name: b}
  - conv: {name: c, out: 1, kernel: 3, padding: 1}
`;

/** A parameter: `width` output channels of the first conv. */
const WIDE = `name: wide
params: {width: 2}
input: [1, 4, 4]
layers:
  - conv: {name: a, out: '\${width}', kernel: 1, bias: false}
  - relu: {name: b}
`;

const lines = (csv: string) => csv.trimEnd().split('\r\n');

describe('cnnscope sweep', () => {
  it('prints the totals of resnet50 at batch 1, 8 and 32 as CSV (the per-sample figures times the batch)', async () => {
    const r = await cli(['sweep', 'resnet50', '--batch', '1,8,32', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    // torchvision's resnet50: 25,557,032 parameters, 53,173 buffer elements (53,120 floats and 53
    // int64 counters: 102,441,032 bytes of weights at fp32), 4,089,184,256 MACs per sample.
    // Per sample: 150,849,440 activation bytes, 9,633,792 at peak; training (sgd) = weights + gradients
    // (102,228,128) + activations.
    const row = (b: number) =>
      [
        b,
        25557032,
        25557032,
        53173,
        4089184256 * b,
        8217431528 * b,
        102441032,
        150849440 * b,
        9633792 * b,
        102441032 + 102228128 + 150849440 * b,
      ].join(',');
    expect(lines(r.stdout)).toEqual([
      'batch,params,trainable_params,buffers,macs,flops,weight_bytes,activation_bytes,peak_activation_bytes,training_bytes',
      row(1),
      row(8),
      row(32),
    ]);
    // The same figures as analyze at that batch.
    const analyzed = JSON.parse((await cli(['analyze', 'resnet50', '--batch', '8', '--json'])).stdout).totals;
    const at8 = lines(r.stdout)[2].split(',').map(Number);
    expect(at8.slice(1)).toEqual(
      [
        'params',
        'trainable_params',
        'buffers',
        'macs',
        'flops',
        'weight_bytes',
        'activation_bytes',
        'peak_activation_bytes',
        'training_bytes',
      ].map((k) => analyzed[k]),
    );
  });

  it('finds the largest batch of resnet50 that trains with Adam in 24 GiB: 168', async () => {
    // Fixed: weights 102,441,032 + gradients 102,228,128 + Adam's two moments 204,456,256 = 409,125,416 bytes;
    // per sample 150,849,440. (24 * 2^30 - 409,125,416) / 150,849,440 = 168.1: batch 168 needs
    // 25,751,831,336 bytes, 169 needs 25,902,680,776 > 25,769,803,776.
    const r = await cli(['sweep', 'resnet50', '--fit', 'training_bytes<=24GiB', '--optimizer', 'adam', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [answer] = JSON.parse(r.stdout).fit.answers;
    expect(answer.largest).toBe(168);
    expect(answer.totals.training_bytes).toBe(25751831336);
    expect(answer.next.value).toBe(169);
    expect(answer.next.totals.training_bytes).toBe(25902680776);
    expect(answer.next.breaks).toEqual(['training_bytes<=24GiB']);
    // Bisection over 1 .. 2^20: about 20 probes, not a million.
    expect(answer.probes).toBeLessThanOrEqual(22);
    const table = await cli(['sweep', 'resnet50', '--fit', 'training_bytes<=24GiB', '--optimizer', 'adam']);
    expect(table.stdout).toContain('│           168 │       24.0 GiB │ 169: training_bytes 24.1 GiB, over <=24GiB │');
  });

  it('tells <= from < at the exact boundary (a chain worked by hand)', async () => {
    // training(b) = 92 weights + 92 gradients + 384 b (24 * 16 bytes of activations per sample): 2104 at b = 5.
    const file = modelFile(CHAIN);
    const largest = async (bound: string) =>
      JSON.parse((await cli(['sweep', file, '--fit', bound, '--json'])).stdout).fit.answers[0].largest;
    expect(await largest('training_bytes<=2104')).toBe(5);
    expect(await largest('training_bytes<2104')).toBe(4);
    expect(await largest('training_bytes<=567')).toBe(null);
    expect(await largest('training_bytes<=568')).toBe(1);
    // Several bounds: all must hold; here MACs (320 per sample) bind first: 320 b <= 1000 -> 3.
    expect(
      JSON.parse((await cli(['sweep', file, '--fit', 'training_bytes<=2104', '--fit', 'macs<=1000', '--json'])).stdout).fit.answers[0]
        .largest,
    ).toBe(3);
  });

  it('searches the resolution: 20 r² MACs <= 2000 up to r = 10', async () => {
    const r = await cli(['sweep', modelFile(CHAIN), '--fit-over', 'resolution', '--resolution', '1:32', '--fit', 'macs<=2000', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [answer] = JSON.parse(r.stdout).fit.answers;
    expect(answer.largest).toBe(10);
    expect(answer.totals.macs).toBe(2000);
    expect(answer.next).toMatchObject({ value: 11, breaks: ['macs<=2000'] });
    expect(answer.next.totals.macs).toBe(2420);
  });

  it('answers per point of the other axes', async () => {
    // At resolution r, training(b) = 184 + 24 r² b <= 10000: r = 4 -> 25, r = 8 -> 6.
    const r = await cli(['sweep', modelFile(CHAIN), '--resolution', '4,8', '--fit', 'training_bytes<=10000', '--format', 'csv']);
    expect(lines(r.stdout).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['resolution,largest_batch', '4,25', '8,6']);
  });

  it('walks a grid, the last axis fastest, with a parameter as an axis', async () => {
    const r = await cli(['sweep', modelFile(WIDE), '--resolution', '4,8', '--set', 'width=1,3', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    // MACs: width * r²; params: width; activations: (1 + 2 width) r² floats.
    const got = lines(r.stdout).map((l) => l.split(','));
    expect(got[0].slice(0, 3)).toEqual(['resolution', 'width', 'params']);
    expect(got.slice(1).map((row) => [row[0], row[1], row[2], row[5], row[8]])).toEqual([
      ['4', '1', '1', '16', String(3 * 16 * 4)],
      ['4', '3', '3', '48', String(7 * 16 * 4)],
      ['8', '1', '1', '64', String(3 * 64 * 4)],
      ['8', '3', '3', '192', String(7 * 64 * 4)],
    ]);
    // A single value holds at every point and is no axis.
    const fixed = await cli(['sweep', modelFile(WIDE), '--batch', '1,2', '--set', 'width=5', '--format', 'csv']);
    expect(lines(fixed.stdout).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['batch,params', '1,5', '2,5']);
  });

  it('prints JSON valid under schema/sweep.schema.json, the same bytes every run', async () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../schema/sweep.schema.json', import.meta.url), 'utf8')));
    for (const argv of [
      ['sweep', 'resnet18', '--resolution', '128:256:64', '--batch', '1,4', '--json'],
      ['sweep', 'resnet18', '--fit', 'training_bytes<=8GiB', '--fit', 'params<1M', '--resolution', '224,320', '--json'],
      ['sweep', 'resnet18', '--fit', 'macs<=1T', '--batch', '1,2,4', '--json'],
    ]) {
      const a = await cli(argv);
      const b = await cli(argv);
      expect(a.code, a.stderr).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      const doc = JSON.parse(a.stdout);
      expect(validate(doc), ajv.errorsText(validate.errors)).toBe(true);
    }
  });

  it('draws a self-contained HTML chart: inline SVG, no script, no request', async () => {
    const r = await cli(['sweep', 'resnet18', '--resolution', '128,224', '--batch', '1,8', '--html']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(r.stdout.match(/<svg /g)).toHaveLength(6);
    // Two series (batch 1, batch 8), each a line with two points, in each chart.
    expect(r.stdout.match(/<polyline /g)).toHaveLength(12);
    expect(r.stdout).not.toMatch(/<script|https?:|<link|@import|url\(/);
    expect(r.stdout).toContain('<td>11689512</td>');
  });

  it('refuses bad axes, bounds and points in one line, exit 2', async () => {
    const file = modelFile(CHAIN);
    const cases: [string[], string][] = [
      [['sweep', file], 'give an axis to sweep (--resolution, --batch, --set name=v1,v2) or a --fit bound'],
      [['sweep', file, '--batch', '1:100000'], '--batch 1:100000: the range has 100,000 values, more than the 10,000 a sweep takes'],
      [['sweep', file, '--batch', '8:1'], '--batch 8:1: the range stops before it starts'],
      [['sweep', file, '--batch', '1,x'], "--batch 1,x: 'x' is not a whole number"],
      [['sweep', file, '--batch', '0,1'], '--batch 0,1: 0 is out of range (1 to 1,048,576)'],
      [['sweep', file, '--batch', '1,1'], '--batch 1,1: a value is given twice'],
      [['sweep', file, '--resolution', '1:100', '--batch', '1:200'], 'the grid has 20,000 points, more than the 10,000 a sweep takes'],
      [
        ['sweep', file, '--fit', 'speed<=3'],
        "--fit speed<=3: 'speed' is not a total; expected one of params, trainable_params, buffers, macs, flops, weight_bytes, activation_bytes, peak_activation_bytes, training_bytes",
      ],
      [
        ['sweep', file, '--fit', 'training_bytes>=3'],
        "--fit training_bytes>=3: expected a total, <= or <, and a limit, like 'training_bytes<=24GiB'",
      ],
      [['sweep', file, '--fit', 'training_bytes<=24GB'], "--fit training_bytes<=24GB: '24GB' is ambiguous for bytes"],
      [
        ['sweep', file, '--fit-over', 'resolution', '--fit', 'macs<=1G'],
        '--fit-over resolution searches the --resolution values; give them, like --resolution 224:1024:32',
      ],
      [['sweep', file, '--fit-over', 'batch'], '--fit-over says what --fit searches; give a --fit bound'],
      [['sweep', file, '--json', '--html', '--batch', '1'], '--html and --json disagree; give one'],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toContain(message);
    }
  });

  it('names the point where the model does not build, with its file, line and column', async () => {
    const file = modelFile(CHAIN.replace('padding: 1', 'padding: 0'));
    const r = await cli(['sweep', file, '--resolution', '2,4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^cnnscope: error: at resolution 2: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:6:5: error: layer 'c' \\(conv\\): .+\n$`,
      ),
    );
  });
});
