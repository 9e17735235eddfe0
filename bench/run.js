#!/usr/bin/env node
/**
 * `npm run bench`: speed claims, measured in one run against a peer on the same machine, so the
 * ratios mean something on any machine. Timings are medians of repeated runs after a warm-up.
 *
 *   1. Generated chains with residual blocks (1k, 2k, 10k, 100k layers): build + analyze,
 *      against the peer `yaml.parse` of the same text (the floor any YAML-reading tool pays).
 *      Time per layer should stay flat as the size grows (linear analysis).
 *   2. Every bundled model, built and analyzed.
 *   3. Whole processes, wall time and peak RSS: `cnnscope analyze resnet152 --json` against the
 *      torch path of the same summary (import torch and torchvision, build resnet152, a forward
 *      pass hooked on every module), if Debian's python3-torch is installed; resnet50 against
 *      building it and counting its parameters; the zoo's `check`; a 100,000-layer chain.
 *   4. If it is: one forward pass of resnet18 and resnet50, against PyTorch on the same core.
 *   5. Renderers on long chains (10k, 40k layers): `graph` as DOT and as Mermaid, and a diff
 *      against a 4-layer chain (every layer but 4 removed). Time per layer should stay flat.
 *   6. The largest model the front end accepts (MAX_LAYERS layers, docs/format.md): whole
 *      processes of `analyze --json`, the table, `graph` and `diff`, with wall time, CPU time and
 *      peak RSS (the limit promises well under 2 GB).
 *   7. If onnxruntime-node is installed: `run --engine onnxruntime` in-process
 *      (the library's openOnnxRuntime, warm passes) against raw onnxruntime-node
 *      InferenceSession.run on the same ONNX file (resnet50, mobilenet_v3_large as `cnnscope export`
 *      writes them, seeded default weights), and the built-in engine on the imported file against both (its plan
 *      built once, like a session); session creation and plan building apart. Medians of warm passes, one thread.
 *   8. The execute engine (bench/engine.js): the plan against the reference path and
 *      onnxruntime-node, steady and first pass, 1 and 2 threads, GEMM GMAC/s per conv class.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { buildPlan, reservePlanMemory } from '../dist/execute/plan.js';
import {
  analyze,
  buildGraph,
  buildOnnx,
  execute,
  exportOnnx,
  initWeights,
  onnxModelWeights,
  openOnnxRuntime,
  relativeError,
  bundledModels,
  createContext,
  diffReports,
  graphView,
  MAX_LAYERS,
  renderDiffMarkdown,
  renderDot,
  renderMermaid,
} from '../dist/index.js';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn, runs) {
  fn(); // warm-up
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** A chain of residual blocks, 4 layers each (conv, batchnorm, relu, add), written out flat. */
export function residualChain(layers) {
  const lines = ['name: chain', 'input: [16, 32, 32]', 'layers:'];
  const blocks = Math.ceil(layers / 4);
  for (let i = 0; i < blocks; i++) {
    lines.push(
      `  - conv: {name: c${i}, out: 16, kernel: 3, padding: 1, bias: false}`,
      `  - batchnorm: {name: b${i}}`,
      `  - relu: {name: r${i}}`,
    );
    lines.push(`  - add: {name: a${i}, inputs: [r${i}, ${i === 0 ? 'input' : `a${i - 1}`}]}`);
  }
  return `${lines.join('\n')}\n`;
}

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

console.log('# cnnscope bench\n');
/** The CPU's family and model and its widest SIMD (Linux): the peers' kernels differ by it (AVX-512 or AVX2), 128-bit wasm does not. */
function cpuDetails() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name) => new RegExp(`^${name}\\s*: (.*)$`, 'm').exec(info)?.[1];
    const flags = ` ${field('flags') ?? ''} `;
    const simd = flags.includes(' avx512f ') ? 'AVX-512' : flags.includes(' avx2 ') ? 'AVX2, no AVX-512' : 'no AVX2';
    return ` (family ${field('cpu family')}, model ${field('model')}, ${simd})`;
  } catch {
    return '';
  }
}

