/**
 * Known failure classes: failures the fuzzer finds whose causes are in the YAML front end
 * (src/graph/), tracked in issue 10. The bounded fuzz test tolerates them; the long campaign
 * reports them as their own class (`known:<id>`). Each has the issue item, a reproducer and a
 * matcher on the outcome. When a fix lands, delete its entry: the test then holds the fix.
 */
import type { Case } from './cases.js';
import { modelText, type Outcome } from './oracle.js';

export interface KnownFailure {
  readonly id: string;
  /** The item of issue 10 it belongs to. */
  readonly item: string;
  /** Where the cause lives. */
  readonly folder: string;
  readonly summary: string;
  /** A shell command that shows it (`C` is `node bin/cnnscope.js`). */
  readonly reproducer: string;
  /** The same, run in-process by the test that checks every entry still reproduces. */
  readonly demo: { readonly argv: readonly string[]; readonly stdin?: string };
  readonly matches: (outcome: Outcome, c: Case) => boolean;
}

const internal = (o: Outcome, message: RegExp) => o.cls === 'internal' && message.test(o.result.stderr);
const text = (o: Outcome, c: Case) => o.stdin ?? (c.source === 'generated' || c.source === 'mutated' ? modelText(c) : '');

export const KNOWN_FAILURES: readonly KnownFailure[] = [
  {
    id: 'cyclic-set',
    item: "issue 10: --set 'cfg=&a [*a]'",
    folder: 'src/graph/ (values from src/cli/load.ts parseSets)',
    summary:
      'a --set value that is a YAML alias cycle reaches the front end as a cyclic array: "Converting circular structure to JSON" or "Maximum call stack size exceeded"',
    reproducer: "C analyze vgg16 --set 'cfg=&a [*a]'; C analyze lecture/padding_stride --set 'stride=&a [*a]'",
    demo: { argv: ['analyze', 'vgg16', '--set', 'cfg=&a [*a]'] },
    matches: (o) => internal(o, /circular structure|Maximum call stack/) && o.argv.some((a) => a.includes('*a')),
  },
  {
    id: 'deep-nesting',
    item: 'issue 10: deep expression nesting',
    folder: 'src/graph/expr.ts',
    summary:
      'an expression nested a few thousand levels deep (how many depends on the stack left) (parentheses, lists) overflows the recursive parser: "Maximum call stack size exceeded"',
    reproducer:
      "python3 -c \"print('input: [1, 4, 4]\\nlayers:\\n  - conv: {out: \\\"\\${' + '('*50000 + '1' + ')'*50000 + '}\\\", kernel: 1}')\" | C analyze -",
    demo: {
      argv: ['analyze', '-'],
      stdin: `input: [1, 4, 4]\nlayers:\n  - conv: {out: "\${${'('.repeat(50000)}1${')'.repeat(50000)}}", kernel: 1}\n`,
    },
    matches: (o, c) => internal(o, /Maximum call stack/) && /[([{-]{500}/.test(text(o, c)),
  },
  {
    id: 'repeated-errors',
    item: 'issue 10: errors repeated per repeat copy',
    folder: 'src/graph/',
    summary:
      'one problem is reported once per repeat copy or block instance (and a malformed nested flow collection once per bracket): identical error lines',
    reproducer:
      "printf 'input: [1, 4, 4]\\nlayers:\\n  - relu: {if: [1, 2], repeat: 3}\\n' | C analyze -   # also: residual: {body: [relu], stride: 2, repeat: 3}; a flow list nested 90 deep with a comment inside",
    demo: { argv: ['analyze', '-'], stdin: 'input: [1, 4, 4]\nlayers:\n  - relu: {if: [1, 2], repeat: 3}\n' },
    matches: (o) => o.cls === 'duplicate-errors',
  },
  {
    id: 'control-chars',
    item: 'issue 10: one line per problem',
    folder: 'src/graph/',
    summary:
      'user text quoted in an error (a key, an argument name) keeps its carriage returns and control characters, so one error prints as broken lines',
    reproducer: 'printf \'input: [1, 4, 4]\\nlayers:\\n  - conv: {out: 1, kernel: 1, "ker\\\\rnel": 1}\\n\' | C analyze -',
    demo: { argv: ['analyze', '-'], stdin: 'input: [1, 4, 4]\nlayers:\n  - conv: {out: 1, kernel: 1, "ker\\rnel": 1}\n' },
    matches: (o) => o.cls === 'control-chars',
  },
  {
    id: 'empty-model',
    item: 'issue 10: exit 0 JSON validates against the schema',
    folder: 'src/graph/ (or schema/report.schema.json)',
    summary:
      'a model whose every layer is skipped (`if` false) analyzes to a report with no layers, which the schema refuses (layers: minItems 1): the front end should refuse it, or the schema allow it',
    reproducer: "printf 'input: [1, 4, 4]\\nlayers:\\n  - relu: {if: false}\\n' | C analyze - --json",
    demo: { argv: ['analyze', '-', '--json'], stdin: 'input: [1, 4, 4]\nlayers:\n  - relu: {if: false}\n' },
    matches: (o) => o.cls === 'schema-invalid' && /\/layers must NOT have fewer than 1 items/.test(o.detail),
  },
];

export function knownFailure(outcome: Outcome, c: Case): KnownFailure | undefined {
  return KNOWN_FAILURES.find((k) => k.matches(outcome, c));
}
