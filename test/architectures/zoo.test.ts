import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from '../../src/cli/main.js';
import { analyze, ARCHITECTURES_DIR, buildGraph, bundledModels, loadBundled } from '../../src/index.js';

const models = bundledModels();
/**
 * The teaching examples of architectures/lecture/ are single layers and the U-Net a segmentation
 * net (2 classes per pixel); every other model is an ImageNet classifier.
 */
const classic = models.filter((m) => m.family !== 'lecture' && m.family !== 'U-Net');
const files = [...new Set(models.map((m) => m.path))];

describe('the bundled model zoo', () => {
  it('has the families this suite checks', () => {
    const names = models.map((m) => m.name);
    for (const name of ['resnet50', 'resnext101_64x4d', 'wide_resnet101_2', 'densenet121', 'densenet201']) expect(names).toContain(name);
    expect(classic.length).toBeGreaterThanOrEqual(20);
  });

  for (const m of models) {
    it(`${m.name} builds and analyzes`, () => {
      const report = analyze(loadBundled(m.name));
      expect(report.totals.params).toBeGreaterThan(0);
      expect(report.outputs.length).toBeGreaterThan(0);
      if (classic.includes(m)) expect(report.outputs[0].shape).toEqual([1, 1000]);
    });
  }

  // Every model in one pass, as the CLI would. Its time is measured in `npm run bench` (the
  // zoo row), not asserted here: timings in unit tests are noise on a loaded CI machine.
  it('builds and analyzes every model in one pass', () => {
    const texts = models.map((m) => readFileSync(m.path, 'utf8'));
    let layers = 0;
    models.forEach((m, i) => {
      const graph = buildGraph(texts[i], { file: m.path, ...(m.preset !== undefined ? { preset: m.preset } : {}) });
      layers += analyze(graph).layers.length;
    });
    expect(layers).toBeGreaterThan(5_000);
  });

  for (const path of files) {
    const file = relative(ARCHITECTURES_DIR, path);
    it(`${file} names its source at the top`, () => {
      const text = readFileSync(path, 'utf8');
      const doc = parse(text) as Record<string, unknown>;
      expect(typeof doc['source'], `${file}: a top-level source: key`).toBe('string');
      expect((doc['source'] as string).trim()).not.toBe('');
      // Before any definition: the header says where the model comes from.
      const at = (key: string) => text.search(new RegExp(`^${key}:`, 'm'));
      expect(at('source')).toBeGreaterThanOrEqual(0);
      for (const key of ['blocks', 'layers']) if (at(key) >= 0) expect(at('source'), `${file}: source before ${key}`).toBeLessThan(at(key));
    });
  }
});

describe('cnnscope analyze on the command line', () => {
  it('analyzes resnet with --set depth=101 --json as ResNet-101', async () => {
    let stdout = '';
    let stderr = '';
    const code = await run(['analyze', 'resnet', '--set', 'depth=101', '--json'], {
      stdout: { write: (s: string | Uint8Array) => (stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')) },
      stderr: { write: (s: string) => (stderr += s) },
      readStdin: async () => '',
      env: {},
      cwd: process.cwd(),
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.model).toBe('resnet');
    expect(report.totals.params).toBe(44_549_160);
    expect(report.totals).toMatchObject({ params: 44_549_160, trainable_params: 44_549_160, buffers: 105_448 });
    expect(report.outputs).toEqual([{ name: 'fc', shape: [1, 1000] }]);
  });
});
