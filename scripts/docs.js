#!/usr/bin/env node
/**
 * `npm run docs`: rewrites the generated kind tables of docs/format.md and docs/metrics.md from
 * the layer registry (src/layers/docs.ts, built into dist/). test/layers/docs.test.ts fails when
 * they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { GENERATED_DOCS, renderDocs } from '../dist/layers/docs.js';

for (const file of Object.keys(GENERATED_DOCS)) {
  const url = new URL(`../${file}`, import.meta.url);
  const old = readFileSync(url, 'utf8');
  const text = renderDocs(file, old);
  if (text === old) {
    console.log(`${file}: up to date`);
  } else {
    writeFileSync(url, text);
    console.log(`${file}: updated`);
  }
}
