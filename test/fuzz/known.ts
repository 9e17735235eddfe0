/**
 * Known failure classes: failures the fuzzer finds whose causes are in the YAML front end
 * (src/graph/), tracked in issue 10. The bounded fuzz test tolerates them; the long campaign
 * reports them as their own class (`known:<id>`). Each has the issue item, a reproducer and a
 * matcher on the outcome. When a fix lands, delete its entry: the test then holds the fix.
 */
import type { Case } from './cases.js';
import type { Outcome } from './oracle.js';

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

/** None now: the five classes listed first (a self-containing `--set` value, deep expressions, errors repeated per copy, control characters in errors, a model of no layers) are fixed, with tests in test/graph/hardening.test.ts. */
export const KNOWN_FAILURES: readonly KnownFailure[] = [];

export function knownFailure(outcome: Outcome, c: Case): KnownFailure | undefined {
  return KNOWN_FAILURES.find((k) => k.matches(outcome, c));
}
