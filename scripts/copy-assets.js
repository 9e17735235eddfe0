#!/usr/bin/env node
/**
 * Part of `npm run build`: copies the files that are no TypeScript and that the library reads
 * beside its modules (the HTML report's page-script.js and page-style.css) from src/ to dist/; tsc copies only
 * what it compiles.
 */
import { copyFileSync, mkdirSync } from 'node:fs';

const ASSETS = ['report/html/page-script.js', 'report/html/page-style.css'];
for (const file of ASSETS) {
  const to = new URL(`../dist/${file}`, import.meta.url);
  mkdirSync(new URL('.', to), { recursive: true });
  copyFileSync(new URL(`../src/${file}`, import.meta.url), to);
}
