/**
 * The bundled architectures in `architectures/`: each file is a model, and each preset in a
 * file is a model too (`resnet50` is the `resnet50` preset of resnet.yaml).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelHeader } from './graph/header.js';
import { didYouMean } from './graph/suggest.js';

export const ARCHITECTURES_DIR = fileURLToPath(new URL('../architectures', import.meta.url));

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
  if (!models) cache.set(dir, (models = readBundled(dir)));
  return models;
}

function readBundled(dir: string): BundledModel[] {
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
