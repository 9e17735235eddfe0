/**
 * Execute mode against PyTorch: the tiny nets of kinds/<kind>.json (together every layer kind, run
 * through the whole path: model -> graph -> executor), and full torchvision networks at
 * a small input (64x64, inception_v3 75x75) with the synthetic weights formula (full_nets.json). Made by scripts/torch_reference_nets.py.
 *
 * Error measure (relativeError in src/kernels/tensor.ts): max|actual - expected| / max(max|expected|, 1e-6),
 * one number per tensor; the bound is 1e-4 against PyTorch's float32 outputs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { execute, staticMacs } from '../../src/execute/execute.js';
import { readNpy } from '../../src/execute/npy.js';
import { relativeError, type Tensor } from '../../src/kernels/tensor.js';
import { syntheticWeights } from '../../src/execute/weights.js';
import { layerKinds, loadBundled } from '../../src/index.js';
import { kindFixtures, reference, tinyGraph, tinyNets, tinyWeights } from './helpers.js';

const TOLERANCE = 1e-4;

describe('the tiny reference nets (PyTorch float32 outputs)', () => {
  for (const net of tinyNets) {
    it(`${net.name}: ${net.description}`, () => {
      const graph = tinyGraph(net);
      const input: Tensor = { shape: net.input_shape, data: Float32Array.from(net.input) };
      const r = execute(graph, { weights: tinyWeights(graph, net), input });
      const out = r.outputs[0].tensor;
      expect(out.shape).toEqual(net.output_shape);
      expect(relativeError(out.data, net.output)).toBeLessThan(TOLERANCE);
      // Against the float64 evaluation too (the GEMM sums in float32 with wasm SIMD, float64 in JS).
      expect(relativeError(out.data, net.output_float64)).toBeLessThan(TOLERANCE);
      expect(r.macs).toBe(staticMacs(graph) * net.input_shape[0]);
      expect(r.nonFinite).toBeUndefined();
    });
  }

  it('cover every registered layer kind', () => {
    const covered = new Set(tinyNets.flatMap((net) => tinyGraph(net).nodes.map((n) => n.kind)));
    expect(Object.keys(layerKinds).filter((k) => !covered.has(k))).toEqual([]);
  });

  it('are filed one file per kind, each net using its kind', () => {
    for (const f of kindFixtures) {
      expect(f.file).toBe(`${f.kind}.json`);
      expect(Object.keys(layerKinds), f.file).toContain(f.kind);
      for (const net of f.nets)
        expect(
          tinyGraph(net).nodes.map((n) => n.kind),
          `${f.file}: ${net.name}`,
        ).toContain(f.kind);
    }
    // These kinds came before the per-kind files and are tested by the nets of others; every
    // kind added since has its own file.
    const coveredByOthers = new Set(['adaptive_avgpool', 'dropout', 'flatten', 'global_avgpool', 'softmax']);
    const files = new Set(kindFixtures.map((f) => f.kind));
    expect(Object.keys(layerKinds).filter((k) => !files.has(k) && !coveredByOthers.has(k))).toEqual([]);
    const names = tinyNets.map((n) => n.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('declare an initialization wherever they have float tensors', () => {
    for (const net of tinyNets) {
      for (const node of tinyGraph(net).nodes) {
        if (node.tensors.some((t) => t.dtype === 'float'))
          expect(node.layer.init, `${net.name}: ${node.name} (${node.kind})`).toBeDefined();
      }
    }
  });

  it('cover the argument variants the kernels branch on', () => {
    const args = tinyNets.flatMap((net) => tinyGraph(net).nodes.map((n) => ({ kind: n.kind, args: n.args as Record<string, unknown> })));
    const some = (kind: string, test: (a: Record<string, any>) => boolean) => args.some((n) => n.kind === kind && test(n.args));
    expect(some('maxpool', (a) => a.ceil && a.dilation[0] > 1 && a.padding[0] > 0)).toBe(true);
    expect(some('avgpool', (a) => a.ceil && !a.count_include_pad)).toBe(true);
    expect(some('avgpool', (a) => a.ceil && a.count_include_pad && a.padding[0] > 0)).toBe(true);
    expect(some('conv', (a) => a.groups > 1 && a.groups === a.out)).toBe(true); // depthwise
    expect(some('conv', (a) => a.groups > 1 && a.dilation[0] > 1 && a.stride[0] > 1)).toBe(true);
    expect(some('conv', (a) => a.padding.top !== a.padding.bottom || a.padding.left !== a.padding.right)).toBe(true);
    expect(some('conv', (a) => a.kernel[0] === 1 && a.kernel[1] === 1 && a.stride[0] === 1)).toBe(true); // direct GEMM
    expect(some('conv', (a) => a.kernel[0] === 1 && a.kernel[1] === 1 && a.stride[0] > 1)).toBe(true);
    expect(some('linear', (a) => !a.bias)).toBe(true);
    // Issue 11's kinds.
    expect(some('conv_transpose', (a) => a.groups > 1 && a.stride[0] !== a.stride[1])).toBe(true);
    expect(some('conv_transpose', (a) => a.output_padding[0] > 0 && a.dilation[0] > 1)).toBe(true);
    expect(
      some('upsample', (a) => a.mode === 'nearest' && a.scale_factor && !Number.isInteger(a.scale_factor[0]) && !a.recompute_scale_factor),
    ).toBe(true);
    expect(some('upsample', (a) => a.mode === 'bilinear' && a.align_corners && a.scale_factor)).toBe(true);
    expect(some('upsample', (a) => a.mode === 'bilinear' && a.recompute_scale_factor)).toBe(true);
    expect(some('layernorm', (a) => !a.affine) && some('groupnorm', (a) => !a.affine)).toBe(true);
    expect(tinyNets.some((n) => n.input_shape[0] > 1)).toBe(true);
  });
});

interface FullNet {
  model: string;
  input: string;
  seed: number;
  files: Record<string, string>;
  output_shape: number[];
}

describe('full torchvision networks at a small input with synthetic weights', () => {
  const { nets } = JSON.parse(readFileSync(reference('full_nets.json'), 'utf8')) as { nets: FullNet[] };
  for (const net of nets) {
    it(`${net.model} matches PyTorch${Object.keys(net.files).length > 1 ? ', with its stage outputs' : ''}`, () => {
      const input = readNpy(reference(net.input));
      const graph = loadBundled(net.model, { input: input.shape.slice(1) });
      // Stage outputs: the last layer of each tapped module (`layer1` -> `layer1.1.relu_out`).
      const taps = new Map<string, Tensor>();
      const lastOf = new Map<string, number>();
      for (const node of graph.nodes)
        for (const tap of Object.keys(net.files)) if (node.name.startsWith(`${tap}.`)) lastOf.set(tap, node.id);
      const r = execute(graph, {
        weights: syntheticWeights(graph, net.seed),
        input,
        onLayer: (node, _macs, out) => {
          for (const [tap, id] of lastOf) if (id === node.id) taps.set(tap, { shape: out.shape, data: out.data.slice() });
        },
      });
      const out = r.outputs[0].tensor;
      expect(out.shape).toEqual(net.output_shape);
      expect(relativeError(out.data, readNpy(reference(net.files['output'])).data)).toBeLessThan(TOLERANCE);
      for (const [tap, file] of Object.entries(net.files)) {
        if (tap === 'output') continue;
        const expected = readNpy(reference(file));
        expect(taps.get(tap)?.shape, tap).toEqual(expected.shape);
        expect(relativeError(taps.get(tap)!.data, expected.data), tap).toBeLessThan(TOLERANCE);
      }
    });
  }
});
