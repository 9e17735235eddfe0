import { describe, expect, it } from 'vitest';
import { cli, modelFile } from './run.js';

const bottleneck = 'architectures/lecture/bottleneck.yaml';

describe('cnnscope analyze', () => {
  it('prints a table with one row per layer and the totals', async () => {
    const r = await cli(['analyze', bottleneck]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // 64*56*56 outputs * 256 inputs = 51,380,224 MACs; 64*56*56*4 bytes = 784 KiB; a 1x1 field.
    expect(r.stdout).toMatch(/│ 0\s+│ conv\s+│ \[1, 64, 56, 56\]\s+│\s+16,384 │ 51.4 MMAC │ +784 KiB │ +1 \/1 │/);
    expect(r.stdout).toMatch(/│ 2\s+│ conv\s+│ \[1, 64, 56, 56\]\s+│\s+36,864 │ {2}116 MMAC │ +784 KiB │ +3 \/1 │/);
    expect(r.stdout).toContain('Params:            69,632 (69,632 trainable; 0 in buffers)');
    expect(r.stdout).toContain('Output:            4 [1, 256, 56, 56]');
  });

  it('prints the documented JSON report', async () => {
    const r = await cli(['analyze', bottleneck, '--json', '--batch', '8']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.schema).toBe('cnnscope.report/1');
    expect(report.model).toBe('lecture-bottleneck');
    expect(report.input).toEqual({ shape: [8, 256, 56, 56] });
    expect(report.totals).toMatchObject({ params: 69632, trainable_params: 69632, buffers: 0 });
    expect(report.outputs).toEqual([{ name: '4', shape: [8, 256, 56, 56] }]);
    expect(report.layers.map((l: { name: string }) => l.name)).toEqual(['0', '1', '2', '3', '4']);
    expect(report.layers[2]).toMatchObject({ name: '2', kind: 'conv', inputs: ['1'], output_shape: [8, 64, 56, 56], params: 36864 });
    expect(report.layers[0].inputs).toEqual(['input']);
  });

  it('gives byte-identical JSON for the same input', async () => {
    const a = await cli(['analyze', 'resnet50', '--json']);
    const b = await cli(['analyze', 'resnet50', '--json']);
    expect(a.stdout).toBe(b.stdout);
  });

  it('reads the model from stdin with -', async () => {
    const text = 'name: tiny\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3}\n';
    const r = await cli(['analyze', '-', '--json'], { stdin: text });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.params).toBe(4 * 3 * 9 + 4);
    expect(JSON.parse(r.stdout).outputs[0].shape).toEqual([1, 4, 6, 6]);
  });

  it('overrides the input shape and parameters', async () => {
    const s2 = await cli(['analyze', 'architectures/lecture/padding_stride.yaml', '--set', 'stride=2', '--json']);
    expect(JSON.parse(s2.stdout).outputs[0].shape).toEqual([1, 1, 3, 3]);
    const input = await cli(['analyze', 'architectures/lecture/padding_stride.yaml', '--input', '1,9,9', '--json']);
    expect(JSON.parse(input.stdout).outputs[0].shape).toEqual([1, 1, 9, 9]);
  });

  it('resolves bundled names and presets', async () => {
    const r = await cli(['analyze', 'resnet', '--set', 'depth=101', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.params).toBe(44_549_160);
    const preset = await cli(['analyze', 'resnet50', '--json']);
    expect(JSON.parse(preset.stdout).model).toBe('resnet50');
  });

  it('colours only a TTY, and never with NO_COLOR', async () => {
    const tty = await cli(['analyze', bottleneck], { tty: true, env: {} });
    expect(tty.stdout).toContain('\u001b[');
    const noColor = await cli(['analyze', bottleneck], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
    const pipe = await cli(['analyze', bottleneck], { tty: false });
    expect(pipe.stdout).not.toContain('\u001b[');
  });

  it('rejects bad options with exit code 2 and one line', async () => {
    for (const argv of [
      ['analyze', bottleneck, '--batch', '0'],
      ['analyze', bottleneck, '--batch', 'x'],
      ['analyze', bottleneck, '--input', '3,224'],
      ['analyze', bottleneck, '--set', 'nonsense'],
      ['analyze', 'no-such-model'],
      ['analyze', 'missing/file.yaml'],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^cnnscope: error: /);
      expect(r.stdout).toBe('');
    }
  });

  it('suggests a bundled model for a misspelt name', async () => {
    const r = await cli(['analyze', 'resnet5']);
    expect(r.stderr).toMatch(/did you mean .*'resnet50'/);
  });

  it('reports an unknown --set parameter', async () => {
    const path = modelFile('input: [3, 8, 8]\nparams: {width: 4}\nlayers: [{conv: {out: "${width}", kernel: 3}}]\n');
    const r = await cli(['analyze', path, '--set', 'widht=8']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the model has no parameter 'widht' (did you mean 'width'?)");
  });
});

describe('cnnscope analyze: analyses', () => {
  it('prints MACs, FLOPs, memory and the receptive field in the totals', async () => {
    const r = await cli(['analyze', 'resnet50']);
    expect(r.stdout).toContain('Compute:           4.09 GMAC, 8.22 GFLOP');
    expect(r.stdout).toContain('Receptive field:   global (last spatial: 427 /32 at layer4.2.relu_out)');
    expect(r.stdout).toMatch(/Weights: +97\.7 MiB/);
  });

  it('takes --dtype, --optimizer, --depth and --by kind', async () => {
    const fp32 = JSON.parse((await cli(['analyze', bottleneck, '--json'])).stdout);
    const fp16 = JSON.parse((await cli(['analyze', bottleneck, '--json', '--dtype', 'fp16', '--optimizer', 'adam'])).stdout);
    expect(fp16.options).toEqual({ batch: 1, dtype: 'fp16', optimizer: 'adam' });
    expect(fp16.totals.weight_bytes * 2).toBe(fp32.totals.weight_bytes);
    // adam: 2 extra values per parameter at 2 bytes.
    expect(fp16.memory.training.optimizer_state).toBe(69632 * 2 * 2);
    const folded = await cli(['analyze', 'resnet50', '--depth', '1']);
    expect(folded.stdout).toMatch(/│ layer3 +│ stage +│ \[1, 1024, 14, 14\] +│ +7,098,368 │/);
    expect(folded.stdout).not.toContain('layer3.0.conv1');
    const kinds = await cli(['analyze', 'resnet50', '--by', 'kind']);
    expect(kinds.stdout).toMatch(/│ conv +│ +53 │ 23,454,912 │ 4.09 GMAC │/);
  });

  it('rejects unknown dtypes, optimizers, depths and breakdowns', async () => {
    for (const argv of [
      ['--dtype', 'fp8'],
      ['--optimizer', 'lion'],
      ['--depth', '0'],
      ['--by', 'layer'],
    ]) {
      const r = await cli(['analyze', bottleneck, ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^cnnscope: error: --/);
    }
  });
});

describe('cnnscope help and version', () => {
  it('prints the version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('has help with examples for every command', async () => {
    for (const argv of [['--help'], ...['analyze', 'check', 'diff', 'graph', 'run', 'export', 'list'].map((c) => [c, '--help'])]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });

  it('exits 2 on an unknown command', async () => {
    const r = await cli(['analyse', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'analyse'");
  });
});

describe('cnnscope list', () => {
  it('lists bundled models with their parameter counts', async () => {
    const r = await cli(['list', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; params: number }[];
    expect(rows.find((m) => m.name === 'resnet50')?.params).toBe(25_557_032);
    expect(rows.find((m) => m.name === 'lecture/bottleneck')?.params).toBe(69_632);
  });
});
