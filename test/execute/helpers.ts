/** Shared pieces of the execute-mode tests: the fixtures and small builders. */
import { readdirSync, readFileSync } from 'node:fs';
import { stateDictKey, type GraphWeights } from '../../src/execute/weights.js';
import { buildGraph, type Graph } from '../../src/index.js';
import type { ExecContext } from '../../src/kernels/context.js';
import type { Mat } from '../../src/kernels/mat.js';
import { tensor, type Tensor } from '../../src/kernels/tensor.js';
import type { LayerWeights } from '../../src/layers/kind.js';

export const REFERENCE_DIR = new URL('../fixtures/reference/', import.meta.url);
export const reference = (name: string) => new URL(name, REFERENCE_DIR).pathname;

export interface TinyNet {
  readonly name: string;
  readonly description: string;
  readonly model: unknown;
  readonly input_shape: number[];
  readonly input: number[];
  readonly params: { key: string; shape: number[]; dtype: 'float' | 'int64'; values: number[] }[];
  readonly output_shape: number[];
  readonly output: number[];
  readonly output_float64: number[];
}

/** A kind's reference fixture, test/fixtures/reference/kinds/<kind>.json (scripts/torch_reference_nets.py --kind <kind>). */
export interface KindFixture {
  readonly file: string;
  readonly kind: string;
  readonly nets: readonly TinyNet[];
}

export const kindFixtures: readonly KindFixture[] = readdirSync(new URL('kinds/', REFERENCE_DIR))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(reference(`kinds/${file}`), 'utf8')) as { kind: string; nets: TinyNet[] }) }));

/** Every tiny net of every kind's fixture. */
export const tinyNets: readonly TinyNet[] = kindFixtures.flatMap((f) => f.nets);

export function tinyNet(name: string): TinyNet {
  const net = tinyNets.find((n) => n.name === name);
  if (!net) throw new Error(`no tiny net ${name}`);
  return net;
}

/** The cnnscope graph of a tiny net (its `model`, YAML's JSON subset). */
export function tinyGraph(net: TinyNet): Graph {
  return buildGraph(JSON.stringify(net.model), { file: `${net.name}.json` });
}

/** The tiny net's PyTorch state_dict as GraphWeights, matched by state_dict key. */
export function tinyWeights(graph: Graph, net: TinyNet): GraphWeights {
  const byKey = new Map(net.params.map((p) => [p.key, p]));
  const out = new Map<number, LayerWeights>();
  for (const node of graph.nodes) {
    const layer: Record<string, Float32Array> = {};
    for (const spec of node.tensors) {
      if (spec.dtype !== 'float') continue;
      const key = stateDictKey(node.name, spec.name);
      const p = byKey.get(key);
      if (!p) throw new Error(`${net.name}: no parameter ${key}`);
      layer[spec.name] = Float32Array.from(p.values);
    }
    out.set(node.id, layer);
  }
  return out;
}

/** Zero weights of the right sizes: enough where only shapes and counts matter. */
export function zeroWeights(graph: Graph): GraphWeights {
  // One zero buffer, viewed by every tensor: kernels only read weights, and a model of 600M
  // parameters then costs the size of its largest tensor, not 2.4 GB.
  const sizes = graph.nodes.flatMap((n) => n.tensors.filter((t) => t.dtype === 'float').map((t) => t.shape.reduce((p, d) => p * d, 1)));
  const zeros = new Float32Array(Math.max(0, ...sizes));
  const out = new Map<number, LayerWeights>();
  for (const node of graph.nodes) {
    const layer: Record<string, Float32Array> = {};
    for (const spec of node.tensors)
      if (spec.dtype === 'float')
        layer[spec.name] = zeros.subarray(
          0,
          spec.shape.reduce((p, d) => p * d, 1),
        );
    out.set(node.id, layer);
  }
  return out;
}

/** A deterministic pseudo-random generator for test data (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * next() - 1;
  return out;
}

/**
 * A context that checks what the kernels ask for instead of computing it, for tests of counts and
 * shapes (not values): `gemm` checks the sizes, that each view's elements lie inside its buffer
 * and that C overlaps neither A nor B, then counts M*N*K without multiplying (C is left as it
 * was). Allocation, scratch and every other kernel are real. `maxScratch` is the most scratch
 * asked for in one call.
 */
export class CountingContext implements ExecContext {
  macs = 0;
  gemms = 0;
  maxScratch = 0;
  private scratchBuf = new Float32Array(0);

  alloc(shape: readonly number[]): Tensor {
    return tensor(shape);
  }

  scratch(n: number): Float32Array {
    this.maxScratch = Math.max(this.maxScratch, n);
    if (this.scratchBuf.length < n) this.scratchBuf = new Float32Array(n);
    return this.scratchBuf;
  }

  gemm(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, _accumulate: boolean): void {
    for (const [name, d] of [
      ['M', M],
      ['N', N],
      ['K', K],
    ] as const) {
      if (!Number.isSafeInteger(d) || d < 0) throw new Error(`gemm: ${name} = ${d}`);
    }
    const a = extent('A', A, M, K);
    const b = extent('B', B, K, N);
    const c = extent('C', C, M, N);
    for (const [name, other, range] of [
      ['A', A, a],
      ['B', B, b],
    ] as const) {
      if (c && range && other.data.buffer === C.data.buffer && c[0] <= range[1] && range[0] <= c[1])
        throw new Error(`gemm: C overlaps ${name}`);
    }
    this.gemms++;
    this.macs += M * N * K;
  }
}

/** The first and last element (in floats from the buffer's start) of a rows×cols view, or undefined when it is empty; throws when it leaves its array. */
function extent(name: string, m: Mat, rows: number, cols: number): [number, number] | undefined {
  if (![m.offset, m.rs, m.cs].every((v) => Number.isSafeInteger(v) && v >= 0))
    throw new Error(`gemm: ${name} has offset ${m.offset}, strides ${m.rs}, ${m.cs}`);
  if (rows === 0 || cols === 0) return undefined;
  const last = m.offset + (rows - 1) * m.rs + (cols - 1) * m.cs;
  if (last >= m.data.length)
    throw new Error(`gemm: ${name} ${rows}x${cols} at ${m.offset} (strides ${m.rs}, ${m.cs}) overruns its ${m.data.length} floats`);
  const base = m.data.byteOffset / 4;
  return [base + m.offset, base + last];
}
