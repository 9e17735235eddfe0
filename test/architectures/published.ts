/**
 * torchvision's published GFLOPS (test/fixtures/torchvision/published.json: per weights, the
 * figure, the resolution it was measured at and the exact MACs there), checked against a bundled
 * model at each of its resolutions.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { loadBundled } from '../../src/index.js';
import { macs } from './torchvision.js';

interface PublishedWeights {
  readonly gflops: number;
  readonly resolution: number;
  readonly macs: number;
}

interface PublishedModel {
  readonly num_params: number;
  readonly weights: Readonly<Record<string, PublishedWeights>>;
}

const PUBLISHED = JSON.parse(readFileSync(new URL('../fixtures/torchvision/published.json', import.meta.url), 'utf8')) as Readonly<
  Record<string, PublishedModel>
>;

/** The published figures of `model`, one per distinct resolution. */
export function publishedFigures(model: string): PublishedWeights[] {
  const byResolution = new Map<number, PublishedWeights>();
  for (const w of Object.values(PUBLISHED[model].weights)) byResolution.set(w.resolution, w);
  return [...byResolution.values()];
}

/**
 * One test per published resolution of `model`: our conv + linear MACs there are the exact
 * count of published.json and round to the published GFLOPS (3 decimals).
 */
export function itHasPublishedMacs(model: string): void {
  for (const { gflops, resolution, macs: exact } of publishedFigures(model)) {
    it(`${model} at ${resolution}x${resolution}: ${gflops} GFLOPS published, ${exact.toLocaleString('en-US')} MACs`, () => {
      const ours = macs(loadBundled(model, { input: [3, resolution, resolution] }));
      expect(ours).toBe(exact);
      expect(Math.round(ours / 1e6) / 1e3).toBe(gflops);
    });
  }
}
