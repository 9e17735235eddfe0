#!/usr/bin/env node
// The CLI as `npm run build` bundles it (scripts/bundle.mjs): a few files for Node to load, not ~150 modules.
import { main } from '../dist/bundle/main.js';

await main();
