/**
 * torchvision's published figures (test/fixtures/torchvision/published.json, see the README
 * there): per weights, the GFLOPS torchvision publishes at the weights' resolution, and the
 * exact conv + linear MACs its hooks count there. A family's tests check that each model, built
 * at that resolution, has those MACs, which round to the published GFLOPS.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../src/index.js';
import { macs } from './torchvision.js';

export interface PublishedWeights {
  readonly gflops: number;
  readonly resolution: number;
  readonly macs: number;
}

export interface PublishedModel {
  readonly num_params: number;
  readonly default_weights: string;
  /** `[h, w]`: the smallest input torchvision accepts. */
  readonly min_size: readonly [number, number];
  readonly weights: Readonly<Record<string, PublishedWeights>>;
}

const PUBLISHED = JSON.parse(readFileSync(new URL('../fixtures/torchvision/published.json', import.meta.url), 'utf8')) as Readonly<
  Record<string, PublishedModel>
>;

/** The published entry of a torchvision model (`mobilenet_v2`, ...). */
export function published(model: string): PublishedModel {
  const entry = PUBLISHED[model];
  if (!entry) throw new Error(`no model '${model}' in published.json`);
  return entry;
}

/** GFLOPS as torchvision writes them: MACs in units of 1e9, rounded to 3 decimals. */
export function gflops(macCount: number): number {
  return Math.round(macCount / 1e6) / 1000;
}

/** For each model: the published parameter count, and the published MACs and GFLOPS of every weights at its resolution. */
export function describePublished(title: string, models: readonly string[]): void {
  describe(title, () => {
    for (const model of models) {
      const entry = published(model);
      for (const [weights, figures] of Object.entries(entry.weights)) {
        it(`${model} ${weights}: ${figures.gflops} GFLOPS at ${figures.resolution}x${figures.resolution}`, () => {
          const graph = loadBundled(model, { input: [3, figures.resolution, figures.resolution] });
          expect(macs(graph)).toBe(figures.macs);
          expect(gflops(macs(graph))).toBe(figures.gflops);
        });
      }
    }
  });
}

/** The published figures of `model`, one per distinct resolution. */
export function publishedFigures(model: string): PublishedWeights[] {
  const byResolution = new Map<number, PublishedWeights>();
  for (const w of Object.values(published(model).weights)) byResolution.set(w.resolution, w);
  return [...byResolution.values()];
}

/**
 * One test per published resolution of `model`: our conv + linear MACs there are the exact
 * count of published.json and round to the published GFLOPS (3 decimals).
 */
export function itHasPublishedMacs(model: string): void {
  for (const { gflops: published_, resolution, macs: exact } of publishedFigures(model)) {
    it(`${model} at ${resolution}x${resolution}: ${published_} GFLOPS published, ${exact.toLocaleString('en-US')} MACs`, () => {
      const ours = macs(loadBundled(model, { input: [3, resolution, resolution] }));
      expect(ours).toBe(exact);
      expect(gflops(ours)).toBe(published_);
    });
  }
}
