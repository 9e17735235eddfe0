/**
 * `exportOnnx` (src/onnx/export.ts): a YAML model written as ONNX and read back by the ONNX front
 * end gives the YAML's figures (roundtrip.ts), for a model of every kind and for bundled models at
 * opsets 13 and 17 (18 on a few); the bytes are deterministic; the initializers are the weights,
 * by state_dict key; names, metadata and errors. `npm test` checks a representative subset of the
 * bundled models; CNNSCOPE_ONNX_ALL=1 checks every one (minutes).
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { analyze, buildGraph, bundledModels, initWeights, loadBundled, weightSlots, type Graph } from '../../src/index.js';
import { layerKinds } from '../../src/layers/index.js';
import { decodeModel, tensorValues } from '../../src/onnx/decode.js';
import { ONNX_DESCRIPTOR } from '../../src/onnx/descriptor.js';
import { EXPORT_OPSETS, exportOnnx, exportOnnxModel, OnnxExportError } from '../../src/onnx/export.js';
import { thrown } from '../thrown.js';
import { roundTrip, zeroWeights } from './roundtrip.js';

const EVERY_KIND = new URL('../fixtures/export/every_kind.yaml', import.meta.url).pathname;
const everyKind = (): Graph => buildGraph(readFileSync(EVERY_KIND, 'utf8'), { file: EVERY_KIND });

const ALL = process.env['CNNSCOPE_ONNX_ALL'] === '1';
/**
 * The smallest bundled models of the families with forms of their own (SE gates, channel shuffles
 * and slices, stochastic depth): every kind is in every_kind.yaml, and every model under ALL.
 */
const REPRESENTATIVE = ['lecture/bottleneck', 'squeezenet1_1', 'mobilenet_v3_small', 'shufflenet_v2_x0_5', 'efficientnet_b0'];
/** Past 2 GiB of weights, more than one protobuf file holds. */
const TOO_LARGE = new Set(['regnet_y_128gf']);

describe('exportOnnx: the round trip through the ONNX front end', () => {
  for (const opset of [13, 14, 16, 17, 18]) {
    it(`gives a model of every kind its figures back at opset ${opset}`, () => {
      const graph = everyKind();
      expect(new Set(graph.nodes.slice(1).map((n) => n.kind))).toEqual(new Set(Object.keys(layerKinds)));
      expect(roundTrip(graph, opset).differences).toEqual([]);
    });
  }

  const models = bundledModels()
    .map((m) => m.name)
    .filter((m) => (ALL ? !TOO_LARGE.has(m) : REPRESENTATIVE.includes(m)));
  for (const model of models) {
    for (const opset of ALL ? [13, 17, 18] : [13, 17]) {
      it(`${model} at opset ${opset}`, () => {
        expect(roundTrip(loadBundled(model), opset).differences).toEqual([]);
      });
    }
  }

  it('writes the same bytes for the same model, weights and opset', () => {
    const graph = everyKind();
    const weights = initWeights(graph, 7);
    const a = exportOnnx(graph, weights, { opset: 17 });
    expect(Buffer.from(exportOnnx(everyKind(), initWeights(everyKind(), 7), { opset: 17 })).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(exportOnnx(graph, initWeights(graph, 8), { opset: 17 })).equals(Buffer.from(a))).toBe(false);
  });
});

