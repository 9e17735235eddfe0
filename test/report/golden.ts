/**
 * Golden files: expected outputs kept in test/fixtures/golden/. A test compares its output with
 * the file; with UPDATE_GOLDEN=1 it writes the file instead (see test/fixtures/golden/README.md).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden', import.meta.url));

/** Models used by the golden tests, as paths relative to the repository root (the tests' cwd). */
export const GOLDEN_MODELS = {
  bottleneck: 'architectures/lecture/bottleneck.yaml',
  smallResidual: 'test/fixtures/golden/models/small_residual.yaml',
} as const;

export function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(`golden file ${name} is missing; create it with UPDATE_GOLDEN=1 npx vitest run <this test file>`);
  }
  expect(actual, `${name} (regenerate with UPDATE_GOLDEN=1 if the change is intended)`).toBe(readFileSync(path, 'utf8'));
}
