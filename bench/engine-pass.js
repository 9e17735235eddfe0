#!/usr/bin/env node
/**
 * One process of bench/engine.js: `node bench/engine-pass.js <model> <threads> <engine> <passes>`
 * with engine `plan` (the fast engine), `reference` (every layer's own forward: the engine before
 * the plan) or `ort` (the repo's onnxruntime-node dev dependency, on <onnx dir>/<model>.onnx, the
 * directory given as a fifth argument: bench/engine.js exports the models there with `cnnscope export`).
 * Prints one JSON line: the load time (weights, plan), the first pass and every steady pass, in
 * wall ms and CPU ms of this process, and for the plan the time and MACs per conv shape class.
 * A fresh process per measurement, so the first pass is a first pass (nothing compiled yet).
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { loadBundled } from '../dist/index.js';
import { execute } from '../dist/execute/execute.js';
import { buildPlan, reservePlanMemory } from '../dist/execute/plan.js';
import { fillNormal, stream } from '../dist/execute/random.js';
import { createContext } from '../dist/execute/threads.js';
import { initWeights } from '../dist/execute/weights.js';

const [model, threadsText, engine, passesText, onnxDir] = process.argv.slice(2);
const threads = Number(threadsText);
const passes = Number(passesText ?? 5);
const cpuMs = (c) => (c.user + c.system) / 1000;

function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = fn();
  return { out, ms: performance.now() - t0, cpu: cpuMs(process.cpuUsage(c0)) };
}

/** The shape class of a conv for the GEMM table. */
function convClass(node) {
  const a = node.args;
  const cin = node.inputShapes[0][0];
  const p = node.outputShape[1] * node.outputShape[2];
  if (a.groups > 1 && cin / a.groups === 1) return 'depthwise';
  if (a.groups > 1) return 'grouped';
  const k = `${a.kernel[0]}x${a.kernel[1]}${a.stride[0] > 1 ? ' s2' : ''}`;
  return p <= 196 ? `${k}, P<=196` : k;
}

async function runOrt() {
  const ort = createRequire(import.meta.url)('onnxruntime-node');
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(`${onnxDir}/${model}.onnx`, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const loadMs = performance.now() - t0;
  const data = new Float32Array(3 * 224 * 224);
  fillNormal(data, stream(0, 'input'));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, 224, 224]) };
  const run = async () => {
    const c0 = process.cpuUsage();
    const s = performance.now();
    await session.run(feeds);
    return { ms: performance.now() - s, cpu: cpuMs(process.cpuUsage(c0)) };
  };
  const first = await run();
  const steady = [];
  for (let i = 0; i < passes; i++) steady.push(await run());
  return { loadMs, first, steady };
}

async function runOurs() {
  const graph = loadBundled(model);
  const ctx = await createContext(threads);
  try {
    const t0 = performance.now();
    const weights = initWeights(graph, 0, ctx.allocate);
    const input = { shape: [1, ...graph.inputShape], data: ctx.allocate(graph.inputShape.reduce((a, b) => a * b, 1)) };
    fillNormal(input.data, stream(0, 'input'));
    const plan = engine === 'plan' ? buildPlan(graph, weights, ctx.allocatePlan ?? ctx.allocate, undefined, ctx) : undefined;
    // As execute() does before the pass `run` times: the engine memory readied for the peak of the activations.
    if (plan) reservePlanMemory(ctx, graph, 1, plan);
    const loadMs = performance.now() - t0;
    const options = { weights, input, context: ctx, ...(plan ? { plan } : { engine: 'reference' }) };
    const pass = () => {
      const t = timed(() => execute(graph, options));
      return { ms: t.ms, cpu: t.cpu, result: t.out };
    };
    const first = pass();
    const steady = [];
    let classes;
    for (let i = 0; i < passes; i++) {
      const p = pass();
      steady.push({ ms: p.ms, cpu: p.cpu });
      if (i === passes - 1 && plan) {
        classes = {};
        for (const l of p.result.layers) {
          if (l.node.kind !== 'conv') continue;
          const c = (classes[convClass(l.node)] ??= { ms: 0, macs: 0, bytes: 0 });
          c.ms += l.ms;
          c.macs += l.macs;
          // Memory traffic of a depthwise conv: input, output and weights once, float32.
          c.bytes += 4 * (l.node.inputShapes[0].reduce((a, b) => a * b, 1) + l.node.outputShape.reduce((a, b) => a * b, 1));
        }
      }
    }
    return { loadMs, first: { ms: first.ms, cpu: first.cpu }, steady, ...(classes ? { classes } : {}) };
  } finally {
    await ctx.close();
  }
}

const r = engine === 'ort' ? await runOrt() : await runOurs();
console.log(JSON.stringify({ model, threads, engine, ...r }));
