#!/usr/bin/env node
/**
 * The built-in engine (issue #13): per model, the steady pass at 1 and 2 threads and the first
 * pass, for the plan (the fast engine) and the reference path (the engine before it), and
 * onnxruntime-node when /tmp/ortbench has it and the model's ONNX export (see docs/metrics.md
 * "Execute mode" for how to make them); then the conv GEMM steps' GMAC/s per shape class.
 * Each measurement is a fresh process (bench/engine-pass.js), repeated REPEAT times (default 3):
 * the tables give medians, of wall time and of the process's CPU time (on a shared machine the
 * CPU time of a 1-thread pass says more), and the load (`uptime`) before and after.
 *
 *   node bench/engine.js                 (npm run bench runs it last)
 *   ENGINE_MODELS=resnet18,resnet50 REPEAT=5 node bench/engine.js
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const MODELS = (process.env.ENGINE_MODELS ?? 'resnet50,resnet18,densenet121,googlenet,vgg16,mobilenet_v2').split(',');
const REPEAT = Number(process.env.REPEAT ?? 3);
const PASSES = Number(process.env.PASSES ?? 5);
const passScript = fileURLToPath(new URL('./engine-pass.js', import.meta.url));
const ortHere = existsSync('/tmp/ortbench/node_modules/onnxruntime-node');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => (Number.isNaN(ms) ? '–' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function measure(model, threads, engine) {
  const runs = [];
  for (let i = 0; i < REPEAT; i++) {
    const r = spawnSync(process.execPath, [passScript, model, String(threads), engine, String(PASSES)], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.error(`bench/engine: ${model} ${engine} ${threads}: ${r.stderr.trim().split('\n').slice(-1)[0]}`);
      return undefined;
    }
    runs.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  const steadyOf = (run, key) => median(run.steady.map((s) => s[key]));
  return {
    steady: median(runs.map((r) => steadyOf(r, 'ms'))),
    steadyCpu: median(runs.map((r) => steadyOf(r, 'cpu'))),
    first: median(runs.map((r) => r.first.ms)),
    firstCpu: median(runs.map((r) => r.first.cpu)),
    loadMs: median(runs.map((r) => r.loadMs)),
    classes: runs[runs.length - 1].classes,
  };
}

console.log('## Execute engine: steady and first pass, plan vs reference vs onnxruntime-node\n');
console.log(
  `Load before: ${load()} (${os.cpus().length} cores); medians of ${REPEAT} processes x ${PASSES} steady passes; batch 1, 224x224, PyTorch default init.\n`,
);
console.log(
  '| model | engine | 1 thread ms (CPU ms) | 2 threads ms | 1T / 2T | first pass ms (CPU ms) | first / steady | load ms | 1T / ORT 1T |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
const classes = {};
for (const model of MODELS) {
  const ort = ortHere && existsSync(`/tmp/ortbench/${model}.onnx`) ? measure(model, 1, 'ort') : undefined;
  const ort2 = ort ? measure(model, 2, 'ort') : undefined;
  for (const engine of ['plan', 'reference', ...(ort ? ['ort'] : [])]) {
    const one = engine === 'ort' ? ort : measure(model, 1, engine);
    const two = engine === 'ort' ? ort2 : measure(model, 2, engine);
    if (!one) continue;
    if (engine === 'plan' && one.classes) {
      for (const [k, v] of Object.entries(one.classes)) {
        const c = (classes[k] ??= { ms: 0, macs: 0, bytes: 0 });
        c.ms += v.ms;
        c.macs += v.macs;
        c.bytes += v.bytes;
      }
    }
    const ratio = ort ? (one.steadyCpu / ort.steadyCpu).toFixed(2) + ' (CPU) / ' + (one.steady / ort.steady).toFixed(2) : '–';
    console.log(
      `| ${model} | ${engine} | ${fmt(one.steady)} (${fmt(one.steadyCpu)}) | ${two ? fmt(two.steady) : '–'} | ${two ? (one.steady / two.steady).toFixed(2) : '–'} | ${fmt(one.first)} (${fmt(one.firstCpu)}) | ${(one.first / one.steady).toFixed(2)} | ${fmt(one.loadMs)} | ${ratio} |`,
    );
  }
}
console.log(`\nLoad after: ${load()}. \`uptime\`: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}\n`);
console.log('Conv steps of the plan, 1 thread, steady, over the models above (fused step time: packing, GEMM and epilogue):\n');
console.log('| shape class | MACs | ms | GMAC/s | GB/s (input + output) |');
console.log('|---|---:|---:|---:|---:|');
for (const [k, c] of Object.entries(classes).sort((a, b) => b[1].macs - a[1].macs)) {
  console.log(
    `| ${k} | ${(c.macs / 1e6).toFixed(0)} M | ${fmt(c.ms)} | ${(c.macs / c.ms / 1e6).toFixed(1)} | ${(c.bytes / c.ms / 1e6).toFixed(1)} |`,
  );
}
if (!ortHere)
  console.log(
    '\n(onnxruntime-node not in /tmp/ortbench: `ONNXRUNTIME_NODE_INSTALL=skip npm i --no-save onnxruntime-node@1.30.0` there for the ORT column.)',
  );
