#!/usr/bin/env node
// Long fuzz campaigns: `npm run fuzz -- --seed S --count N [--time-bound MS] [--examples]`.
// The fuzzer is TypeScript under test/fuzz/; Vite's module runner loads it as vitest does.
import { runnerImport } from 'vite';

const { module } = await runnerImport(new URL('../test/fuzz/campaign.ts', import.meta.url).pathname, {
  configFile: false,
  logLevel: 'error',
});
process.exitCode = await module.main(process.argv.slice(2));
