/** Runs the CLI in-process, as a user would from a shell, capturing its output and exit code. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(
  argv: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string; tty?: boolean } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: {
      write: (s: string | Uint8Array) => (stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')),
      isTTY: options.tty ?? false,
    },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    readStdin: async () => options.stdin ?? '',
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'cnnscope-test-'));
let counter = 0;

/** Writes a model file to a temporary directory and returns its path. */
export function modelFile(text: string, name = `model${counter++}.yaml`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
