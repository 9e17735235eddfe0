/**
 * The folder boundaries of execute mode: src/kernels/ is a leaf that src/layers/ and
 * src/execute/ both import; layers import nothing from execute, and execute takes only types
 * from layers, so neither folder depends on the other's code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../src/', import.meta.url));

interface Import {
  readonly file: string;
  /** The imported file, relative to src/ (`kernels/tensor.ts`), or the package name. */
  readonly target: string;
  readonly typeOnly: boolean;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importsOf(folder: string): Import[] {
  return tsFiles(join(src, folder)).flatMap((path) => {
    const text = readFileSync(path, 'utf8');
    return [...text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => ({
      file: relative(src, path),
      target: m[2].startsWith('.') ? relative(src, resolve(dirname(path), m[2])).replace(/\.js$/, '.ts') : m[2],
      typeOnly: m[1] !== undefined,
    }));
  });
}

const show = (i: Import) => `${i.file} -> ${i.target}`;

describe('folder boundaries', () => {
  it('src/kernels/ imports nothing else from src/', () => {
    const imports = importsOf('kernels');
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !i.target.startsWith('kernels/') && !i.target.startsWith('node:')).map(show)).toEqual([]);
  });

  it('src/layers/ imports nothing from src/execute/', () => {
    expect(
      importsOf('layers')
        .filter((i) => i.target.startsWith('execute/'))
        .map(show),
    ).toEqual([]);
  });

  it('src/execute/ imports only types from src/layers/', () => {
    const imports = importsOf('execute');
    expect(imports.some((i) => i.target.startsWith('kernels/'))).toBe(true);
    expect(imports.filter((i) => i.target.startsWith('layers/') && !i.typeOnly).map(show)).toEqual([]);
  });
});
