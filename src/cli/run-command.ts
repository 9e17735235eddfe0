/**
 * `cnnscope run` (declared in run.ts): a real forward pass on the CPU (execute mode), with seeded or real weights,
 * a seeded or given input, MAC accounting against the static count, and an optional profile.
 */
import { writeFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { resolve } from 'node:path';
import { createContext, MAX_THREADS } from '../execute/threads.js';
import type { OnnxRuntimeResult } from '../execute/onnxruntime.js';
import { execute, staticMacs, type ExecuteResult } from '../execute/execute.js';
import { estimateMemory, MAX_BUFFER_ELEMENTS, type MemoryEstimate } from '../execute/memory.js';
import { encodeNpy, NpyError, openNpy, type NpyFile } from '../execute/npy.js';
import { fillNormal, stream } from '../execute/random.js';
import { SafetensorsError } from '../execute/safetensors.js';
import { firstNonFinite, numel, type Tensor } from '../kernels/tensor.js';
import { runReport, type RunReportOptions } from '../execute/report.js';
import { initWeights, loadWeights, WeightsError, type GraphWeights } from '../execute/weights.js';
import type { Graph } from '../graph/graph.js';
import type { Converted } from '../onnx/convert.js';
import { colourFor } from '../report/style.js';
import { parseQuantity } from '../quantity.js';
import { renderJson } from '../report/json.js';
import { bytesText, grouped, shapeText } from '../report/units.js';
import { renderRunText } from '../report/run.js';
import { type CliIo, Failed, UsageError } from './io.js';
import { isOnnxModel, loadModel, loadOnnx, parseInputShape, readExternalData } from './load.js';
import { parseBatch, parseInteger } from './options.js';

export interface RunFlags {
  engine: string;
  weights?: string;
  input?: string;
  seed?: string;
  batch?: string;
  threads: string;
  profile?: boolean;
  checkFinite?: boolean;
  json?: boolean;
  save?: string;
  top?: string;
  inputShape?: string;
  set: string[];
  preset?: string;
  maxMemory?: string;
}

type Engine = 'builtin' | 'onnxruntime';

export async function runCommand(spec: string, flags: RunFlags, io: CliIo): Promise<void> {
  if (flags.engine !== 'builtin' && flags.engine !== 'onnxruntime') {
    throw new UsageError(`--engine ${flags.engine}: expected builtin or onnxruntime`);
  }
  const seed = parseInteger('--seed', flags.seed ?? '0', 0, 0xffffffff);
  const threads = parseInteger('--threads', flags.threads, 1, MAX_THREADS);
  const top = flags.top !== undefined ? parseInteger('--top', flags.top, 1, Number.MAX_SAFE_INTEGER) : undefined;
  const maxMemory = flags.maxMemory !== undefined ? parseMaxMemory(flags.maxMemory) : Math.floor(freemem() / 2);

  // The input array, if any, decides the model's input shape and the batch. Only its header is
  // read here: its data is read once the run is known to fit in memory, into the run's buffer.
  const given = flags.input !== undefined ? openInput(flags.input, io.cwd) : undefined;
  try {
    await runWith(spec, flags, io, { seed, threads, top, maxMemory, engine: flags.engine }, given);
  } finally {
    given?.close();
  }
}

async function runWith(
  spec: string,
  flags: RunFlags,
  io: CliIo,
  { seed, threads, top, maxMemory, engine }: { seed: number; threads: number; top: number | undefined; maxMemory: number; engine: Engine },
  given: NpyFile | undefined,
): Promise<void> {
  let sampleShape: number[] | undefined;
  if (given) {
    sampleShape = given.shape.length === 4 || given.shape.length === 2 ? given.shape.slice(1) : [...given.shape];
    if (flags.inputShape !== undefined) {
      const wanted = parseInputShape(flags.inputShape);
      if (shapeText(wanted) !== shapeText(sampleShape)) {
        throw new UsageError(
          `--input ${flags.input}: the array's sample shape ${shapeText(sampleShape)} differs from --input-shape ${shapeText(wanted)}`,
        );
      }
    }
  }
  const inputShape = flags.inputShape ?? sampleShape?.join(',');
  const modelOptions = {
    ...(inputShape !== undefined ? { input: inputShape } : {}),
    set: flags.set,
    ...(flags.preset ? { preset: flags.preset } : {}),
  };
  // An ONNX file: its graph, where its weights are, and its bytes (what onnxruntime runs).
  const onnx = isOnnxModel(spec, io) ? await loadOnnx(spec, modelOptions, io) : undefined;
  const graph = onnx ? onnx.converted.graph : await loadModel(spec, modelOptions, io);
  if (engine === 'onnxruntime' && onnx && flags.weights !== undefined) {
    throw new UsageError(`--weights: --engine onnxruntime runs the weights inside ${spec}; use the built-in engine to replace them`);
  }
  let batch = flags.batch !== undefined ? parseBatch(flags.batch) : 1;
  if (given) {
    const fileBatch = given.shape.length === 4 || given.shape.length === 2 ? given.shape[0] : 1;
    if (flags.batch !== undefined && batch !== fileBatch)
      throw new UsageError(`--batch ${batch} differs from the ${fileBatch} samples of --input ${flags.input}`);
    batch = fileBatch;
    if (shapeText(sampleShape!) !== shapeText(graph.inputShape)) {
      throw new UsageError(
        `--input ${flags.input}: the array's sample shape ${shapeText(sampleShape!)} is not the model input ${shapeText(graph.inputShape)}`,
      );
    }
  }

  const estimate = estimateMemory(graph, batch, threads);
  if (estimate.total > maxMemory) throw new UsageError(memoryMessage(estimate, batch, maxMemory, flags.maxMemory !== undefined));
  if (estimate.largestBuffer > MAX_BUFFER_ELEMENTS) {
    throw new UsageError(
      `one tensor of this run holds ${grouped(estimate.largestBuffer)} floats, beyond the ${grouped(MAX_BUFFER_ELEMENTS)} execute mode can index; use a smaller --batch or --input-shape`,
    );
  }

  // onnxruntime has threads of its own: the built-in engine's workers are not started for it.
  const ctx = await createContext(engine === 'builtin' ? threads : 1);
  try {
    // onnxruntime runs an ONNX file's weights itself; a YAML model's are exported to it.
    const weights =
      engine === 'onnxruntime' && onnx
        ? new Map()
        : await readWeights(graph, flags.weights, seed, io, ctx.allocate, onnx && { spec, converted: onnx.converted });
    const inputData = ctx.allocate(batch * numel(graph.inputShape));
    if (given) readInputData(given, inputData);
    else fillNormal(inputData, stream(seed, 'input'));
    const input: Tensor = { shape: [batch, ...graph.inputShape], data: inputData };
    let result: ExecuteResult;
    let onnxruntime: RunReportOptions['onnxruntime'];
    if (engine === 'onnxruntime') {
      const ran = await runInOnnxRuntime(graph, weights, input, onnx, { threads, profile: flags.profile === true, spec, io });
      result = ran.result;
      onnxruntime = { version: ran.version, sessionMs: ran.sessionMs, ...(ran.profile ? { profile: ran.profile } : {}) };
    } else {
      const progress = new Progress(io, staticMacs(graph) * batch);
      try {
        result = execute(graph, {
          weights,
          input,
          context: ctx,
          onLayer: (node, done) => progress.update(node.name, done),
          checkFinite: flags.checkFinite === true || flags.profile === true ? 'layers' : 'outputs',
        });
      } finally {
        progress.done();
      }
    }
    const report = runReport(graph, result, {
      batch,
      threads,
      top,
      input: given ? flags.input! : `random normal (seed ${seed})`,
      weights: flags.weights ?? (onnx ? `${spec} (its initializers)` : `PyTorch default init (seed ${seed})`),
      profile: flags.profile === true,
      ...(onnxruntime ? { onnxruntime } : {}),
    });
    if (flags.save !== undefined) saveOutput(flags.save, result, io.cwd);
    io.stdout.write(flags.json ? renderJson(report) : renderRunText(report, colourFor(io.stdout, io.env)));
    if (result.nonFinite) {
      const { node, index } = result.nonFinite;
      const bad = result.outputs.reduce((n, o) => n + countNonFinite(o.tensor.data), 0);
      // onnxruntime shows only the outputs: the layer named is the output's, not the first to go wrong.
      const where =
        engine === 'onnxruntime'
          ? `the output of layer '${node.name}' (${node.kind}) holds a NaN or infinity (element ${index}; onnxruntime shows no earlier layer)`
          : `layer '${node.name}' (${node.kind}) is the first to produce a NaN or infinity (element ${index} of its output)`;
      io.stderr.write(`cnnscope: warning: ${where}; ${grouped(bad)} output value${bad === 1 ? ' is' : 's are'} not finite\n`);
      throw new Failed(`non-finite values from layer '${node.name}'`);
    }
  } finally {
    await ctx.close();
  }
}

/** The pass in ONNX Runtime: the ONNX file itself, or an export of the YAML model with `weights`. */
async function runInOnnxRuntime(
  graph: Graph,
  weights: GraphWeights,
  input: Tensor,
  onnx: { bytes: Uint8Array; converted: Converted } | undefined,
  o: { threads: number; profile: boolean; spec: string; io: CliIo },
): Promise<OnnxRuntimeResult> {
  const { runOnnxRuntime, onnxForYamlModel, OnnxRuntimeError } = await import('../execute/onnxruntime.js');
  try {
    const { model, names } = onnx
      ? // The path, not the bytes, so that ORT finds external data beside the file.
        { model: resolve(o.io.cwd, o.spec), names: onnx.converted }
      : await onnxForYamlModel(graph, weights);
    return await runOnnxRuntime({ model, graph, names, input, threads: o.threads, profile: o.profile });
  } catch (e) {
    if (e instanceof OnnxRuntimeError) throw new UsageError(e.message);
    throw e;
  }
}

/** `--max-memory 2GiB`: bytes, read as budgets read them (src/quantity.ts). */
function parseMaxMemory(text: string): number {
  const bytes = parseQuantity(text, 'bytes');
  if (typeof bytes === 'string') throw new UsageError(`--max-memory ${text}: ${bytes}`);
  return bytes;
}

function memoryMessage(e: MemoryEstimate, batch: number, limit: number, explicit: boolean): string {
  return (
    `the run needs about ${bytesText(e.total)} (activations ${bytesText(e.activations)} at batch ${batch}, weights ${bytesText(e.weights)}, ` +
    `scratch ${bytesText(e.scratch)}${e.plan > 0 ? `, packed weights ${bytesText(e.plan)}` : ''}), more than ${explicit ? 'the --max-memory limit' : 'half the free memory'} of ${bytesText(limit)}; ` +
    'use a smaller --batch or --input-shape, or raise --max-memory'
  );
}

function openInput(file: string, cwd: string): NpyFile {
  let npy: NpyFile;
  try {
    npy = openNpy(resolve(cwd, file), file);
  } catch (e) {
    if (e instanceof NpyError) throw new UsageError(e.message);
    throw e;
  }
  const shape = npy.shape;
  if (shape.length < 1 || shape.length > 4 || shape.some((d) => d === 0)) {
    npy.close();
    throw new UsageError(
      `--input ${file}: shape ${shapeText(shape)}: expected [N, C, H, W] or [C, H, W] (or [N, F] / [F] for flat inputs), no empty axis`,
    );
  }
  return npy;
}

function readInputData(npy: NpyFile, into: Float32Array): void {
  try {
    npy.read(into);
  } catch (e) {
    if (e instanceof NpyError) throw new UsageError(e.message);
    throw e;
  }
}

export async function readWeights(
  graph: Graph,
  file: string | undefined,
  seed: number,
  io: CliIo,
  allocate: (n: number) => Float32Array,
  onnx: { spec: string; converted: Converted } | undefined,
): Promise<GraphWeights> {
  try {
    if (file !== undefined) return loadWeights(graph, resolve(io.cwd, file), allocate);
    if (onnx) {
      // Loaded with the ONNX front end (protobufjs), only for an ONNX file.
      const { onnxWeights } = await import('../execute/onnx-weights.js');
      return onnxWeights(graph, onnx.converted.weights, {
        file: onnx.spec,
        external: (t) => readExternalData(onnx.spec, io, t.external!),
        allocate,
      });
    }
    return initWeights(graph, seed, allocate);
  } catch (e) {
    if (e instanceof WeightsError || e instanceof SafetensorsError) {
      throw new UsageError(file !== undefined ? e.message.split(resolve(io.cwd, file)).join(file) : e.message);
    }
    throw e;
  }
}

function saveOutput(file: string, result: ExecuteResult, cwd: string): void {
  try {
    writeFileSync(resolve(cwd, file), encodeNpy(result.outputs[0].tensor));
  } catch (e) {
    throw new UsageError(`--save ${file}: cannot write the file: ${(e as Error).message}`);
  }
}

function countNonFinite(data: Float32Array): number {
  let n = 0;
  for (let i = firstNonFinite(data); i >= 0 && i < data.length; i++) if (data[i] - data[i] !== 0) n++;
  return n;
}

// ---- progress ----------------------------------------------------------------------------------

/** A progress bar on stderr, only when it is a terminal and only once the run has taken a second. */
class Progress {
  private readonly start = performance.now();
  private last = 0;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly total: number,
  ) {}

  update(layer: string, done: number): void {
    if (!this.io.stderr.isTTY) return;
    const now = performance.now();
    if (now - this.start < 1000 || now - this.last < 100) return;
    this.last = now;
    const share = this.total > 0 ? Math.min(1, done / this.total) : 0;
    const width = 30;
    const full = Math.round(share * width);
    this.io.stderr.write(
      `\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(100 * share).toFixed(0).padStart(3)}%  ${layer.slice(0, 40).padEnd(40)}`,
    );
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[K');
  }
}
