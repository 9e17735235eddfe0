/** src/onnx/descriptor.ts is what scripts/onnx_descriptor.mjs makes of the vendored onnx.proto. */
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('the ONNX descriptor is up to date with src/onnx/onnx.proto', () => {
  const root = new URL('../../', import.meta.url).pathname;
  expect(() => execFileSync(process.execPath, ['scripts/onnx_descriptor.mjs', '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
});
