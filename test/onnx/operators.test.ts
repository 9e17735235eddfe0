/** Each operator mapping and each error of the ONNX front end, on models built here (build.ts). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Graph } from '../../src/index.js';
import { MAX_ONNX_BYTES, decodeModel } from '../../src/onnx/decode.js';
import { buildOnnxGraph, OnnxError } from '../../src/onnx/index.js';
import { cli } from '../cli/run.js';
import { onnxModel, type ModelDef, type NodeDef } from './build.js';

const build = (def: ModelDef, input?: number[]) => buildOnnxGraph(onnxModel(def), { file: 'm.onnx', ...(input ? { input } : {}) });
const graph = (def: ModelDef, input?: number[]): Graph => build(def, input).graph;
/** `kind name [shape]` of every layer after the input. */
const layers = (g: Graph) => g.nodes.slice(1).map((n) => `${n.kind} ${n.name} [${n.outputShape.join(',')}]`);
const error = (def: ModelDef) => {
  try {
    build(def);
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

const W = (name: string, dims: number[]) => ({ name, dims });
const I64 = (name: string, values: number[]) => ({ name, dims: [values.length], int64: values });
const F32 = (name: string, values: number[], dims = [values.length]) => ({ name, dims, float: values });
const conv = (x: string, y: string, w: string, cout: number, cin: number, k = 3, attrs = {}) => ({
  def: {
    op: 'Conv',
    name: `/${y}/Conv`,
    inputs: [x, w, `${w}.b`],
    outputs: [y],
    attrs: { kernel_shape: [k, k], pads: [1, 1, 1, 1], ...attrs },
  },
  inits: [W(w, [cout, cin, k, k]), W(`${w}.b`, [cout])],
});

describe('ONNX operators', () => {
  it('Conv, Relu: names from torch scopes, padding, bias, groups; weights as external data need only their shapes', () => {
    const c = conv('input', 'c', 'w', 8, 1, 3, { group: 3, strides: [2, 2] });
    const g = graph({
      input: ['batch', 3, 8, 8],
      nodes: [
        { ...c.def, name: '/features/features.0/features.0.0/Conv', inputs: ['input', 'w'], attrs: { ...c.def.attrs, group: 1 } },
        { op: 'Relu', name: '/features/features.0/features.0.1/Relu', inputs: ['c'], outputs: ['r'] },
      ],
      initializers: [W('w', [8, 3, 3, 3])],
    });
    expect(layers(g)).toEqual(['conv features.0.0 [8,4,4]', 'relu features.0.1 [8,4,4]']);
    expect(g.nodes[1].tensors.map((t) => t.name)).toEqual(['weight']);
    expect(analyze(g).totals.macs).toBe(8 * 16 * 27);
    expect(g.scopes.map((s) => s.name)).toEqual(['features', 'features.0']);
    const depthwise = graph({
      nodes: [{ ...c.def, attrs: { ...c.def.attrs, group: 3 } }],
      initializers: [W('w', [9, 1, 3, 3]), W('w.b', [9])],
    });
    expect(layers(depthwise)).toEqual(['conv c [9,4,4]']);
    const same = graph({
      nodes: [{ op: 'Conv', inputs: ['input', 'w'], outputs: ['y'], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } }],
      initializers: [W('w', [4, 3, 3, 3])],
    });
    expect(same.nodes[1].args).toMatchObject({ padding: { top: 0, bottom: 1, left: 0, right: 1 } });
  });

  it('Clip as relu6 and relu, LeakyRelu, Tanh, HardSwish, Gelu, Sigmoid', () => {
    const un = (op: string, extra: Partial<{ inputs: string[]; attrs: Record<string, number | string> }> = {}) =>
      layers(
        graph({
          nodes: [{ op, inputs: extra.inputs ?? ['input'], outputs: ['y'], attrs: extra.attrs ?? {} }],
          initializers: [F32('zero', [0], []), F32('six', [6], [])],
        }),
      )[0].split(' ')[0];
    expect(un('Clip', { inputs: ['input', 'zero', 'six'] })).toBe('relu6');
    expect(un('Clip', { inputs: ['input', 'zero'] })).toBe('relu');
    expect(un('LeakyRelu', { attrs: { alpha: 0.2 } })).toBe('leaky_relu');
    expect(un('Tanh')).toBe('tanh');
    expect(un('HardSwish')).toBe('hardswish');
    expect(un('Gelu')).toBe('gelu');
    expect(un('Sigmoid')).toBe('sigmoid');
    expect(un('HardSigmoid', { attrs: { alpha: 1 / 6, beta: 0.5 } })).toBe('hardsigmoid');
    expect(un('Softmax', { attrs: { axis: 1 } })).toBe('softmax');
    expect(un('Dropout')).toBe('dropout');
    expect(un('Identity')).toBe('identity');
    expect(un('LRN', { attrs: { size: 5 } })).toBe('lrn');
    expect(un('GlobalAveragePool')).toBe('global_avgpool');
    const lrn = graph({ nodes: [{ op: 'LRN', inputs: ['input'], outputs: ['y'], attrs: { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 } }] });
    expect(lrn.nodes[1].args).toEqual({ size: 5, alpha: 1e-4, beta: 0.75, k: 2 });
    expect(error({ nodes: [{ op: 'Clip', inputs: ['input', 'zero'], outputs: ['y'] }], initializers: [F32('zero', [1], [])] })).toMatch(
      /Clip to \[1, Infinity\]/,
    );
  });

  it('x · sigmoid(x) is silu, x · hardsigmoid(x) hardswish; a gate of another tensor stays sigmoid and mul', () => {
    const gate = (op: string, other: string) =>
      layers(
        graph({
          nodes: [
            { op, inputs: ['input'], outputs: ['s'], attrs: op === 'HardSigmoid' ? { alpha: 1 / 6 } : {} },
            { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['p'] },
            { op: 'Mul', inputs: [other, 's'], outputs: ['y'] },
          ],
        }),
      ).map((l) => l.split(' ')[0]);
    expect(gate('Sigmoid', 'input')).toEqual(['global_avgpool', 'silu']);
    expect(gate('HardSigmoid', 'input')).toEqual(['global_avgpool', 'hardswish']);
    // Squeeze-and-excitation: x [3, 8, 8] times sigmoid(pool) [3, 1, 1], broadcast.
    const se = graph({
      nodes: [
        { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['p'] },
        { op: 'Sigmoid', inputs: ['p'], outputs: ['s'] },
        { op: 'Mul', inputs: ['input', 's'], outputs: ['y'] },
      ],
    });
    expect(layers(se).map((l) => l.split(' ')[0])).toEqual(['global_avgpool', 'sigmoid', 'mul']);
    expect(se.nodes[3].outputShape).toEqual([3, 8, 8]);
  });

  it("the Erf form of GELU (Div, Erf, Add, Mul, Mul) is one gelu, named by the Div's module", () => {
    const g = graph({
      nodes: [
        { op: 'Div', name: '/block.4/Div', inputs: ['input', 'sqrt2'], outputs: ['d'] },
        { op: 'Erf', name: '/block.4/Erf', inputs: ['d'], outputs: ['e'] },
        { op: 'Add', name: '/block.4/Add', inputs: ['e', 'one'], outputs: ['a'] },
        { op: 'Mul', name: '/block.4/Mul', inputs: ['input', 'a'], outputs: ['m'] },
        { op: 'Mul', name: '/block.4/Mul_1', inputs: ['m', 'half'], outputs: ['y'] },
      ],
      initializers: [F32('sqrt2', [Math.SQRT2], []), F32('one', [1], []), F32('half', [0.5], [])],
    });
    expect(layers(g)).toEqual(['gelu block.4 [3,8,8]']);
    expect(error({ nodes: [{ op: 'Erf', inputs: ['input'], outputs: ['y'] }] })).toMatch(
      /node 0 '\/m0\/Erf' \(Erf\): unsupported Erf outside the Erf form of GELU/,
    );
    const cut = error({
      nodes: [
        { op: 'Div', inputs: ['input', 'sqrt2'], outputs: ['d'] },
        { op: 'Relu', inputs: ['d'], outputs: ['y'] },
      ],
      initializers: [F32('sqrt2', [Math.SQRT2], [])],
    });
    expect(cut).toMatch(/node 0 .*\(Div\): is part of an Erf-form GELU, and the rest of it does not follow/);
  });

  it('Add, Mul of activations; Concat, Split and Slice on the channels', () => {
    const g = graph({
      nodes: [
        { op: 'Split', inputs: ['input', 'sizes'], outputs: ['a', 'b'], attrs: { axis: 1 } },
        { op: 'Slice', inputs: ['input', 'starts', 'ends', 'axes'], outputs: ['c'] },
        { op: 'Add', inputs: ['b', 'c'], outputs: ['s'] },
        { op: 'Concat', inputs: ['a', 's', 'input'], outputs: ['y'], attrs: { axis: 1 } },
      ],
      initializers: [I64('sizes', [1, 2]), I64('starts', [1]), I64('ends', [9223372036854]), I64('axes', [1])],
    });
    expect(layers(g)).toEqual([
      'channel_slice m0.split.0 [1,8,8]',
      'channel_slice m0.split.1 [2,8,8]',
      'channel_slice m1 [2,8,8]',
      'add m2 [2,8,8]',
      'concat m3 [6,8,8]',
    ]);
    const even = graph({ opset: 11, nodes: [{ op: 'Split', inputs: ['input'], outputs: ['a', 'b', 'c'], attrs: { axis: 1 } }] });
    expect(layers(even).map((l) => l.split(' ')[2])).toEqual(['[1,8,8]', '[1,8,8]', '[1,8,8]']);
  });

  it('MaxPool and AveragePool; a zero Pad is taken into the average pool or the convolution after it', () => {
    const g = graph({
      nodes: [
        {
          op: 'MaxPool',
          inputs: ['input'],
          outputs: ['m'],
          attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 },
        },
        { op: 'Pad', inputs: ['m', 'pads'], outputs: ['p'], attrs: { mode: 'constant' } },
        { op: 'AveragePool', inputs: ['p'], outputs: ['a'], attrs: { kernel_shape: [3, 3], strides: [1, 1] } },
        { op: 'Pad', inputs: ['a', 'pads'], outputs: ['q'] },
        { op: 'Conv', inputs: ['q', 'w'], outputs: ['y'], attrs: { kernel_shape: [3, 3] } },
      ],
      initializers: [I64('pads', [0, 0, 1, 1, 0, 0, 1, 1]), W('w', [2, 3, 3, 3])],
    });
    expect(layers(g)).toEqual(['maxpool m0 [3,5,5]', 'avgpool m2 [3,5,5]', 'conv m4 [2,5,5]']);
    expect(g.nodes[2].args).toMatchObject({ padding: [1, 1], count_include_pad: true });
    expect(
      error({
        nodes: [
          { op: 'Pad', inputs: ['input', 'pads'], outputs: ['p'] },
          { op: 'Relu', inputs: ['p'], outputs: ['y'] },
        ],
        initializers: [I64('pads', [0, 0, 1, 1, 0, 0, 1, 1])],
      }),
    ).toMatch(/\(Pad\): zero padding is mapped only into the Conv or AveragePool that reads it/);
    expect(
      error({ nodes: [{ op: 'MaxPool', inputs: ['input'], outputs: ['y'], attrs: { kernel_shape: [2, 2], pads: [0, 0, 1, 1] } }] }),
    ).toMatch(/unequal pads/);
  });

  it('ReduceMean over H and W, Flatten, Gemm, MatMul with its Add as the bias', () => {
    const g = graph({
      nodes: [
        { op: 'ReduceMean', inputs: ['input'], outputs: ['r'], attrs: { axes: [2, 3], keepdims: 0 } },
        { op: 'Gemm', inputs: ['r', 'fc', 'fc.b'], outputs: ['g'], attrs: { transB: 1 } },
        { op: 'MatMul', inputs: ['g', 'mm'], outputs: ['m'] },
        { op: 'Add', inputs: ['mm.b', 'm'], outputs: ['y'] },
      ],
      initializers: [W('fc', [10, 3]), W('fc.b', [10]), W('mm', [10, 4]), W('mm.b', [4])],
    });
    expect(layers(g)).toEqual([
      'global_avgpool m0.reducemean [3,1,1]',
      'flatten m0.reducemean_flatten [3]',
      'linear m1 [10]',
      'linear m2 [4]',
    ]);
    expect(analyze(g).totals.params).toBe(30 + 10 + 40 + 4);
    const flat = graph({
      nodes: [
        { op: 'Flatten', inputs: ['input'], outputs: ['f'], attrs: { axis: 1 } },
        { op: 'MatMul', inputs: ['f', 'mm'], outputs: ['y'] },
      ],
      initializers: [W('mm', [192, 5])],
    });
    expect(layers(flat)).toEqual(['flatten m0 [192]', 'linear m1 [5]']);
    expect(flat.nodes[2].tensors.map((t) => t.name)).toEqual(['weight']);
  });

  it('the channels-last block of ConvNeXt: Transpose, LayerNormalization, MatMul + Add, Transpose, layer scale', () => {
    const g = graph({
      nodes: [
        { op: 'Transpose', inputs: ['input'], outputs: ['t'], attrs: { perm: [0, 2, 3, 1] } },
        {
          op: 'LayerNormalization',
          name: '/block.2/LayerNormalization',
          inputs: ['t', 'ln.w', 'ln.b'],
          outputs: ['n'],
          attrs: { axis: -1, epsilon: 1e-6 },
        },
        { op: 'MatMul', name: '/block.3/MatMul', inputs: ['n', 'mm'], outputs: ['m'] },
        { op: 'Add', name: '/block.3/Add', inputs: ['mm.b', 'm'], outputs: ['a'] },
        { op: 'Transpose', inputs: ['a'], outputs: ['b'], attrs: { perm: [0, 3, 1, 2] } },
        { op: 'Mul', name: '/Mul', inputs: ['scale', 'b'], outputs: ['y'] },
      ],
      initializers: [W('ln.w', [3]), W('ln.b', [3]), W('mm', [3, 12]), W('mm.b', [12]), W('scale', [12, 1, 1])],
    });
    expect(layers(g)).toEqual(['layernorm block.2 [3,8,8]', 'channel_linear block.3 [12,8,8]', 'layer_scale mul [12,8,8]']);
    expect(g.nodes[1].args).toEqual({ eps: 1e-6, affine: true });
  });

  it('the LayerNorm that opsets before 17 export as ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add', () => {
    const g = graph({
      opset: 13,
      input: ['batch', 6],
      nodes: [
        { op: 'ReduceMean', name: '/ln/ReduceMean', inputs: ['input'], outputs: ['mean'], attrs: { axes: [-1] } },
        { op: 'Sub', inputs: ['input', 'mean'], outputs: ['c'] },
        { op: 'Pow', inputs: ['c', 'two'], outputs: ['sq'] },
        { op: 'ReduceMean', inputs: ['sq'], outputs: ['var'], attrs: { axes: [-1] } },
        { op: 'Add', inputs: ['var', 'eps'], outputs: ['ve'] },
        { op: 'Sqrt', inputs: ['ve'], outputs: ['std'] },
        { op: 'Div', inputs: ['c', 'std'], outputs: ['n'] },
        { op: 'Mul', inputs: ['n', 'w'], outputs: ['s'] },
        { op: 'Add', inputs: ['s', 'b'], outputs: ['y'] },
      ],
      initializers: [F32('two', [2], []), F32('eps', [1e-5], []), W('w', [6]), W('b', [6])],
    });
    expect(layers(g)).toEqual(['layernorm ln [6]']);
    expect((g.nodes[1].args as { eps: number }).eps).toBeCloseTo(1e-5, 12);
    expect(analyze(g).totals.params).toBe(12);
  });

  it('the channel shuffle: Reshape, Transpose, Reshape, its shapes folded from Shape, Gather, Div, Unsqueeze, Concat', () => {
    const dims = ['n', 'c', 'h', 'w'];
    const g = graph({
      input: ['batch', 4, 8, 8],
      nodes: [
        ...dims.flatMap((d, i): NodeDef[] => [
          { op: 'Shape', inputs: ['input'], outputs: [`s${d}`] },
          { op: 'Constant', inputs: [], outputs: [`i${d}`], attrs: { value: { tensor: { dims: [], int64: [i] } } } },
          { op: 'Gather', inputs: [`s${d}`, `i${d}`], outputs: [d], attrs: { axis: 0 } },
        ]),
        { op: 'Div', inputs: ['c', 'two'], outputs: ['cg'] },
        { op: 'Cast', inputs: ['cg'], outputs: ['cgi'], attrs: { to: 7 } },
        ...['n', 'cgi', 'h', 'w'].map((d): NodeDef => ({ op: 'Unsqueeze', inputs: [d, 'zero'], outputs: [`u${d}`] })),
        { op: 'Concat', inputs: ['un', 'two1', 'ucgi', 'uh', 'uw'], outputs: ['shape5'], attrs: { axis: 0 } },
        { op: 'Reshape', name: '/stage2/stage2.0/Reshape', inputs: ['input', 'shape5'], outputs: ['r'] },
        { op: 'Transpose', inputs: ['r'], outputs: ['t'], attrs: { perm: [0, 2, 1, 3, 4] } },
        { op: 'Concat', inputs: ['un', 'minus1', 'uh', 'uw'], outputs: ['shape4'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['t', 'shape4'], outputs: ['y'] },
      ],
      initializers: [{ name: 'two', dims: [], int64: [2] }, I64('zero', [0]), I64('two1', [2]), I64('minus1', [-1])],
    });
    expect(layers(g)).toEqual(['channel_shuffle stage2.0 [4,8,8]']);
    expect(g.nodes[1].args).toEqual({ groups: 2 });
    const flat = graph({
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['s'], attrs: { value: { tensor: { dims: [2], int64: [-1, 192] } } } },
        { op: 'Reshape', inputs: ['input', 's'], outputs: ['y'] },
      ],
    });
    expect(layers(flat)).toEqual(['flatten m1 [192]']);
    expect(error({ nodes: [{ op: 'Reshape', inputs: ['input', 's'], outputs: ['y'] }], initializers: [I64('s', [0, 3, 64])] })).toMatch(
      /Reshape of \[N, 3, 8, 8\] to \[N, 3, 64\]/,
    );
  });

  it('BatchNormalization (no num_batches_tracked: the file has none), ConvTranspose, Resize, Identity of an initializer', () => {
    const g = graph({
      nodes: [
        { op: 'BatchNormalization', inputs: ['input', 's', 'b', 'm', 'v'], outputs: ['bn'], attrs: { epsilon: 1e-3, momentum: 0.9 } },
        { op: 'Identity', inputs: ['w'], outputs: ['w2'] },
        { op: 'ConvTranspose', inputs: ['bn', 'w2'], outputs: ['ct'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
        {
          op: 'Resize',
          inputs: ['ct', '', 'scales'],
          outputs: ['up'],
          attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
        },
        {
          op: 'Resize',
          inputs: ['up', '', '', 'sizes'],
          outputs: ['y'],
          attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' },
        },
      ],
      initializers: [
        W('s', [3]),
        W('b', [3]),
        W('m', [3]),
        W('v', [3]),
        W('w', [3, 5, 2, 2]),
        F32('scales', [1, 1, 2, 2]),
        I64('sizes', [1, 5, 40, 40]),
      ],
    });
    expect(layers(g)).toEqual(['batchnorm m0 [3,8,8]', 'conv_transpose m2 [5,16,16]', 'upsample m3 [5,32,32]', 'upsample m4 [5,40,40]']);
    expect(g.nodes[1].tensors.map((t) => t.name)).toEqual(['weight', 'bias', 'running_mean', 'running_var']);
    expect(g.nodes[1].args).toMatchObject({ eps: 1e-3 });
    expect((g.nodes[1].args as { momentum: number }).momentum).toBeCloseTo(0.1, 6);
    expect(g.nodes[4].args).toMatchObject({ mode: 'bilinear', size: [40, 40], align_corners: false });
  });

  it('a symbolic batch is the analysis batch; other symbolic dimensions are set with --input', () => {
    const def: ModelDef = { input: ['N', 3, 'height', 'width'], nodes: [{ op: 'Relu', inputs: ['input'], outputs: ['y'] }] };
    expect(error(def)).toMatch(
      /input 'input' has the symbolic dimensions \[N, 3, height, width\]: give the others than the batch with --input \(C,H,W\)/,
    );
    const g = graph(def, [3, 16, 16]);
    expect(g.inputShape).toEqual([3, 16, 16]);
    expect(analyze(g, { batch: 4 }).layers[0].output_shape).toEqual([4, 3, 16, 16]);
  });

  it('refuses, in one line, what it does not map: unknown operators, other domains, constants it cannot read', () => {
    const unknown = error({
      nodes: [
        { op: 'Relu', inputs: ['input'], outputs: ['r'] },
        { op: 'NonMaxSuppression', name: 'nms', inputs: ['r'], outputs: ['y'] },
      ],
    });
    expect(unknown).toMatch(
      /^m\.onnx: error: node 1 'nms' \(NonMaxSuppression\): unsupported operator NonMaxSuppression; cnnscope maps the operators Add, AveragePool, .*Upsample \(docs\/onnx\.md\)$/,
    );
    expect(unknown.split('\n')).toHaveLength(1);
    expect(error({ nodes: [{ op: 'Relu', domain: 'com.microsoft', inputs: ['input'], outputs: ['y'] }] })).toMatch(
      /unsupported operator com\.microsoft\.Relu/,
    );
    // A shape stored as external data cannot be folded without its data file.
    expect(error({ nodes: [{ op: 'Reshape', inputs: ['input', 's'], outputs: ['y'] }], initializers: [W('s', [2])] })).toMatch(
      /node 0 .*\(Reshape\): needs the values of 's', stored as external data in 'weights\.data', which cannot be read beside the model/,
    );
    expect(error({ nodes: [{ op: 'Relu', inputs: ['nothing'], outputs: ['y'] }] })).toMatch(
      /input 'nothing' is computed by no earlier node/,
    );
    expect(error({ input: ['batch', 3, 8], nodes: [{ op: 'Relu', inputs: ['input'], outputs: ['y'] }] })).toMatch(
      /has 3 dimensions; cnnscope reads images/,
    );
  });

  it('malformed protobuf, a file that is not a model, a file over 2 GB', () => {
    const bad = (bytes: Uint8Array) => {
      try {
        buildOnnxGraph(bytes, { file: 'bad.onnx' });
      } catch (e) {
        expect(e).toBeInstanceOf(OnnxError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(bad(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]))).toMatch(
      /^bad\.onnx: error: not a valid ONNX model: the protobuf does not decode \(.+\)$/,
    );
    expect(bad(Buffer.from('name: resnet\nlayers: []\n'))).toMatch(/^bad\.onnx: error: not a valid ONNX model/);
    expect(bad(new Uint8Array(0))).toBe('bad.onnx: error: not a valid ONNX model: it has no ir_version or no graph');
    expect(() => decodeModel({ length: MAX_ONNX_BYTES + 1 } as Uint8Array, 'big.onnx')).toThrow(
      /^big\.onnx: error: the file is larger than 2 GB/,
    );
  });
});

describe('ONNX through the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnscope-onnx-'));
  const file = (name: string, def: ModelDef) => {
    const path = join(dir, name);
    writeFileSync(path, onnxModel(def));
    return path;
  };
  const small = file('small.onnx', {
    nodes: [
      { op: 'Conv', name: '/conv1/Conv', inputs: ['input', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', name: '/relu/Relu', inputs: ['c'], outputs: ['y'] },
    ],
    initializers: [W('w', [4, 3, 3, 3])],
  });

  it('analyze, graph, diff and check read .onnx paths', async () => {
    const a = await cli(['analyze', small, '--batch', '2', '--json']);
    expect(a.code).toBe(0);
    const report = JSON.parse(a.stdout) as { totals: { macs: number; params: number }; layers: { name: string; output_shape: number[] }[] };
    expect(report.totals).toMatchObject({ params: 108, macs: 2 * 4 * 64 * 27 });
    expect(report.layers.map((l) => l.name)).toEqual(['conv1', 'relu']);
    expect((await cli(['graph', small])).stdout).toMatch(/^digraph/);
    expect((await cli(['diff', small, small])).code).toBe(0);
    const checked = await cli(['check', small]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/small/);
  });

  it('says in a note that BatchNorm was folded, on stderr beside the report', async () => {
    const folded = file('folded.onnx', {
      nodes: [{ op: 'Conv', inputs: ['input', 'onnx::Conv_1', 'onnx::Conv_2'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } }],
      initializers: [W('onnx::Conv_1', [4, 3, 1, 1]), W('onnx::Conv_2', [4])],
    });
    const r = await cli(['analyze', folded]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^note: .*folded\.onnx: BatchNorm folded into convolutions by the exporter: 1 convolution holds the folded weight and bias/,
    );
  });

  it('errors are one line, exit 2', async () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'not protobuf at all \u00ff\u00ff\u00ff');
    for (const argv of [
      ['analyze', bad],
      ['analyze', small, '--set', 'depth=1'],
      ['analyze', small, '--preset', 'x'],
      ['check', bad],
    ]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    }
  });
});