console.log(
  `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}${cpuDetails()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}\n`,
);

/** `BENCH_ONLY=3,7 npm run bench` runs only those sections (the machine line is always printed). */
const only = process.env.BENCH_ONLY?.split(',').map(Number);
const want = (section) => !only || only.includes(section);
const python = '/usr/bin/python3';
const hasTorch = existsSync(python) && spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;

if (want(1)) {
  console.log('## 1. Generated residual chains: parse + build, and analyze, vs yaml.parse (the peer)\n');
  console.log(
    '| layers | build ms | analyze ms | yaml.parse ms | (build + analyze) / yaml.parse | µs per layer, build | µs per layer, analyze |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of [1_000, 2_000, 10_000, 100_000]) {
    const text = residualChain(n);
    const runs = n >= 100_000 ? 3 : 9;
    const graph = buildGraph(text, { file: 'chain.yaml' });
    const build = time(() => buildGraph(text, { file: 'chain.yaml' }), runs);
    const analysis = time(() => analyze(graph), runs);
    const peer = time(() => parse(text), runs);
    const perLayer = (ms) => ((ms * 1000) / n).toFixed(1);
    console.log(
      `| ${n.toLocaleString('en-US')} | ${fmt(build)} | ${fmt(analysis)} | ${fmt(peer)} | ${((build + analysis) / peer).toFixed(2)} | ${perLayer(build)} | ${perLayer(analysis)} |`,
    );
  }
}

if (want(2)) {
  console.log('\n## 2. The bundled zoo: build + analyze every model\n');
  const models = bundledModels();
  const texts = models.map((m) => [m, readFileSync(m.path, 'utf8')]);
  let layers = 0;
  const zoo = time(() => {
    layers = 0;
    for (const [m, text] of texts)
      layers += analyze(buildGraph(text, { file: m.path, ...(m.preset ? { preset: m.preset } : {}) })).layers.length;
  }, 5);
  console.log(`${models.length} models, ${layers.toLocaleString('en-US')} layers in all: ${fmt(zoo)} ms\n`);
}

