/**
 * A model file's header, read without building the model: its name, family, source, presets
 * and params. `cnnscope list` and budgets' model-name patterns need these for every file, and a
 * build of each would cost far more. Read through the located parser, like the rest of the front end.
 */
import { DiagnosticBag } from './diagnostics.js';
import { entry, parseYaml, type Located } from './source.js';
import { parseYamlFast } from './source-fast.js';

export interface ModelHeader {
  /** The `name` key; undefined when the file has none (a build names it `model`). */
  readonly name?: string;
  readonly family?: string;
  readonly source?: string;
  /** The keys of `presets`, in file order. */
  readonly presets: readonly string[];
  /** The keys of `params`, in file order. */
  readonly params: readonly string[];
}

/** The header, or undefined when the text is not a YAML map: its build reports what is wrong. */
export function readModelHeader(text: string): ModelHeader | undefined {
  const root = parseYamlFast(text) ?? parseYaml(text, new DiagnosticBag(''));
  if (!root || root.type !== 'map') return undefined;
  const stringAt = (key: string) => {
    const v = entry(root, key)?.value;
    return v?.type === 'scalar' && typeof v.value === 'string' ? v.value : undefined;
  };
  const keys = (key: string) => {
    const v: Located | undefined = entry(root, key)?.value;
    return v?.type === 'map' ? v.entries.map((e) => e.key) : [];
  };
  const name = stringAt('name');
  const family = stringAt('family');
  const source = stringAt('source');
  return {
    ...(name !== undefined ? { name } : {}),
    ...(family !== undefined ? { family } : {}),
    ...(source !== undefined ? { source } : {}),
    presets: keys('presets'),
    params: keys('params'),
  };
}
