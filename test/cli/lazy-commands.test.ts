/**
 * Every command but analyze and list loads its code when it runs (src/cli/<command>-command.ts):
 * `analyze` loads no execute, check, HTML, sweep or ONNX code. The constants run's help shows are
 * written in src/cli/run.ts for that reason; here they are held equal to execute mode's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ONNXRUNTIME_VERSION } from '../../src/execute/onnxruntime.js';
import { RUN_SCHEMA } from '../../src/execute/report.js';
import { MAX_THREADS } from '../../src/execute/threads.js';
import { RUN_HELP_FACTS } from '../../src/cli/run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A module hook that appends the URL of every file the process loads to the file `data.out`. */
const HOOK = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, next) { if (url.startsWith('file:')) appendFileSync(out, url + '\\n'); return next(url, context); }`;

/** The text of the bundle's files that `bin/cnnscope.js argv` loads. */
function loadedBundleText(argv: string[]): { code: number | null; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cnnscope-lazy-'));
  try {
    const out = join(dir, 'loaded.txt');
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)}, { data: { out: ${JSON.stringify(out)} } });`;
    const r = spawnSync(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(register)}`, 'bin/cnnscope.js', ...argv],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    const files = readFileSync(out, 'utf8')
      .split('\n')
      .filter((u) => u.includes('/dist/bundle/'));
    return { code: r.status, text: files.map((u) => readFileSync(fileURLToPath(u), 'utf8')).join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('lazily loaded commands', () => {
  it("run's help shows execute mode's limits and names", () => {
    expect(RUN_HELP_FACTS).toEqual({ MAX_THREADS, ONNXRUNTIME_VERSION, RUN_SCHEMA });
  });

  it('analyze --json loads only what it needs', () => {
    const { code, text } = loadedBundleText(['analyze', 'resnet18', '--json']);
    expect(code).toBe(0);
    // esbuild marks each module's code in the bundle with its path.
    for (const path of [
      'dist/execute/',
      'dist/kernels/gemm',
      'dist/check/',
      'dist/report/html/',
      'dist/report/sweep',
      'dist/onnx/',
      'dist/cli/run-command',
      'node_modules/tinyglobby',
      'node_modules/protobufjs',
    ]) {
      expect(text, path).not.toContain(`// ${path}`);
    }
    expect(text).toContain('// dist/cli/analyze.js');
  });

  it('check loads its own code when it runs', () => {
    const { code, text } = loadedBundleText(['check', 'architectures/lecture/*.yaml', '--format', 'json']);
    expect(code).toBe(0);
    expect(text).toContain('// dist/cli/check-command.js');
    expect(text).toContain('// node_modules/tinyglobby');
  });
});