if (want(3)) {
  console.log('## 3. Whole process: cnnscope vs PyTorch, and the static commands on their own\n');
  /** Median wall ms of `runs` runs (after a warm-up) and the median peak RSS (MB), which the child reports on stderr. */
  function processFigures(cmd, args, runs) {
    const once = () => {
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
      return { ms, rss: Number(/maxrss (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024 };
    };
    once();
    const all = Array.from({ length: runs }, once);
    return { ms: median(all.map((x) => x.ms)), rss: median(all.map((x) => x.rss)) };
  }
  const cnnscope = (args, runs) => processFigures(process.execPath, ['--import', './bench/rss.js', 'bin/cnnscope.js', ...args], runs);
  /** Python with its peak RSS (KiB, as the kernel counts it) on stderr at exit, as bench/rss.js does for Node. */
  const pythonWithRss = (script) =>
    `${script}\nimport resource, sys\nsys.stderr.write("maxrss %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n`;
  // The torch path of a shape-and-parameter summary (as torchinfo and friends do it): import, build, a forward pass with a hook on every module.
  const TORCH_SUMMARY = [
    'import json, torch, torchvision',
    'm = torchvision.models.resnet152(weights=None).eval()',
    'rows = []',
    'def hook(mod, inp, out): rows.append([type(mod).__name__, list(out.shape), sum(p.numel() for p in mod.parameters(recurse=False))])',
    'for mod in m.modules(): mod.register_forward_hook(hook)',
    'with torch.no_grad(): m(torch.zeros(1, 3, 224, 224))',
    'print(json.dumps({"params": sum(p.numel() for p in m.parameters()), "layers": rows}))',
  ].join('\n');
  if (!hasTorch) {
    console.log('(the PyTorch rows are skipped: python3-torch and python3-torchvision are not installed)\n');
  }
  console.log('| command | wall ms | peak RSS MB | peer | peer wall ms | peer peak RSS MB | peer / cnnscope: time, memory |');
  console.log('|---|---:|---:|---|---:|---:|---|');
  {
    const row = (command, ours, peerName, peer) =>
      console.log(
        `| ${command} | ${fmt(ours.ms)} | ${ours.rss.toFixed(0)} | ${peerName} | ${peer ? fmt(peer.ms) : ''} | ${peer ? peer.rss.toFixed(0) : ''} | ${peer ? `${(peer.ms / ours.ms).toFixed(1)}x, ${(peer.rss / ours.rss).toFixed(1)}x` : ''} |`,
      );
    const ours152 = cnnscope(['analyze', 'resnet152', '--json'], 9);
    const torch152 = hasTorch ? processFigures(python, ['-c', pythonWithRss(TORCH_SUMMARY)], 3) : undefined;
    row('cnnscope analyze resnet152 --json', ours152, 'python3: import torch, torchvision; resnet152(), a hooked forward pass', torch152);
    const ours50 = cnnscope(['analyze', 'resnet50', '--json'], 9);
    const count50 = 'import torchvision; m = torchvision.models.resnet50(weights=None); print(sum(p.numel() for p in m.parameters()))';
    const torch50 = hasTorch ? processFigures(python, ['-c', pythonWithRss(count50)], 3) : undefined;
    row('cnnscope analyze resnet50 --json', ours50, 'python3: torchvision.models.resnet50() + count', torch50);
    const zoo = cnnscope(['check', 'architectures/**/*.yaml', '--budget', 'examples/ci/budget.yaml'], 5);
    row("cnnscope check 'architectures/**/*.yaml' --budget examples/ci/budget.yaml (the whole zoo)", zoo, '', undefined);
    const dir = mkdtempSync(join(os.tmpdir(), 'cnnscope-bench-'));
    const chain = join(dir, 'chain100k.yaml');
    writeFileSync(chain, residualChain(100_000));
    const long = cnnscope(['analyze', chain, '--json'], 3);
    row('cnnscope analyze --json, a 100,000-layer residual chain (section 1)', long, '', undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (want(4)) {
  console.log('\n## 4. Execute mode: one forward pass at 224x224, batch 1, one thread, vs PyTorch on the same core\n');
  if (!hasTorch) {
    console.log('skipped: python3-torch and python3-torchvision are not installed');
  } else {
    const ours = (model) => {
      const times = [];
      for (let i = 0; i < 3; i++) {
        const out = execFileSync(process.execPath, ['bin/cnnscope.js', 'run', model, '--seed', '1', '--threads', '1', '--json'], {
          encoding: 'utf8',
        });
        times.push(JSON.parse(out).time_ms);
      }
      return median(times);
    };
    const torchForward = (model) => {
      const script = [
        'import time, torch, torchvision',
        'torch.set_num_threads(1)',
        `m = torchvision.models.${model}(weights=None).eval()`,
        'x = torch.randn(1, 3, 224, 224)',
        'ts = []',
        'with torch.no_grad():',
        '    m(x)',
        '    for _ in range(3):',
        '        t0 = time.perf_counter(); m(x); ts.append((time.perf_counter() - t0) * 1000)',
        'print(sorted(ts)[1])',
      ].join('\n');
      return Number(execFileSync(python, ['-c', script], { encoding: 'utf8' }).trim());
    };
    console.log('| model | cnnscope run ms | PyTorch ms | cnnscope / PyTorch |');
    console.log('|---|---:|---:|---:|');
    for (const model of ['resnet18', 'resnet50']) {
      const a = ours(model);
      const b = torchForward(model);
      console.log(`| ${model} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(1)} |`);
    }
  }
}

if (want(5)) {
  console.log('\n## 5. Renderers on long chains: graph as DOT and Mermaid, diff of every layer but 4 removed\n');
  console.log('| layers | graph DOT ms | graph Mermaid ms | diff ms | diff Markdown ms | µs per layer, DOT / Mermaid / diff |');
  console.log('|---:|---:|---:|---:|---:|---|');
  {
    const tiny = analyze(buildGraph(residualChain(4), { file: 'tiny.yaml' }));
    for (const n of [10_000, 40_000]) {
      const graph = buildGraph(residualChain(n), { file: 'chain.yaml' });
      const report = analyze(graph);
      const dot = time(() => renderDot(graphView(graph, report)), 3);
      const mermaid = time(() => renderMermaid(graphView(graph, report)), 3);
      const diff = time(() => diffReports(report, tiny), 3);
      const markdown = time(() => renderDiffMarkdown(diffReports(report, tiny)), 3);
      const perLayer = (ms) => ((ms * 1000) / n).toFixed(1);
      console.log(
        `| ${n.toLocaleString('en-US')} | ${fmt(dot)} | ${fmt(mermaid)} | ${fmt(diff)} | ${fmt(markdown)} | ${perLayer(dot)} / ${perLayer(mermaid)} / ${perLayer(diff)} |`,
      );
    }
  }
}

if (want(6)) {
  console.log(`\n## 6. The largest model: ${MAX_LAYERS.toLocaleString('en-US')} layers (the input and a repeat), whole process\n`);
  console.log('| command | model | wall s | CPU s | peak RSS MB |');
  console.log('|---|---|---:|---:|---:|');
  {
    const dir = mkdtempSync(join(os.tmpdir(), 'cnnscope-bench-'));
    const n = MAX_LAYERS - 1;
    const model = (name, input, entry) => {
      const path = join(dir, `${name}.yaml`);
      writeFileSync(path, `input: ${input}\nlayers:\n  - ${entry}\n`);
      return path;
    };
    const relu = model('relu', '[1]', `relu: {repeat: ${n}}`);
    const relu6 = model('relu6', '[1]', `relu6: {repeat: ${n}}`);
    const conv = model('conv', '[1, 1, 1]', `conv: {out: 1, kernel: 1, repeat: ${n}}`);
    const convNoBias = model('conv_nobias', '[1, 1, 1]', `conv: {out: 1, kernel: 1, bias: false, repeat: ${n}}`);
    const rows = [
      ['analyze --json', 'relu', ['analyze', relu, '--json']],
      ['analyze --json', 'conv', ['analyze', conv, '--json']],
      ['analyze (table)', 'conv', ['analyze', conv]],
      ['graph (DOT)', 'conv', ['graph', conv]],
      ['graph --format mermaid', 'conv', ['graph', conv, '--format', 'mermaid']],
      ['diff --json, every layer changed', 'relu vs relu6', ['diff', relu, relu6, '--json']],
      ['diff (table), every layer changed', 'conv vs conv without bias', ['diff', convNoBias, conv]],
    ];
    for (const [command, what, args] of rows) {
      const t0 = performance.now();
      const run = spawnSync(process.execPath, ['--import', './bench/rss.js', 'bin/cnnscope.js', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      });
      const wall = (performance.now() - t0) / 1000;
      // Peak memory and CPU time from the child itself: wall time on a shared machine says little.
      const [, rss, cpu] = /maxrss (\d+) cpu (\d+)/.exec(run.stderr) ?? [];
      const failed = run.status === 0 ? '' : ` (exit ${run.status})`;
      console.log(
        `| ${command}${failed} | ${what} | ${wall.toFixed(1)} | ${(Number(cpu) / 1e6).toFixed(1)} | ${(Number(rss) / 1024).toFixed(0)} |`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (want(7)) {
  console.log('\n## 7. Engines on an ONNX file: built-in vs onnxruntime (in-process) vs raw onnxruntime-node, batch 1, one thread\n');
  {
    let ort;
    try {
      ort = (await import('onnxruntime-node')).default;
    } catch {
      ort = undefined;
    }
    if (!ort) console.log('skipped: onnxruntime-node is not installed (npm i onnxruntime-node@1.30.0)');
    else {
      const dir = mkdtempSync(join(os.tmpdir(), 'cnnscope-bench-ort-'));
      const passes = Number(process.env.BENCH_ORT_PASSES ?? 10);
      const builtinPasses = Number(process.env.BENCH_BUILTIN_PASSES ?? 3);
      console.log(
        `Medians of ${passes} warm passes (built-in: ${builtinPasses}) after one warm-up; load average at the start: ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(', ')}\n`,
      );
      console.log(
        '| model | built-in ms | cnnscope onnxruntime ms | raw onnxruntime ms | cnnscope ORT / raw ORT | built-in / ORT | session ms (cnnscope / raw) | built-in plan ms | built-in vs ORT output |',
      );
      console.log('|---|---:|---:|---:|---:|---:|---|---:|---:|');
      for (const model of ['resnet50', 'mobilenet_v3_large']) {
        // The file `cnnscope export` writes (opset 17), with the seeded default weights.
        const path = join(dir, `${model}.onnx`);
        const found = bundledModels().find((m) => m.name === model);
        const yamlGraph = buildGraph(readFileSync(found.path, 'utf8'), { file: found.path, preset: found.preset });
        writeFileSync(path, exportOnnx(yamlGraph, initWeights(yamlGraph, 0), { opset: 17 }));
        const bytes = readFileSync(path);
        const onnx = await buildOnnx(bytes, { file: path });
        const input = { shape: [1, 3, 224, 224], data: new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i)) };
        let last;
        const warm = async (pass, n) => {
          await pass();
          const ts = [];
          for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            last = await pass();
            ts.push(performance.now() - t0);
          }
          return median(ts);
        };
        // The built-in engine on the imported file, with the file's weights: its plan built once, as
        // a session is created once (execute() without a plan builds one per call: a whole `run`).
        const context = await createContext(1);
        const weights = await onnxModelWeights(onnx, { file: path, allocate: context.allocate });
        const t1 = performance.now();
        const plan = buildPlan(onnx.graph, weights, context.allocatePlan ?? context.allocate, undefined, context);
        reservePlanMemory(context, onnx.graph, 1, plan);
        const planMs = performance.now() - t1;
        const builtin = await warm(() => execute(onnx.graph, { weights, input, context, plan }), builtinPasses);
        const builtinOut = last.outputs[0].tensor.data;
        await context.close();
        // cnnscope's onnxruntime engine, as the library gives it (the CLI's run makes one such pass).
        const session = await openOnnxRuntime({ model: path, graph: onnx.graph, names: onnx, threads: 1, profile: false });
        const ours = await warm(() => session.pass(input), passes);
        const diff = relativeError(builtinOut, last.outputs[0].tensor.data);
        await session.close();
        // Raw onnxruntime-node, the same session options.
        const t0 = performance.now();
        const raw = await ort.InferenceSession.create(path, {
          executionProviders: ['cpu'],
          graphOptimizationLevel: 'all',
          intraOpNumThreads: 1,
          interOpNumThreads: 1,
          executionMode: 'sequential',
        });
        const rawSession = performance.now() - t0;
        const feeds = { [raw.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
        const peer = await warm(() => raw.run(feeds), passes);
        await raw.release();
        console.log(
          `| ${model} | ${fmt(builtin)} | ${fmt(ours)} | ${fmt(peer)} | ${(ours / peer).toFixed(2)} | ${(builtin / ours).toFixed(1)} | ${fmt(session.sessionMs)} / ${fmt(rawSession)} | ${fmt(planMs)} | ${diff.toExponential(1)} |`,
        );
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// 8. The built-in execute engine against its reference path and onnxruntime-node (bench/engine.js).
if (want(8)) {
  console.log('');
  await import('./engine.js');
}
