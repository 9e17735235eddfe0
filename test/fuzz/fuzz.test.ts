/**
 * The bounded fuzz run of `npm test` (issue 10): a fixed seed, a few thousand cases through every
 * command (oracle.ts says what is judged), in about ten seconds. Failures listed in known.ts
 * (causes in the YAML front end, being fixed there) are tolerated and counted; any other failure
 * fails the test with its case, command and output. Long campaigns: `npm run fuzz -- --seed S --count N`.
 */
import { describe, expect, it } from 'vitest';
import { runCampaign, summaryLine } from './campaign.js';
import type { Case } from './cases.js';
import { KNOWN_FAILURES } from './known.js';
import { runArgv } from './oracle.js';

const SEED = 10;
const COUNT = 2000;

describe('fuzz (bounded)', () => {
  it(`${COUNT} cases from seed ${SEED}: exit 0/1/2, positioned errors, valid exact JSON, sums, determinism`, async () => {
    const failures: string[] = [];
    const r = await runCampaign({
      seed: SEED,
      count: COUNT,
      // Generous: CI shares its 2 cores; the campaign's default bound is 2 s.
      timeBound: 10_000,
      recheckEvery: 5,
      onFailure: (c, o, known) => {
        if (!known)
          failures.push(
            `${o.cls}: ${o.detail}\n  $ ${o.argv.join(' ')}\n  stderr: ${o.result.stderr.slice(0, 500)}\n  case: ${JSON.stringify(c).slice(0, 1500)}`,
          );
      },
    });
    console.log(summaryLine(r, SEED));
    expect(failures, failures.join('\n\n')).toEqual([]);
    // The run exercised every outcome: reports, failed verdicts and clean errors.
    expect(r.counts['ok']).toBeGreaterThan(COUNT / 4);
    expect(r.counts['exit1']).toBeGreaterThan(0);
    expect(r.counts['exit2']).toBeGreaterThan(COUNT / 4);
  }, 120_000);

  it('every known failure still reproduces (when one is fixed, delete its entry in known.ts)', async () => {
    for (const k of KNOWN_FAILURES) {
      const o = await runArgv(k.demo.argv, k.demo.stdin);
      const asCase: Case = {
        source: 'generated',
        text: k.demo.stdin ?? '',
        command: { name: 'analyze', options: [] },
        stdin: true,
        set: [],
      };
      expect(
        k.matches(o, asCase),
        `known failure '${k.id}' no longer reproduces (${o.cls}: ${o.result.stderr.slice(0, 200)}): delete it from test/fuzz/known.ts`,
      ).toBe(true);
    }
  });

  // Found by a 100,000-case campaign (seed 2026): past the 1,000 problems a model reports, the
  // rest are counted on one line; the oracle accepts that line and checks its count.
  it('judges a model of more problems than are reported', async () => {
    const text = `input: [1]\nlayers:\n${Array.from({ length: 1500 }, (_, i) => `  - relu: {foo${i}: 1}\n`).join('')}`;
    const o = await runArgv(['analyze', '-'], text);
    expect(o.result.stderr.split('\n').slice(-3)).toEqual(['... and 500 more problems', '1500 errors', '']);
    expect(o.cls).toBe('exit2');
  });

  it('every known failure names its issue item, folder and reproducer', () => {
    for (const k of KNOWN_FAILURES) {
      expect(k.id).toMatch(/^[a-z-]+$/);
      expect(k.item).toMatch(/issue 10/);
      expect(k.folder).toMatch(/^src\//);
      expect(k.reproducer).toMatch(/C (analyze|graph|diff|check|run)/);
    }
  });
});