describe('exportOnnx: what the file holds', () => {
  const graph = everyKind();
  const weights = initWeights(graph, 3);
  const written = exportOnnxModel(graph, weights, { opset: 17, source: 'every_kind.yaml' });
  const model = decodeModel(written.bytes, 'every_kind.onnx');

  it('holds every float tensor as a float32 initializer named by its state_dict key, with its values', () => {
    const floats = weightSlots(graph).filter((s) => s.spec.dtype === 'float');
    expect(model.initializers.map((t) => t.name)).toEqual(floats.map((s) => s.key));
    expect(written.initializers).toBe(floats.length);
    for (const [i, t] of model.initializers.entries()) {
      const slot = floats[i];
      expect(t.dims).toEqual(slot.spec.shape);
      expect(t.dataType).toBe(1);
      expect(Float32Array.from(tensorValues(t, 'x')!)).toEqual(weights.get(slot.node.id)![slot.spec.name]);
    }
    expect(model.initializers.some((t) => t.name.endsWith('num_batches_tracked'))).toBe(false);
  });

  it("names nodes by their layer, the input 'input' and the outputs output_0.., with a dynamic batch", () => {
    expect(model.opset).toBe(17);
    expect(model.producer).toMatch(/^cnnscope \d+\.\d+\.\d+/);
    expect(model.nodes.length).toBe(written.nodes);
    const names = new Set(model.nodes.map((n) => n.name));
    for (const node of graph.nodes.slice(1)) expect(names.has(node.name), node.name).toBe(true);
    for (const n of model.nodes) expect(n.name === '' || names.has(n.name.replace(/\/.*$/, '')), n.name).toBe(true);
    expect(model.nodes.find((n) => n.name === 'stem')!.opType).toBe('Conv');
    expect(model.nodes.find((n) => n.name === 'ln')!.opType).toBe('LayerNormalization');
    expect(model.inputs).toEqual([{ name: 'input', dims: ['batch', 8, 12, 12], elemType: 1 }]);
    expect(model.outputs).toEqual([
      { name: 'output_0', dims: ['batch', 10], elemType: 1 },
      { name: 'output_1', dims: ['batch', 8, 1, 1], elemType: 1 },
    ]);
  });

  it("carries the model's name, file and description, and cnnscope's version", () => {
    const ModelProto = protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType('onnx.ModelProto');
    const m = ModelProto.toObject(ModelProto.decode(written.bytes)) as {
      metadata_props: { key: string; value: string }[];
      producer_name: string;
    };
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect(m.producer_name).toBe('cnnscope');
    expect(m.metadata_props).toEqual([
      { key: 'name', value: 'every_kind' },
      { key: 'source', value: 'every_kind.yaml' },
      { key: 'reference', value: 'test/onnx/export.test.ts' },
      { key: 'cnnscope_version', value: version },
    ]);
  });

  it('writes the forms of each opset: HardSwish from 14, LayerNormalization from 17, ReduceMean axes as an input at 18', () => {
    const ops = (opset: number) => new Set(decodeModel(exportOnnx(graph, weights, { opset }), 'x').nodes.map((n) => n.opType));
    const [at13, at14, at17] = [ops(13), ops(14), ops(17)];
    expect(at13.has('HardSwish')).toBe(false);
    expect(at14.has('HardSwish')).toBe(true);
    expect(at14.has('LayerNormalization')).toBe(false);
    expect(at17.has('LayerNormalization')).toBe(true);
    const at18 = decodeModel(exportOnnx(graph, weights, { opset: 18 }), 'x').nodes.filter((n) => n.opType === 'ReduceMean');
    expect(at18.length).toBeGreaterThan(0);
    for (const n of at18) expect([n.inputs.length, n.attributes.has('axes')]).toEqual([2, false]);
  });

  it('reads back as the same model analyze reports', () => {
    const back = roundTrip(graph, 17, weights);
    expect(back.differences).toEqual([]);
    expect(analyze(graph).totals.params).toBeGreaterThan(0);
  });
});

describe('exportOnnx: errors', () => {
  it('refuses an opset outside 13 to 18', () => {
    const graph = everyKind();
    for (const opset of [12, 19, 17.5]) {
      expect(thrown(() => exportOnnx(graph, zeroWeights(graph), { opset }))).toEqual(
        new OnnxExportError(`opset ${opset}: cnnscope writes opsets ${EXPORT_OPSETS.min} to ${EXPORT_OPSETS.max}`),
      );
    }
  });

  it('refuses weights that do not fit', () => {
    const graph = loadBundled('lecture/bottleneck');
    const weights = new Map(zeroWeights(graph));
    weights.delete(1);
    weights.set(3, { weight: new Float32Array(5) });
    expect(thrown(() => exportOnnx(graph, weights)).message).toBe(
      "the weights do not fit the model 'lecture-bottleneck': 0.weight [64, 256, 1, 1] is missing; 2.weight has 5 values, the layer's tensor [64, 64, 3, 3] has 36864",
    );
  });

  it('names the layer whose kind has no ONNX form, or none at this opset', () => {
    const yaml = 'name: m\ninput: [4, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 1}\n  - gelu: {name: act, approximate: tanh}\n';
    const graph = buildGraph(yaml, { file: 'm.yaml' });
    expect(thrown(() => exportOnnx(graph, zeroWeights(graph))).message).toBe(
      "m.yaml:5:5: error: layer 'act' (gelu): no ONNX form at opset 17: approximate 'tanh' has no ONNX form before opset 20 (Gelu)",
    );
    const formless = {
      ...graph,
      nodes: graph.nodes.map((n) => (n.kind === 'conv' ? { ...n, layer: { ...n.layer, onnx: undefined } } : n)),
    };
    expect(thrown(() => exportOnnx(formless, zeroWeights(graph))).message).toBe(
      "m.yaml:4:5: error: layer '0' (conv): the kind has no ONNX form, so the model cannot be exported",
    );
  });

  it('refuses a model past the 2 GiB one protobuf file holds', () => {
    // The size is known from the weights before anything is encoded: a [2^29 + 1] float tensor is over 2 GiB.
    const yaml = 'name: big\ninput: [1]\nlayers:\n  - linear: {out: 536870913, bias: false}\n';
    const graph = buildGraph(yaml, { file: 'big.yaml' });
    const weights = new Map([[1, { weight: { length: 536870913, byteLength: 2 ** 31 + 4 } as unknown as Float32Array }]]);
    expect(thrown(() => exportOnnx(graph, weights)).message).toMatch(
      /^the model would be 2\.00 GiB, more than the 2 GiB one protobuf file holds/,
    );
  });
});
