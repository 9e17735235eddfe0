/**
 * The kind tables of docs/format.md and docs/metrics.md, rendered from the registry: each kind's
 * `summary`, its arguments (`type`, `default`, `doc` of each ArgSpec) and its `docs`. They sit
 * between marker comments; `npm run docs` (scripts/docs.js) rewrites them, and
 * test/layers/docs.test.ts fails when a file is stale.
 */
import type { ArgSpec } from './args.js';
import { layerKinds } from './index.js';
import type { AnyLayerKind } from './kind.js';

/** The generated sections of each documentation file, by marker name. */
export const GENERATED_DOCS: Readonly<Record<string, readonly string[]>> = {
  'docs/format.md': ['kinds', 'kind-arguments'],
  'docs/metrics.md': ['kind-params', 'kind-macs', 'kind-flops'],
};

const begin = (name: string) =>
  `<!-- begin generated ${name}: npm run docs writes this from src/layers/; edit the kinds, not the table -->`;
const end = (name: string) => `<!-- end generated ${name} -->`;

/** `|` would end a table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join(
    '\n',
  );
}

/** A default as it is written in YAML: `1` for [1, 1], `0` for zero padding on all sides. */
export function showDefault(value: unknown): string {
  if (typeof value === 'number') return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
  if (Array.isArray(value)) return value.every((v) => v === value[0]) ? showDefault(value[0]) : `[${value.map(showDefault).join(', ')}]`;
  if (value !== null && typeof value === 'object') return showDefault(Object.values(value));
  return String(value);
}

function argumentList(args: Readonly<Record<string, ArgSpec<unknown>>>): string {
  const list = Object.entries(args).map(([name, spec]) =>
    spec.required ? `\`${name}\`` : spec.default === null ? `\`${name}\` (optional)` : `\`${name}\`=${showDefault(spec.default)}`,
  );
  return list.length > 0 ? list.join(', ') : '—';
}

function sectionText(name: string, kinds: readonly AnyLayerKind[]): string {
  switch (name) {
    case 'kinds':
      return table(
        ['kind', 'what', 'shapes', 'arguments'],
        kinds.map((k) => [`\`${k.kind}\``, k.summary, k.docs?.shapes ?? 'any, the same shape out', argumentList(k.args)]),
      );
    case 'kind-arguments':
      return table(
        ['kind', 'argument', 'value', 'default', 'meaning'],
        kinds.flatMap((k) =>
          Object.entries(k.args).map(([arg, spec]) => [
            `\`${k.kind}\``,
            `\`${arg}\``,
            spec.type,
            spec.required ? 'required' : spec.default === null ? '—' : `\`${showDefault(spec.default)}\``,
            spec.doc,
          ]),
        ),
      );
    case 'kind-params':
      return table(
        ['kind', 'parameters per layer'],
        [...kinds.filter((k) => k.docs?.params).map((k) => [k.kind, k.docs!.params!]), ['all others', '0']],
      );
    case 'kind-macs':
      return table(
        ['kind', 'MACs per sample'],
        [...kinds.filter((k) => k.docs?.macs).map((k) => [k.kind, k.docs!.macs!]), ['all others', '0']],
      );
    case 'kind-flops':
      return table(
        ['kind', 'FLOPs per sample (E = output elements)'],
        kinds.map((k) => [k.kind, k.docs?.flops ?? '']),
      );
    default:
      throw new Error(`no generated section '${name}'`);
  }
}

/**
 * `text` (the contents of `file`, a key of GENERATED_DOCS) with each generated section replaced
 * by its rendering from `kinds` (the registry by default). Throws when a marker is missing.
 */
export function renderDocs(file: string, text: string, kinds: readonly AnyLayerKind[] = Object.values(layerKinds)): string {
  const sections = GENERATED_DOCS[file];
  if (!sections) throw new Error(`${file} has no generated sections`);
  let out = text;
  for (const name of sections) {
    const b = out.indexOf(begin(name));
    const e = out.indexOf(end(name));
    if (b < 0 || e < b)
      throw new Error(`${file}: the markers of the generated section '${name}' are missing:\n${begin(name)}\n${end(name)}`);
    out = `${out.slice(0, b)}${begin(name)}\n${sectionText(name, kinds)}\n${out.slice(e)}`;
  }
  return out;
}
