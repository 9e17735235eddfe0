#!/usr/bin/env node
/**
 * The built-in engine (issue #13): per model, the steady pass at 1 and 2 threads and the first
 * pass, for the plan (the fast engine) and the reference path (the engine before it), against
 * onnxruntime-node (the repo's dev dependency, on the model's export by `cnnscope export`, made in
 * a temporary directory) and against frozen PyTorch (torch.jit.trace, freeze,
 * optimize_for_inference) when Debian's python3-torch is installed; then the conv steps' GMAC/s
 * per shape class.
 * Each measurement is a fresh process (bench/engine-pass.js), repeated REPEAT times (default 3):
 * the tables give medians, of wall time and of the process's CPU time (on a shared machine the
 * CPU time of a 1-thread pass says more), and the load (`uptime`) before and after.
 *
 *   node bench/engine.js                 (npm run bench runs it last)
 *   ENGINE_MODELS=resnet18,resnet50 REPEAT=5 node bench/engine.js
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MODELS = (process.env.ENGINE_MODELS ?? 'resnet50,resnet18,densenet121,googlenet,vgg16,mobilenet_v2').split(',');
const REPEAT = Number(process.env.REPEAT ?? 3);
const PASSES = Number(process.env.PASSES ?? 5);
const passScript = fileURLToPath(new URL('./engine-pass.js', import.meta.url));
const ortHere = (() => {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
})();
const cli = fileURLToPath(new URL('../bin/cnnscope.js', import.meta.url));
const onnxDir = mkdtempSync(join(os.tmpdir(), 'cnnscope-engine-'));
process.on('exit', () => rmSync(onnxDir, { recursive: true, force: true }));
/** The model's ONNX file for onnxruntime, exported by cnnscope (the same network and weights the plan runs). */
function exported(model) {
  const file = join(onnxDir, `${model}.onnx`);
  if (!existsSync(file)) execFileSync(process.execPath, [cli, 'export', model, '--onnx', file], { stdio: 'ignore' });
  return file;
}
const python = '/usr/bin/python3';
const hasTorch = existsSync(python) && spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
/** Frozen PyTorch in one process: the first pass after freezing and PASSES steady passes, wall and CPU ms. */
const TORCH_PASS = (model, threads) =>
  [
    'import json, time, resource, torch, torchvision',
    `torch.set_num_threads(${threads})`,
    `m = torchvision.models.${model}(weights=None).eval()`,
    'x = torch.randn(1, 3, 224, 224)',
    'cpu = lambda: (lambda r: (r.ru_utime + r.ru_stime) * 1000)(resource.getrusage(resource.RUSAGE_SELF))',
    'def timed(f):',
    '    c, t = cpu(), time.perf_counter(); f(); return {"ms": (time.perf_counter() - t) * 1000, "cpu": cpu() - c}',
    'with torch.no_grad():',
    '    t0 = time.perf_counter()',
    '    f = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(m, x)))',
    '    load = (time.perf_counter() - t0) * 1000',
    '    first = timed(lambda: f(x))',
    `    steady = [timed(lambda: f(x)) for _ in range(${PASSES})]`,
    'print(json.dumps({"loadMs": load, "first": first, "steady": steady}))',
  ].join('\n');

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
    const r =
      engine === 'torch'
        ? spawnSync(python, ['-c', TORCH_PASS(model, threads)], { encoding: 'utf8' })
        : spawnSync(process.execPath, [passScript, model, String(threads), engine, String(PASSES), onnxDir], { encoding: 'utf8' });
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

console.log('## Execute engine: steady and first pass, plan vs reference vs onnxruntime-node vs frozen PyTorch\n');
console.log(
  `Load before: ${load()} (${os.cpus().length} cores); medians of ${REPEAT} processes x ${PASSES} steady passes; batch 1, 224x224, PyTorch default init.\n`,
);
console.log(
  '| model | engine | 1 thread ms (CPU ms) | 2 threads ms | 1T / 2T | first pass ms (CPU ms) | first / steady | load ms | 1T / ORT 1T (CPU / wall) | 1T / torch 1T |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
const classes = {};
for (const model of MODELS) {
  const ort = ortHere && exported(model) ? measure(model, 1, 'ort') : undefined;
  const ort2 = ort ? measure(model, 2, 'ort') : undefined;
  const torch = hasTorch ? measure(model, 1, 'torch') : undefined;
  const torch2 = torch ? measure(model, 2, 'torch') : undefined;
  const peers = { ort: [ort, ort2], torch: [torch, torch2] };
  for (const engine of ['plan', 'reference', ...(ort ? ['ort'] : []), ...(torch ? ['torch'] : [])]) {
    const [one, two] = peers[engine] ?? [measure(model, 1, engine), measure(model, 2, engine)];
    if (!one) continue;
    if (engine === 'plan' && one.classes) {
      for (const [k, v] of Object.entries(one.classes)) {
        const c = (classes[k] ??= { ms: 0, macs: 0, bytes: 0 });
        c.ms += v.ms;
        c.macs += v.macs;
        c.bytes += v.bytes;
      }
    }
    const ratio = ort ? (one.steadyCpu / ort.steadyCpu).toFixed(2) + ' / ' + (one.steady / ort.steady).toFixed(2) : '–';
    const torchRatio = torch ? (one.steady / torch.steady).toFixed(2) : '–';
    const name = engine === 'torch' ? 'torch (frozen)' : engine;
    console.log(
      `| ${model} | ${name} | ${fmt(one.steady)} (${fmt(one.steadyCpu)}) | ${two ? fmt(two.steady) : '–'} | ${two ? (one.steady / two.steady).toFixed(2) : '–'} | ${fmt(one.first)} (${fmt(one.firstCpu)}) | ${(one.first / one.steady).toFixed(2)} | ${fmt(one.loadMs)} | ${ratio} | ${torchRatio} |`,
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
if (!ortHere) console.log('\n(onnxruntime-node is not installed (`npm ci` installs it as a dev dependency): no ORT rows.)');
if (!hasTorch) console.log('\n(python3-torch is not installed: no PyTorch rows.)');
