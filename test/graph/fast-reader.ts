/**
 * The fast YAML reader's contract (src/graph/source-fast.ts), as a check on one text: it gives
 * up (undefined), or it gives exactly the full reader's tree, values and positions, for a text the
 * full reader reads without a problem. Used by the differential test and by the fuzzer's oracle.
 */
import { DiagnosticBag } from '../../src/graph/diagnostics.js';
import { parseYaml, type Located } from '../../src/graph/source.js';
import { parseYamlFast } from '../../src/graph/source-fast.js';

/** Where the fast reader's tree differs from the full reader's, or undefined when it does not. */
export function fastReaderMismatch(text: string): string | undefined {
  const fast = parseYamlFast(text);
  if (fast === undefined) return undefined;
  const bag = new DiagnosticBag('');
  const full = parseYaml(text, bag);
  const problem = bag.sorted()[0];
  if (problem) return `the fast reader read a text the full reader refuses (${problem.pos.line}:${problem.pos.col}: ${problem.message})`;
  return difference(fast, full!, '$');
}

function difference(a: Located, b: Located, at: string): string | undefined {
  const pos = (x: Located) => `${x.pos.line}:${x.pos.col}`;
  if (a.type !== b.type) return `${at}: ${a.type} vs ${b.type}`;
  if (pos(a) !== pos(b)) return `${at}: at ${pos(a)} vs ${pos(b)}`;
  if (a.type === 'scalar' && b.type === 'scalar') {
    return Object.is(a.value, b.value) ? undefined : `${at}: ${typeof a.value} ${String(a.value)} vs ${typeof b.value} ${String(b.value)}`;
  }
  if (a.type === 'seq' && b.type === 'seq') {
    if (a.items.length !== b.items.length) return `${at}: ${a.items.length} items vs ${b.items.length}`;
    for (let i = 0; i < a.items.length; i++) {
      const d = difference(a.items[i], b.items[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a.type === 'map' && b.type === 'map') {
    if (a.entries.length !== b.entries.length) return `${at}: ${a.entries.length} entries vs ${b.entries.length}`;
    for (let i = 0; i < a.entries.length; i++) {
      const [x, y] = [a.entries[i], b.entries[i]];
      if (x.key !== y.key) return `${at}: key ${JSON.stringify(x.key)} vs ${JSON.stringify(y.key)}`;
      const kp = (e: typeof x) => `${e.keyPos.line}:${e.keyPos.col}`;
      if (kp(x) !== kp(y)) return `${at}.${x.key}: key at ${kp(x)} vs ${kp(y)}`;
      const d = difference(x.value, y.value, `${at}.${x.key}`);
      if (d) return d;
    }
  }
  return undefined;
}
