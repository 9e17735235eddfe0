/**
 * bin/cnnscope.js runs the bundle that `npm run build` writes (scripts/bundle.mjs): the same bytes
 * as the CLI run from the sources, for what reads files beside its modules (the architectures and
 * their index, package.json, the lazily loaded ONNX front end, the worker of `run --threads`).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, modelFile } from './run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function bin(argv: string[]) {
  const r = spawnSync(process.execPath, ['bin/cnnscope.js', ...argv], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundled CLI', () => {
  const cases: [string, string[]][] = [
    ['--version', ['--version']],
    ['a graph', ['graph', 'lecture/bottleneck']],
    ['a bundled model', ['analyze', 'resnet18', '--json']],
    ['an ONNX file (a lazily loaded chunk)', ['analyze', 'test/fixtures/onnx/alexnet_opset13.onnx', '--json']],
    ['a zoo check', ['check', 'architectures/lecture/*.yaml', '--format', 'json']],
    ['an error', ['analyze', modelFile('input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n')]],
  ];
  for (const [what, argv] of cases) {
    it(`prints what the sources print: ${what}`, async () => {
      const expected = await cli(argv);
      expect(bin(argv)).toEqual({ code: expected.code, stdout: expected.stdout, stderr: expected.stderr });
    });
  }

  it('runs with worker threads (dist/execute/worker.js beside the unbundled modules)', () => {
    const r = bin(['run', 'lecture/bottleneck', '--seed', '1', '--threads', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('outputs');
  });
});
