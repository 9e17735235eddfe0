/** Shared pieces of the execute-mode tests: the fixtures and small builders. */
import { readdirSync, readFileSync } from 'node:fs';
import { buildGraph, type Graph } from '../../src/index.js';
import type { LayerWeights } from '../../src/layers/kind.js';
import type { GraphWeights } from '../../src/execute/weights.js';

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
      const p = byKey.get(`${node.name}.${spec.name}`);
      if (!p) throw new Error(`${net.name}: no parameter ${node.name}.${spec.name}`);
      layer[spec.name] = Float32Array.from(p.values);
    }
    out.set(node.id, layer);
  }
  return out;
}

/** Zero weights of the right sizes: enough where only shapes and counts matter. */
export function zeroWeights(graph: Graph): GraphWeights {
  const out = new Map<number, LayerWeights>();
  for (const node of graph.nodes) {
    const layer: Record<string, Float32Array> = {};
    for (const spec of node.tensors) if (spec.dtype === 'float') layer[spec.name] = new Float32Array(spec.shape.reduce((p, d) => p * d, 1));
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
