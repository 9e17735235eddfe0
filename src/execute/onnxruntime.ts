/**
 * The second engine of `cnnscope run`: ONNX Runtime (the optional package onnxruntime-node, CPU
 * execution provider) running an ONNX file, for comparison with the built-in engine, which stays
 * the default and the reference. The package is imported only here and only when asked for
 * (`--engine onnxruntime`), so a run without it never loads its 290 MB.
 */
import type * as OrtModule from 'onnxruntime-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerOps } from '../analysis/compute.js';
import type { Graph, LayerNode } from '../graph/graph.js';
import { firstNonFinite, type Tensor } from '../kernels/tensor.js';
import type { ExecuteResult } from './execute.js';
import type { GraphWeights } from './weights.js';

/** The version cnnscope is tested with (package.json pins it, as a dev and an optional peer dependency). */
export const ONNXRUNTIME_VERSION = '1.30.0';

/** The one line printed when the package is not installed. */
export const ONNXRUNTIME_MISSING =
  `--engine onnxruntime needs the optional package onnxruntime-node: npm i onnxruntime-node@${ONNXRUNTIME_VERSION} ` +
  '(set ONNXRUNTIME_NODE_INSTALL=skip to skip its CUDA download; the CPU binaries ship inside the package)';

/** onnxruntime-node is not there, does not load, or refuses the model or input: one line for the user. */
export class OnnxRuntimeError extends Error {}

// The CommonJS exports, which an import() gives as its default.
type Ort = (typeof OrtModule)['default'];

let loaded: Promise<Ort> | undefined;

