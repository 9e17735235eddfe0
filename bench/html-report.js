#!/usr/bin/env node
/**
 * `npm run bench:html`: the HTML report of large models (`cnnscope report --html`): ELK's layout
 * time per fold level, the whole command's wall time, the page's size, and its open time in
 * Debian's Chromium (playwright-core): from navigation to the load event, and to the first frame
 * drawn with the graph (the page's `data-drawn`), folded to depth 1 and with every layer shown.
 * Medians of 5 opens, each in a fresh page.
 * Needs `chromium` on PATH (apt-get install chromium).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { htmlReportInput, loadBundled } from '../dist/index.js';
import { layoutView } from '../dist/report/html/layout.js';
import { nodeSize } from '../dist/report/html/graph-svg.js';

const MODELS = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['resnet152', 'densenet201', 'googlenet'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(os.tmpdir(), 'cnnscope-bench-html-'));
const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
const browser = await chromium.launch({ executablePath, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });

console.log(`${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Node ${process.version}, load ${os.loadavg()[0].toFixed(1)}`);
console.log(
  '| model | layers | levels (nodes) | ELK layout per level | `report --html` wall | size | open, `--depth 1`: load / drawn | open, every layer: load / drawn |',
);
console.log('|---|---:|---|---|---:|---:|---:|---:|');
for (const model of MODELS) {
  const graph = loadBundled(model);
  const input = htmlReportInput(graph, {}, 1, 'macs');
  const layouts = [];
  for (const level of input.levels) {
    const t = performance.now();
    await layoutView(level.view, (n) => nodeSize(n.role === 'input' ? 2 : 3));
    layouts.push(`${Math.round(performance.now() - t)} ms`);
  }
  const cells = [];
  for (const depth of [['--depth', '1'], []]) {
    const file = join(dir, `${model}${depth.join('')}.html`);
    const t = performance.now();
    execFileSync(process.execPath, ['bin/cnnscope.js', 'report', model, '--html', '-o', file, ...depth]);
    const wall = performance.now() - t;
    const loads = [];
    const frames = [];
    for (let i = 0; i < 5; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('html[data-drawn]');
      // The function runs in the page, where `document` is defined.
      /* eslint-disable no-undef */
      const { load, drawn } = await page.evaluate(() => ({
        load: performance.getEntriesByType('navigation')[0].loadEventEnd,
        drawn: Number(document.documentElement.dataset.drawn),
      }));
      /* eslint-enable no-undef */
      loads.push(load);
      frames.push(drawn);
      await page.close();
    }
    cells.push({ wall, size: statSync(file).size, load: median(loads), drawn: median(frames) });
  }
  const levels = input.levels.map((l) => `${l.depth ?? 'all'} (${l.view.nodes.length})`).join(', ');
  const [folded, all] = cells;
  const open = (c) => `${Math.round(c.load)} / ${Math.round(c.drawn)} ms`;
  console.log(
    `| ${model} | ${graph.nodes.length - 1} | ${levels} | ${layouts.join(', ')} | ${(folded.wall / 1000).toFixed(2)} s | ${(folded.size / 1024 / 1024).toFixed(2)} MiB | ${open(folded)} | ${open(all)} |`,
  );
}
await browser.close();
