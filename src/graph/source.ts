/**
 * YAML text to a tree of plain values that remember where they were written. The rest of the
 * front end works on this tree, so every error can point at a line and column.
 *
 * Aliases are expanded here, under a budget: a "billion laughs" file is refused instead of
 * being expanded until memory runs out.
 */
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { grouped, type DiagnosticBag, type SourcePos } from './diagnostics.js';

type YamlPackage = typeof YamlModule;
let yamlPackage: YamlPackage | undefined;

/**
 * The yaml package, loaded on first use: the fast reader (source-fast.ts) reads valid model files
 * without it, so a command on valid files never loads it (a quarter of the bundle's code).
 */
function yaml(): YamlPackage {
  return (yamlPackage ??= createRequire(import.meta.url)('yaml') as YamlPackage);
}

export type Located =
  | { readonly type: 'scalar'; readonly value: string | number | boolean | null; readonly pos: SourcePos }
  | { readonly type: 'seq'; readonly items: readonly Located[]; readonly pos: SourcePos }
  | { readonly type: 'map'; readonly entries: readonly MapEntry[]; readonly pos: SourcePos };

export type LocatedMap = Located & { type: 'map' };
export type LocatedSeq = Located & { type: 'seq' };

export interface MapEntry {
  readonly key: string;
  readonly keyPos: SourcePos;
  readonly value: Located;
}

/** The most YAML nodes a file may expand to, aliases included. Generous for real models. */
export const MAX_YAML_NODES = 1_000_000;

export class YamlBombError extends Error {}

const TOO_DEEP = 'the YAML is nested more than 200 levels deep; refusing it';

const TOO_MANY_NODES = `the file expands to more than ${grouped(MAX_YAML_NODES)} YAML nodes (aliases included); refusing it`;

/**
 * At least how many nodes the text holds, counted on the lexer's tokens, stopping once past
 * `limit`: one per block sequence item (`-`), per key's value (`:`) and per comma of a flow
 * sequence. Composing a document costs about six times lexing it, and a file of a million
 * `- relu` lines must be refused before that, not after seconds and a gigabyte.
 * Every counted token is a node the full count (sizeOf in parseYaml) counts too, so a file this
 * refuses is one it would refuse (but for commas inside a collection written as a map key, which
 * no model needs: they count here, not there).
 */
export function writtenNodesAtLeast(text: string, limit: number): number {
  // Every counted token is at least one character: a shorter text cannot pass the limit.
  if (text.length <= limit) return 0;
  let count = 0;
  /** The open flow collections, innermost last: `[` or `{`. */
  const flow: string[] = [];
  let afterScalarMark = false;
  for (const token of new (yaml().Lexer)().lex(text)) {
    // A plain or block scalar's text follows the lexer's scalar mark: whatever it says, it is text.
    if (afterScalarMark) {
      afterScalarMark = false;
      continue;
    }
    switch (token) {
      case '\u001f':
        afterScalarMark = true;
        continue;
      case '-':
      case ':':
        count++;
        break;
      case ',':
        if (flow[flow.length - 1] === '[') count++;
        break;
      case '[':
      case '{':
        flow.push(token);
        break;
      case ']':
      case '}':
        flow.pop();
        break;
      default:
        continue;
    }
    if (count > limit) return count;
  }
  return count;
}

export function parseYaml(text: string, bag: DiagnosticBag): Located | undefined {
  if (writtenNodesAtLeast(text, MAX_YAML_NODES) > MAX_YAML_NODES) {
    bag.error({ line: 1, col: 1 }, TOO_MANY_NODES);
    return undefined;
  }
  const { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  const posAt = (offset: number | undefined): SourcePos => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  // The parser recurses per nesting level and reports running out of stack as an error: the nesting limit, said once.
  const exhausted = doc.errors.find((e) => e.code === 'RESOURCE_EXHAUSTION');
  if (exhausted) bag.error(posAt(exhausted.pos[0]), TOO_DEEP);
  else for (const e of doc.errors) bag.error(posAt(e.pos[0]), `malformed YAML: ${firstLine(e.message)}`);
  if (doc.errors.length > 0) return undefined;
  // Count what the document expands to before expanding it: an alias counts as its target's size,
  // memoized, so a billion-laughs file is measured in microseconds and refused.
  const anchors = new Map<string, unknown>();
  const sizes = new Map<unknown, number>();
  /** Each alias's target, the nearest earlier node with its anchor (found in document order). */
  const aliasTarget = new Map<unknown, unknown>();
  const sizeOf = (node: unknown): number => {
    if (node === null || typeof node !== 'object') return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 1); // a self-referencing alias counts once instead of looping
    let size = 1;
    const n = node as YamlNode;
    if (isAlias(n)) {
      aliasTarget.set(n, anchors.get(n.source));
      size = sizeOf(anchors.get(n.source));
    } else if (isSeq(n)) for (const item of n.items) size += sizeOf(item);
    else if (isMap(n)) for (const pair of n.items) size += sizeOf(pair.value);
    if (!isAlias(n) && (n as { anchor?: string }).anchor) anchors.set((n as { anchor: string }).anchor, n);
    size = Math.min(size, Number.MAX_SAFE_INTEGER);
    sizes.set(node, size);
    return size;
  };
  if (sizeOf(doc.contents) > MAX_YAML_NODES) {
    bag.error({ line: 1, col: 1 }, TOO_MANY_NODES);
    return undefined;
  }
  let budget = MAX_YAML_NODES;
  const convert = (node: unknown, depth: number): Located => {
    if (--budget < 0) {
      throw new YamlBombError(TOO_MANY_NODES);
    }
    if (depth > 200) throw new YamlBombError(TOO_DEEP);
    if (node === null || node === undefined) return { type: 'scalar', value: null, pos: posAt(0) };
    const yamlNode = node as YamlNode;
    const pos = posAt(yamlNode.range?.[0]);
    if (isAlias(yamlNode)) {
      const target = aliasTarget.get(yamlNode);
      if (!target) throw new YamlBombError(`unknown alias *${yamlNode.source}`);
      return convert(target, depth + 1);
    }
    if (isScalar(yamlNode)) {
      const v = yamlNode.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { type: 'scalar', value: v, pos };
      if (typeof v === 'bigint') return { type: 'scalar', value: Number(v), pos };
      // Any other scalar the YAML schema makes (none in the core schema) is kept as its text.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      return { type: 'scalar', value: String(v), pos };
    }
    if (isSeq(yamlNode)) {
      return { type: 'seq', items: yamlNode.items.map((item) => convert(item, depth + 1)), pos };
    }
    if (isMap(yamlNode)) {
      const entries: MapEntry[] = [];
      for (const pair of yamlNode.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YamlNode | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : '';
        const keyPos = posAt(keyNode?.range?.[0]);
        // A key with no value (`relu:`) holds null, positioned at its key.
        const value =
          pair.value === null || pair.value === undefined
            ? { type: 'scalar' as const, value: null, pos: keyPos }
            : convert(pair.value, depth + 1);
        entries.push({ key, keyPos, value });
      }
      return { type: 'map', entries, pos };
    }
    return { type: 'scalar', value: null, pos };
  };
  try {
    return convert(doc.contents, 0);
  } catch (e) {
    if (e instanceof YamlBombError) {
      bag.error({ line: 1, col: 1 }, e.message);
      return undefined;
    }
    throw e;
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

export function entry(map: LocatedMap, key: string): MapEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/** A located value as plain data, for values that need no positions inside (lists of ints, maps of params). */
export function plain(node: Located): unknown {
  switch (node.type) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(plain);
    case 'map':
      return Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]));
  }
}