/** onnxruntime-node, imported on first use; OnnxRuntimeError when it is not installed or its binary does not load. */
function loadOnnxRuntime(): Promise<Ort> {
  loaded ??= import('onnxruntime-node').then(
    // The package is CommonJS: its module.exports is the namespace's default.
    (m) => m.default,
    (e: unknown) => {
      loaded = undefined;
      const err = e as { code?: string; message?: string };
      if (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') throw new OnnxRuntimeError(ONNXRUNTIME_MISSING);
      throw new OnnxRuntimeError(`onnxruntime-node is installed but does not load: ${firstLine(err.message ?? String(e))}`);
    },
  );
  return loaded;
}

/** How the file's names meet the graph's: Converted's inputName, outputNames and nodeLayers (src/onnx/convert.ts). */
export interface OnnxNames {
  readonly inputName: string;
  /** The file's output name of each of graph.outputs, in order. */
  readonly outputNames: readonly string[];
  /** Node and value names to layer ids, for the profile. */
  readonly nodeLayers: ReadonlyMap<string, number>;
}

export interface OnnxRuntimeOptions {
  /** The ONNX model: the file's path (ORT then finds external data beside it), or bytes (an export of a YAML model, onnxForYamlModel). */
  readonly model: string | Uint8Array;
  readonly graph: Graph;
  readonly names: OnnxNames;
  /** [N, ...graph.inputShape]. */
  readonly input: Tensor;
  /** intraOpNumThreads (inter-op: 1, sequential execution). */
  readonly threads: number;
  /** Time every kernel with ORT's profiler. */
  readonly profile: boolean;
}

/** One row of ORT's profile: a layer of the graph (the kernels mapped to it), or an ORT kernel of no layer (a layout reorder). */
export interface OrtProfileRow {
  readonly name: string;
  readonly kind: string;
  readonly ms: number;
  readonly macs: number;
}

export interface OnnxRuntimeResult {
  /** The outputs and the time of the pass, as the built-in engine's; `macs` is the static count (ORT counts none), `layers` empty. */
  readonly result: ExecuteResult;
  /** Creating the session (parsing, graph optimization, weight prepacking), apart from the pass. */
  readonly sessionMs: number;
  /** With `profile`: ORT's kernel times, slowest first. */
  readonly profile?: readonly OrtProfileRow[];
  /** onnxruntime-node's version. */
  readonly version: string;
}

/** A session of ONNX Runtime on one model, for passes on inputs of the graph's shape (the library's way to time warm passes). */
export interface OnnxRuntimeSession {
  /** onnxruntime-node's version. */
  readonly version: string;
  /** Creating the session (parsing, graph optimization, weight prepacking). */
  readonly sessionMs: number;
  /** One pass: the outputs and its time, as the built-in engine's ExecuteResult (`macs` the static count, `layers` empty). */
  pass(input: Tensor): Promise<ExecuteResult>;
  /** With `profile`: ORT's kernel times of the passes so far, summed per layer, slowest first; ends the profiling. */
  profile(batch: number): readonly OrtProfileRow[];
  close(): Promise<void>;
}

/** Opens a CPU session of ONNX Runtime on `model`; OnnxRuntimeError (one line) when the package is missing or ORT refuses the model. */
export async function openOnnxRuntime(o: Omit<OnnxRuntimeOptions, 'input'>): Promise<OnnxRuntimeSession> {
  const ort = await loadOnnxRuntime();
  const profileDir = o.profile ? mkdtempSync(join(tmpdir(), 'cnnscope-ort-')) : undefined;
  const removeProfile = () => {
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  };
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    ...(profileDir ? { enableProfiling: true, profileFilePrefix: join(profileDir, 'profile') } : {}),
  } as const;
  const t0 = performance.now();
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    session =
      typeof o.model === 'string'
        ? await ort.InferenceSession.create(o.model, options)
        : await ort.InferenceSession.create(o.model, options);
  } catch (e) {
    removeProfile();
    throw new OnnxRuntimeError(`onnxruntime cannot load the model: ${firstLine((e as Error).message)}`);
  }
  const sessionMs = performance.now() - t0;
  const fetches = [...o.names.outputNames];
  let profiled: OrtProfileRow[] | undefined;
  return {
    version: ort.env.versions.node ?? ONNXRUNTIME_VERSION,
    sessionMs,
    async pass(input: Tensor): Promise<ExecuteResult> {
      const feeds = { [o.names.inputName]: new ort.Tensor('float32', input.data, [...input.shape]) };
      const t1 = performance.now();
      let fetched: Record<string, { readonly data: unknown; readonly dims: readonly number[] }>;
      try {
        fetched = await session.run(feeds, fetches);
      } catch (e) {
        throw new OnnxRuntimeError(`onnxruntime: ${firstLine((e as Error).message)}`);
      }
      const ms = performance.now() - t1;
      const outputs = o.graph.outputs.map((id, i) => {
        const t = fetched[fetches[i]];
        const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
        return { node: o.graph.nodes[id], tensor: { shape: [...t.dims], data } };
      });
      const bad = outputs.find((out) => firstNonFinite(out.tensor.data) >= 0);
      let macs = 0;
      for (const node of o.graph.nodes) if (node.id !== 0) macs += layerOps(node, input.shape[0]).macs;
      return { outputs, macs, ms, layers: [], ...(bad ? { nonFinite: { node: bad.node, index: firstNonFinite(bad.tensor.data) } } : {}) };
    },
    profile(batch: number): readonly OrtProfileRow[] {
      if (!profileDir) return [];
      if (!profiled) {
        session.endProfiling();
        profiled = profileRows(readProfile(profileDir), o.graph, o.names.nodeLayers, batch);
        removeProfile();
      }
      return profiled;
    },
    async close(): Promise<void> {
      removeProfile();
      await session.release();
    },
  };
}

/** One forward pass of `model` with ONNX Runtime on the CPU, in a session of its own (what `cnnscope run --engine onnxruntime` times). */
export async function runOnnxRuntime(o: OnnxRuntimeOptions): Promise<OnnxRuntimeResult> {
  const session = await openOnnxRuntime(o);
  try {
    const result = await session.pass(o.input);
    const profile = o.profile ? session.profile(o.input.shape[0]) : undefined;
    return { result, sessionMs: session.sessionMs, version: session.version, ...(profile ? { profile } : {}) };
  } finally {
    await session.close();
  }
}

/** An event of ORT's profile (Chrome's trace format): a kernel's run is category 'Node', its duration in microseconds. */
interface TraceEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly dur?: number;
  readonly args?: { readonly op_name?: string };
}

