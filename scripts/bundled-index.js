#!/usr/bin/env node
/**
 * Part of `npm run build`: writes dist/bundled-index.json, the names, files, presets, families and
 * sources of architectures/, so that resolving one bundled name reads one index instead of
 * every file's header. test/bundled.test.ts checks it against a fresh scan.
 */
import { writeFileSync } from 'node:fs';
import { BUNDLED_INDEX, bundledIndex, scanBundled } from '../dist/bundled.js';

writeFileSync(BUNDLED_INDEX, bundledIndex(scanBundled()));
