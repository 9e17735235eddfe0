/**
 * The bundled architectures in `architectures/`: each file is a model, and each preset in a
 * file is a model too (`resnet50` is the `resnet50` preset of resnet.yaml).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelHeader } from './graph/header.js';
import { didYouMean } from './graph/suggest.js';

export const ARCHITECTURES_DIR = fileURLToPath(new URL('../architectures', import.meta.url));

/**
 * The index of ARCHITECTURES_DIR that the build writes beside dist/bundled.js
 * (scripts/bundled-index.js): resolving one bundled name then reads this file and the model's,
 * not the header of every file. Absent when running from the TypeScript sources: they scan.
 */
export const BUNDLED_INDEX = fileURLToPath(new URL('./bundled-index.json', import.meta.url));

export interface BundledModel {
  /** What `cnnscope analyze` accepts: a preset name, or the file's path without `.yaml`. */
  readonly name: string;
  readonly path: string;
  readonly preset?: string;
  readonly family?: string;
  readonly source?: string;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  // Plain code-point order: `alexnet.yaml` before `alexnet_paper.yaml`, the same on every machine.
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (e.name.endsWith('.yaml') || e.name.endsWith('.yml')) out.push(p);
  }
  return out;
}

/** Read once per process and directory: lookups by name are frequent, the files do not change. */
const cache = new Map<string, readonly BundledModel[]>();

export function bundledModels(dir = ARCHITECTURES_DIR): readonly BundledModel[] {
  let models = cache.get(dir);
  if (!models) cache.set(dir, (models = dir === ARCHITECTURES_DIR && existsSync(BUNDLED_INDEX) ? readIndex(dir) : scanBundled(dir)));
  return models;
}

/** The index's form: paths relative to the directory, so the package can move. */
export function bundledIndex(models: readonly BundledModel[], dir = ARCHITECTURES_DIR): string {
  return `${JSON.stringify(
    models.map((m) => ({ ...m, path: relative(dir, m.path).split(sep).join('/') })),
    null,
    1,
  )}\n`;
}

function readIndex(dir: string): BundledModel[] {
  const rows = JSON.parse(readFileSync(BUNDLED_INDEX, 'utf8')) as BundledModel[];
  return rows.map((m) => ({ ...m, path: join(dir, ...m.path.split('/')) }));
}

/** Every file's header, read: what the index holds, and what a directory without one costs. */
export function scanBundled(dir = ARCHITECTURES_DIR): BundledModel[] {
  const out: BundledModel[] = [];
  for (const path of yamlFiles(dir)) {
    const stem = relative(dir, path)
      .replace(/\.ya?ml$/, '')
      .split(sep)
      .join('/');
    // A broken bundled file still lists under its file name; analyzing it reports the error.
    const header = readModelHeader(readFileSync(path, 'utf8'));
    const family = header?.family;
    const source = header?.source;
    const meta = { ...(family ? { family } : {}), ...(source ? { source } : {}) };
    const presets = header?.presets ?? [];
    if (presets.length === 0 || !presets.includes(stem)) out.push({ name: stem, path, ...meta });
    for (const preset of presets) out.push({ name: preset, path, preset, ...meta });
  }
  return out;
}

export function findBundled(name: string, dir = ARCHITECTURES_DIR): BundledModel | undefined {
  return bundledModels(dir).find((m) => m.name === name);
}

/** Why `name` is no file and no bundled model, suggesting close names (one line). */
export function unknownModelMessage(name: string, models: readonly BundledModel[] = bundledModels()): string {
  const looksLikePath = /[/\\]|\.ya?ml$/.test(name);
  const hint = looksLikePath
    ? ''
    : didYouMean(
        name,
        models.map((m) => m.name),
      );
  return `${name}: no such file${looksLikePath ? '' : ' or bundled model'}${hint}; 'cnnscope list' shows the bundled models`;
}
