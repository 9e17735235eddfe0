/**
 * A fuzz campaign: `count` cases from `seed`, each run and judged (oracle.ts), tallied by outcome
 * class, known failures (known.ts) apart. `npm run fuzz -- --seed S --count N` runs one (through
 * scripts/fuzz.mjs) and prints one summary line; the bounded test (fuzz.test.ts) runs a small one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fuzzCase, type Case } from './cases.js';
import { knownFailure } from './known.js';
import { CORRECT, modelText, runCase, type Outcome, type RunOptions } from './oracle.js';

export interface CampaignOptions extends Omit<RunOptions, 'recheck'> {
  readonly seed: number;
  /** Run one exit-0 case in this many twice, to check the output is byte-identical (1: every one). */
  readonly recheckEvery: number;
  readonly count: number;
  /** Called for each failure, known or not. */
  readonly onFailure?: (c: Case, o: Outcome, known: string | undefined) => void;
}

export interface CampaignResult {
  /** Cases per class: ok, exit1, exit2, each failure class, and `known:<id>`. */
  readonly counts: Readonly<Record<string, number>>;
  /** The first case and outcome of each failure class (by class and detail pattern). */
  readonly examples: ReadonlyMap<string, { readonly c: Case; readonly o: Outcome }>;
  readonly ms: number;
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const start = performance.now();
  const counts: Record<string, number> = {};
  const examples = new Map<string, { c: Case; o: Outcome }>();
  // fc.sample is deterministic for a seed: the same seed gives the same cases.
  const cases = fc.sample(fuzzCase, { seed: options.seed, numRuns: options.count });
  for (const [i, c] of cases.entries()) {
    const o = await runCase(c, { timeBound: options.timeBound, recheck: i % options.recheckEvery === 0 });
    const known = CORRECT.has(o.cls) ? undefined : knownFailure(o, c)?.id;
    const cls = known ? `known:${known}` : o.cls;
    counts[cls] = (counts[cls] ?? 0) + 1;
    if (!CORRECT.has(o.cls)) {
      const key = `${cls} ${signature(o.detail)}`;
      if (!examples.has(key)) examples.set(key, { c, o });
      options.onFailure?.(c, o, known);
    }
  }
  return { counts, examples, ms: performance.now() - start };
}

/** A failure's detail with names, numbers and paths blurred, to group failures by cause. */
export function signature(detail: string): string {
  return detail
    .replace(/\/[^\s:']+/g, '<path>')
    .replace(/<stdin>/g, '<path>')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\d+/g, 'N')
    .slice(0, 160);
}

/** One line: the count of every class, correct ones first. */
export function summaryLine(r: CampaignResult, seed: number): string {
  const order = (k: string) => (k === 'ok' ? 0 : k === 'exit1' ? 1 : k === 'exit2' ? 2 : k.startsWith('known:') ? 4 : 3);
  const keys = Object.keys(r.counts).sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1));
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
  return `fuzz seed ${seed}: ${total} cases in ${(r.ms / 1000).toFixed(1)} s: ${keys.map((k) => `${k} ${r.counts[k]}`).join(', ')}`;
}

/** The script's entry point: `--seed S --count N [--time-bound MS] [--recheck-every K] [--examples] [--save DIR]`. */
export async function main(argv: readonly string[]): Promise<number> {
  const arg = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    const v = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name}: expected a non-negative integer`);
    return v;
  };
  const seed = arg('--seed', 1);
  const count = arg('--count', 1000);
  const timeBound = arg('--time-bound', 2000);
  const recheckEvery = Math.max(1, arg('--recheck-every', 1));
  const r = await runCampaign({ seed, count, timeBound, recheckEvery });
  const save = argv.indexOf('--save') >= 0 ? argv[argv.indexOf('--save') + 1] : undefined;
  if (save) mkdirSync(save, { recursive: true });
  if (argv.includes('--examples') || save) {
    let n = 0;
    for (const [key, { c, o }] of r.examples) {
      process.stdout.write(`\n== ${key}\n${o.argv.join(' ')}\n${o.detail}\n`);
      if (!save) continue;
      // The example as files: the model (or binary file) and the command that shows the failure.
      const base = join(save, `${String(n++).padStart(3, '0')}-${o.cls}`);
      if (c.source === 'generated' || c.source === 'mutated') writeFileSync(`${base}.yaml`, modelText(c));
      else writeFileSync(`${base}.${c.source === 'weights' ? 'safetensors' : 'npy'}`, c.bytes);
      writeFileSync(
        `${base}.txt`,
        `${key}\n${o.argv.map((a) => (/[^\w./=,:-]/.test(a) ? `'${a}'` : a)).join(' ')}${o.stdin !== undefined ? ' < model.yaml' : ''}\n\n${o.result.stderr}\n${JSON.stringify(c)}\n`,
      );
    }
  }
  process.stdout.write(`${summaryLine(r, seed)}\n`);
  return Object.keys(r.counts).some((k) => !['ok', 'exit1', 'exit2'].includes(k) && !k.startsWith('known:')) ? 1 : 0;
}