function readProfile(dir: string): TraceEvent[] {
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) return [];
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
  return Array.isArray(events) ? (events as TraceEvent[]) : [];
}

/** Operators that multiply: a fused kernel of one (Conv with its Relu) takes its time to the layer that does the MACs. */
const MULTIPLYING_OPS = new Set(['Conv', 'FusedConv', 'ConvTranspose', 'Gemm', 'FusedGemm', 'MatMul', 'FusedMatMul', 'NchwcConv']);

/**
 * ORT's kernel times summed per layer: a kernel is named after its node, or after its output
 * value with a suffix (`..._nchwc` for the blocked layout of the x86 kernels), which nodeLayers
 * maps to the layer. A multiplying kernel named after a layer of no MACs (a Conv fused with the
 * Relu after it, named by the Relu's output) is the layer before it that multiplies. Kernels of
 * no layer (layout reorders) are rows of their own, named by their operator.
 */
export function profileRows(
  events: readonly TraceEvent[],
  graph: Graph,
  nodeLayers: ReadonlyMap<string, number>,
  batch: number,
): OrtProfileRow[] {
  const macsOf = (node: LayerNode) => layerOps(node, batch).macs;
  const byLayer = new Map<number, number>();
  const other = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time')) continue;
    const us = typeof e.dur === 'number' ? e.dur : 0;
    const name = e.name.slice(0, -'_kernel_time'.length);
    let id = nodeLayers.get(name) ?? nodeLayers.get(name.replace(/_nchwc$/, ''));
    const op = e.args?.op_name ?? '';
    if (id === undefined) {
      other.set(op || name, (other.get(op || name) ?? 0) + us);
      continue;
    }
    if (MULTIPLYING_OPS.has(op)) {
      let node = graph.nodes[id];
      for (let step = 0; step < 4 && macsOf(node) === 0 && node.inputs.length === 1 && node.inputs[0] !== 0; step++)
        node = graph.nodes[node.inputs[0]];
      if (macsOf(node) > 0) id = node.id;
    }
    byLayer.set(id, (byLayer.get(id) ?? 0) + us);
  }
  const rows: OrtProfileRow[] = [];
  for (const [id, us] of byLayer) {
    const node = graph.nodes[id];
    rows.push({ name: node.name, kind: node.kind, ms: us / 1000, macs: macsOf(node) });
  }
  for (const [op, us] of other) rows.push({ name: `(onnxruntime ${op})`, kind: 'onnxruntime', ms: us / 1000, macs: 0 });
  return rows.sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
}

/**
 * The ONNX model ORT runs for a YAML model, and its names: an export of the graph with the same
 * weights by src/onnx/export.ts (exportOnnx(graph, weights, { opset }), written on another
 * branch), read back by the front end for its input and output names; the export's layers meet
 * the YAML graph's by name, for the profile. Until that module exists, `--engine onnxruntime` on a
 * YAML model says so in one line.
 */
export async function onnxForYamlModel(graph: Graph, weights: GraphWeights): Promise<{ model: Uint8Array; names: OnnxNames }> {
  // The exporter and the front end (protobufjs) load only here, for a YAML model on onnxruntime.
  const { exportOnnx, OnnxExportError } = await import('../onnx/export.js');
  let model: Uint8Array;
  try {
    model = exportOnnx(graph, weights, { opset: 17 });
  } catch (e) {
    if (e instanceof OnnxExportError) throw new OnnxRuntimeError(`--engine onnxruntime exports the model to ONNX first: ${e.message}`);
    throw e;
  }
  const { buildOnnxGraph } = await import('../onnx/index.js');
  const exported = buildOnnxGraph(model, { file: `${graph.name}.onnx` });
  const ids = new Map(graph.nodes.map((n) => [n.name, n.id]));
  const nodeLayers = new Map<string, number>();
  for (const [name, id] of exported.nodeLayers) {
    const mine = ids.get(exported.graph.nodes[id].name);
    if (mine !== undefined) nodeLayers.set(name, mine);
  }
  return { model, names: { inputName: exported.inputName, outputNames: exported.outputNames, nodeLayers } };
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '') ?? text;
}
