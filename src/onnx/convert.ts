/**
 * An ONNX graph to cnnscope's graph IR: the nodes walked in their (topological) order, each value
 * tracked as one of
 *   - a constant: an initializer, a Constant node, or a shape computation folded from the known
 *     input shape (Shape, Gather, Unsqueeze, Concat, Cast and integer arithmetic), in which the
 *     dynamic batch dimension is the symbol 'N';
 *   - an activation: the output of a layer of the IR, in NCHW (or [N, F]), or seen channels-last
 *     through a Transpose [0, 2, 3, 1] (ConvNeXt's permutes around its LayerNorm and Linear);
 *   - a pending pattern: the first nodes of a multi-node form that is one layer (MatMul + Add,
 *     the Erf form of GELU, x · sigmoid(x), the decomposed LayerNorm, Pad before a convolution,
 *     the Reshape-Transpose-Reshape of a channel shuffle). The node that completes it emits the
 *     layer; any other reader makes it a layer as it stands, or refuses it when it is none.
 * Each layer is built by its kind of src/layers/, as the YAML front end builds it, so shapes,
 * counts and receptive fields follow the same rules. Layer names come from the node names
 * (torch's `/layer1/layer1.0/conv1/Conv` is `layer1.0.conv1`), or the output names.
 */
import { ArgParser, ArgTypeError } from '../layers/args.js';
import { findKind, LayerError, numel, type LayerKind, type Shape, type TensorSpec } from '../layers/index.js';
import type { Graph, LayerNode, ScopeInfo } from '../graph/graph.js';
import { modelInput } from '../graph/layer.js';
import { DTYPE, tensorValues, type OnnxModel, type OnnxNode, type OnnxTensor } from './decode.js';
import { OnnxError } from './errors.js';

/** A dimension of a folded shape: a number, or the batch. */
type Dim = number | 'N';

interface Const {
  readonly t: 'const';
  readonly dims: readonly number[];
  /** The initializer it is (or is an Identity of): what a layer's parameters are. */
  readonly source?: OnnxTensor;
  /** The values, when known; an external initializer's are read only when needed. */
  values?: Dim[];
}

interface Act {
  readonly t: 'act';
  readonly id: number;
  /** NCHW (or flat [N, F]); `nhwc`: the same feature map seen channels-last, [N, H, W, C]. */
  readonly layout: 'nchw' | 'nhwc';
}

/** The first nodes of a multi-node form. `make` turns it into a layer as it stands (or refuses). */
interface Pending {
  readonly t: 'pending';
  readonly form: string;
  readonly x: Act;
  readonly at: NodeAt;
  readonly data: Readonly<Record<string, unknown>>;
  readonly make: () => Act;
  made?: Act;
}

type Value = Const | Act | Pending;

/** A node and where it is, for names and messages. */
interface NodeAt {
  readonly node: OnnxNode;
  readonly index: number;
}

interface Draft {
  readonly kind: LayerKind<unknown>;
  readonly args: unknown;
  readonly inputs: readonly number[];
  readonly inputShapes: readonly Shape[];
  readonly outputShape: Shape;
  readonly tensors: readonly TensorSpec[];
  /** Module path and operator part of the node's name, for naming. */
  readonly module: string;
  readonly op: string;
  readonly suffix: string;
}

export interface ConvertOptions {
  readonly file: string;
  /** `--input`: the per-sample input shape, for symbolic (or other) dimensions. */
  readonly input?: Shape;
  /** The bytes of an initializer stored as external data, when a shape computation needs its values. */
  readonly external?: (t: OnnxTensor) => Uint8Array | undefined;
}

/** The operators mapped (docs/onnx.md). */
export const SUPPORTED_OPS: readonly string[] = [
  'Add',
  'AveragePool',
  'BatchNormalization',
  'Cast',
  'Clip',
  'Concat',
  'Constant',
  'ConstantOfShape',
  'Conv',
  'ConvTranspose',
  'Div',
  'Dropout',
  'Erf',
  'Flatten',
  'Gather',
  'Gelu',
  'Gemm',
  'GlobalAveragePool',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'LayerNormalization',
  'LeakyRelu',
  'LRN',
  'MatMul',
  'MaxPool',
  'Mul',
  'Pad',
  'Pow',
  'ReduceMean',
  'Relu',
  'Reshape',
  'Resize',
  'Shape',
  'Sigmoid',
  'Slice',
  'Softmax',
  'Split',
  'Sqrt',
  'Squeeze',
  'Sub',
  'Tanh',
  'Transpose',
  'Unsqueeze',
  'Upsample',
];

export interface Converted {
  readonly graph: Graph;
  /** What the report should say about the file (a folded BatchNorm). */
  readonly notes: readonly string[];
}

const NOWHERE = { line: 0, col: 0 };

export function convert(model: OnnxModel, options: ConvertOptions): Converted {
  return new Converter(model, options).run();
}

class Converter {
  private readonly values = new Map<string, Value>();
  private readonly drafts: Draft[] = [];
  private readonly file: string;
  private foldedConvs = 0;

  constructor(
    private readonly model: OnnxModel,
    private readonly options: ConvertOptions,
  ) {
    this.file = options.file;
  }

  private fail(message: string, at?: NodeAt): never {
    throw new OnnxError(this.file, at ? `${describe(at)}: ${message}` : message);
  }

  run(): Converted {
    for (const t of this.model.initializers) this.values.set(t.name, { t: 'const', dims: t.dims, source: t });
    const inputShape = this.input();
    this.model.nodes.forEach((node, index) => {
      const at = { node, index };
      if (node.domain !== '' && node.domain !== 'ai.onnx') this.unsupported(at, `operator ${node.domain}.${node.opType}`);
      this.node(at);
    });
    const outputs: number[] = [];
    for (const o of this.model.outputs) {
      const v = this.values.get(o.name);
      if (!v) this.fail(`graph output '${o.name}' is computed by no node`);
      if (v.t === 'const') this.fail(`graph output '${o.name}' is a constant, not computed from the input`);
      const id = this.act(v, undefined).id;
      if (!outputs.includes(id)) outputs.push(id);
    }
    if (outputs.length === 0) this.fail('the graph has no outputs');
    if (this.drafts.length === 1) this.fail('the graph has no layers: its output is its input');
    const graph = this.graph(inputShape, outputs);
    const notes =
      this.foldedConvs > 0
        ? [
            `BatchNorm folded into convolutions by the exporter: ${this.foldedConvs} convolution${this.foldedConvs === 1 ? '' : 's'} hold${this.foldedConvs === 1 ? 's' : ''} the folded weight and bias, and the model has no BatchNorm there (docs/onnx.md)`,
          ]
        : [];
    return { graph, notes };
  }

  /** The graph input: node 0, its per-sample shape (batch removed) from the file or `--input`. */
  private input(): Shape {
    const inits = new Set(this.model.initializers.map((t) => t.name));
    const inputs = this.model.inputs.filter((i) => !inits.has(i.name));
    if (inputs.length !== 1) {
      this.fail(
        `the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ') || 'none'}); cnnscope analyzes models of one input`,
      );
    }
    const input = inputs[0];
    const dims = input.dims;
    if (!dims || (dims.length !== 4 && dims.length !== 2)) {
      this.fail(
        `input '${input.name}' has ${dims ? `${dims.length} dimensions` : 'no shape'}; cnnscope reads images [N, C, H, W] or features [N, F]`,
      );
    }
    let shape: number[];
    if (this.options.input) {
      if (this.options.input.length !== dims.length - 1) {
        this.fail(`--input ${this.options.input.join(',')}: input '${input.name}' has ${dims.length - 1} dimensions per sample`);
      }
      shape = [...this.options.input];
    } else {
      const symbolic = dims.slice(1).filter((d) => typeof d !== 'number' || d <= 0);
      if (symbolic.length > 0) {
        this.fail(
          `input '${input.name}' has the symbolic dimensions [${dims.join(', ')}]: give the others than the batch with --input (${dims.length === 4 ? 'C,H,W' : 'F'})`,
        );
      }
      shape = dims.slice(1) as number[];
    }
    this.drafts.push({
      kind: modelInput,
      args: { shape },
      inputs: [],
      inputShapes: [],
      outputShape: shape,
      tensors: [],
      module: '',
      op: 'input',
      suffix: '',
    });
    this.values.set(input.name, { t: 'act', id: 0, layout: 'nchw' });
    return shape;
  }

  private unsupported(at: NodeAt, what = `operator ${at.node.opType}`): never {
    this.fail(`unsupported ${what}; cnnscope maps the operators ${SUPPORTED_OPS.join(', ')} (docs/onnx.md)`, at);
  }

  // ---- values -------------------------------------------------------------------------------

  private get(at: NodeAt, i: number): Value | undefined {
    const name = at.node.inputs[i];
    if (name === undefined || name === '') return undefined;
    const v = this.values.get(name);
    if (!v) this.fail(`input '${name}' is computed by no earlier node`, at);
    return v;
  }

  private set(at: NodeAt, v: Value, output = 0): void {
    const name = at.node.outputs[output];
    if (name !== undefined && name !== '') this.values.set(name, v);
  }

  /** An activation: a pending form made a layer as it stands. */
  private act(v: Value | undefined, at: NodeAt | undefined): Act {
    if (!v) this.fail('an input is missing', at);
    if (v.t === 'act') return v;
    if (v.t === 'pending') return (v.made ??= v.make());
    return this.fail('a constant where an activation (computed from the model input) is expected', at);
  }

  private input0(at: NodeAt): Act {
    return this.act(this.get(at, 0), at);
  }

  private constant(at: NodeAt, i: number): Const | undefined {
    const v = this.get(at, i);
    if (v === undefined) return undefined;
    if (v.t !== 'const') this.fail(`input ${i + 1} ('${at.node.inputs[i]}') must be a constant`, at);
    return v;
  }

  private requireConst(at: NodeAt, i: number, what: string): Const {
    const c = this.constant(at, i);
    if (!c) this.fail(`${what} (input ${i + 1}) is missing`, at);
    return c;
  }

  /** The values of a constant; an external initializer's are read from its data file. */
  private valuesOf(c: Const, at: NodeAt): Dim[] {
    if (c.values) return c.values;
    const read = c.source ? tensorValues(c.source, this.file, this.options.external) : undefined;
    if (!read) {
      this.fail(
        `needs the values of '${c.source?.name ?? '?'}', stored as external data in '${c.source?.external?.location ?? '?'}', which cannot be read beside the model`,
        at,
      );
    }
    c.values = read;
    return read;
  }

  private numbers(c: Const, at: NodeAt, what: string): number[] {
    const v = this.valuesOf(c, at);
    if (v.some((d) => d === 'N')) this.fail(`${what} depends on the batch size`, at);
    return v as number[];
  }

  private scalar(c: Const, at: NodeAt, what: string): number {
    const v = this.numbers(c, at, what);
    if (v.length !== 1) this.fail(`${what} must be one value, got ${v.length}`, at);
    return v[0];
  }

  private shapeOf(a: Act): Shape {
    return this.drafts[a.id].outputShape;
  }

  /** The full ONNX shape of an activation, batch first. */
  private fullShape(a: Act): Dim[] {
    const s = this.shapeOf(a);
    return a.layout === 'nhwc' ? ['N', s[1], s[2], s[0]] : ['N', ...s];
  }

  private attr(at: NodeAt, name: string) {
    return at.node.attributes.get(name);
  }

  private attrInt(at: NodeAt, name: string, fallback: number): number {
    return this.attr(at, name)?.i ?? fallback;
  }

  private attrFloat(at: NodeAt, name: string, fallback: number): number {
    return this.attr(at, name)?.f ?? fallback;
  }

  private attrInts(at: NodeAt, name: string): number[] | undefined {
    const a = this.attr(at, name);
    return a ? [...a.ints] : undefined;
  }

  private attrString(at: NodeAt, name: string, fallback: string): string {
    return this.attr(at, name)?.s ?? fallback;
  }

  // ---- layers -------------------------------------------------------------------------------

  /**
   * Builds a layer of `kindName` on `inputs`, its arguments checked and defaulted by the kind.
   * `params` are the initializers it reads, in the order of the kind's tensors: each must have
   * as many values as the kind's tensor (the tensors keep the kind's shapes; the counts are the
   * file's). Tensors the file does not hold (batchnorm's num_batches_tracked) are left out.
   */
  private emit(
    kindName: string,
    args: Record<string, unknown>,
    inputs: readonly Act[],
    at: NodeAt,
    params: readonly (Const | undefined)[] = [],
    suffix = '',
    layout: Act['layout'] = inputs[0]?.layout ?? 'nchw',
  ): Act {
    const kind = findKind(kindName)!;
    const inputShapes = inputs.map((a) => this.shapeOf(a));
    const parser = new ArgParser(kind.args);
    let resolved: unknown, outputShape: Shape, tensors: readonly TensorSpec[];
    try {
      for (const [k, v] of Object.entries(args)) parser.parse(k, parser.write(k)!, v);
      resolved = kind.resolve(parser.complete(), inputShapes);
      outputShape = kind.outputShape(inputShapes, resolved);
      tensors = kind.tensors(inputShapes, resolved);
    } catch (e) {
      if (e instanceof LayerError || e instanceof ArgTypeError) this.fail(`as ${kindName}: ${e.message}`, at);
      throw e;
    }
    const held = params.filter((p): p is Const => p !== undefined);
    if (held.length > tensors.length) this.fail(`as ${kindName}: reads ${held.length} weight tensors, the layer has ${tensors.length}`, at);
    tensors.slice(0, held.length).forEach((t, i) => {
      if (numel(t.shape) !== numel(held[i].dims)) {
        this.fail(
          `as ${kindName}: weight '${held[i].source?.name ?? ''}' has shape [${held[i].dims.join(', ')}], the layer's ${t.name} is [${t.shape.join(', ')}]`,
          at,
        );
      }
    });
    const kept = tensors.filter((t) => !(kindName === 'batchnorm' && t.name === 'num_batches_tracked'));
    const { module, op } = nameParts(at);
    this.drafts.push({
      kind: kind as LayerKind<unknown>,
      args: resolved,
      inputs: inputs.map((a) => a.id),
      inputShapes,
      outputShape,
      tensors: kept,
      module,
      op,
      suffix,
    });
    return { t: 'act', id: this.drafts.length - 1, layout };
  }

  private requireNchw(a: Act, at: NodeAt): void {
    if (a.layout !== 'nchw' || this.shapeOf(a).length !== 3) {
      this.fail(`expects a feature map [N, C, H, W], got [${this.fullShape(a).join(', ')}]`, at);
    }
  }

  private pending(form: string, x: Act, at: NodeAt, data: Record<string, unknown>, make: () => Act): Pending {
    return { t: 'pending', form, x, at, data, make };
  }

  /** A pending form that is no layer until its last node: refused when read otherwise. */
  private incomplete(form: string, what: string, at: NodeAt, x: Act, data: Record<string, unknown> = {}): Pending {
    return this.pending(form, x, at, data, () => this.fail(`is part of ${what}, and the rest of it does not follow`, at));
  }

  // ---- nodes --------------------------------------------------------------------------------

  private node(at: NodeAt): void {
    const op = at.node.opType;
    if (!SUPPORTED_OPS.includes(op)) this.unsupported(at);
    // Each operator's handler is the method of its name.
    (this as unknown as Record<string, (at: NodeAt) => void>)[op](at);
  }

  /** Every input constant: the node is computed now (shape arithmetic). */
  private allConst(at: NodeAt): Const[] | undefined {
    const vs = at.node.inputs.map((_, i) => this.get(at, i));
    if (vs.every((v) => v === undefined || v.t === 'const')) return vs as Const[];
    return undefined;
  }

  private setConst(at: NodeAt, dims: readonly number[], values: Dim[], source?: OnnxTensor): void {
    this.set(at, { t: 'const', dims, values, ...(source ? { source } : {}) });
  }

  // Shape computations.

  Constant(at: NodeAt): void {
    const a = at.node.attributes;
    const t = a.get('value')?.t;
    if (t) return this.set(at, { t: 'const', dims: t.dims, source: t });
    if (a.has('value_float')) return this.setConst(at, [], [a.get('value_float')!.f]);
    if (a.has('value_int')) return this.setConst(at, [], [a.get('value_int')!.i]);
    if (a.has('value_floats')) return this.setConst(at, [a.get('value_floats')!.floats.length], [...a.get('value_floats')!.floats]);
    if (a.has('value_ints')) return this.setConst(at, [a.get('value_ints')!.ints.length], [...a.get('value_ints')!.ints]);
    this.unsupported(at, 'Constant form (sparse or string)');
  }

  Shape(at: NodeAt): void {
    const v = this.get(at, 0);
    const full = v?.t === 'const' ? v.dims.map((d) => d as Dim) : this.fullShape(this.act(v, at));
    const rank = full.length;
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + rank : i, 0), rank);
    const start = clamp(this.attrInt(at, 'start', 0));
    const end = clamp(this.attrInt(at, 'end', rank));
    const out = full.slice(start, Math.max(start, end));
    this.setConst(at, [out.length], out);
  }

  Gather(at: NodeAt): void {
    const cs = this.allConst(at);
    if (!cs) this.unsupported(at, 'Gather of an activation');
    const [data, indices] = cs;
    if (data.dims.length !== 1) this.unsupported(at, 'Gather of a constant of more than one dimension');
    const values = this.valuesOf(data, at);
    const idx = this.numbers(indices, at, 'the indices');
    const out = idx.map((i) => values[i < 0 ? i + values.length : i]);
    if (out.some((d) => d === undefined)) this.fail('an index is out of range', at);
    this.setConst(at, indices.dims, out);
  }

  Unsqueeze(at: NodeAt): void {
    const c = this.foldInput(at);
    const axes = this.attrInts(at, 'axes') ?? this.numbers(this.requireConst(at, 1, 'the axes'), at, 'the axes');
    const dims = [...c.dims];
    const rank = dims.length + axes.length;
    for (const a of axes.map((x) => (x < 0 ? x + rank : x)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
    this.setConst(at, dims, this.valuesOf(c, at), c.source);
  }

  Squeeze(at: NodeAt): void {
    const c = this.foldInput(at);
    const given = this.attrInts(at, 'axes') ?? (this.constant(at, 1) ? this.numbers(this.constant(at, 1)!, at, 'the axes') : undefined);
    const axes = given?.map((x) => (x < 0 ? x + c.dims.length : x));
    const dims = c.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
    this.setConst(at, dims, this.valuesOf(c, at), c.source);
  }

  Cast(at: NodeAt): void {
    const c = this.foldInput(at);
    const to = this.attrInt(at, 'to', DTYPE.FLOAT);
    const integer = to !== DTYPE.FLOAT && to !== DTYPE.DOUBLE && to !== DTYPE.FLOAT16;
    const values = this.valuesOf(c, at).map((d) => (d === 'N' || !integer ? d : Math.trunc(d)));
    this.setConst(at, c.dims, values);
  }

  ConstantOfShape(at: NodeAt): void {
    const shape = this.numbers(this.foldInput(at), at, 'the shape');
    const t = this.attr(at, 'value')?.t;
    const fill = t ? (tensorValues(t, this.file)?.[0] ?? 0) : 0;
    const n = shape.reduce((p, d) => p * d, 1);
    if (n > 1 << 20) this.unsupported(at, 'ConstantOfShape of more than 2^20 values');
    this.setConst(at, shape, new Array<Dim>(n).fill(fill));
  }

  /** The node's first input, which must be a constant (the node is part of a shape computation). */
  private foldInput(at: NodeAt): Const {
    const v = this.get(at, 0);
    if (!v || v.t !== 'const') this.unsupported(at, `${at.node.opType} of an activation`);
    return v;
  }

  /** Elementwise arithmetic on constants, with scalar broadcasting; the batch passes through ·1, /1, +0, -0. */
  private arithmetic(at: NodeAt, cs: Const[], f: (a: number, b: number) => number, unit: number): void {
    const [a, b] = cs;
    const av = this.valuesOf(a, at);
    const bv = this.valuesOf(b, at);
    const n = Math.max(av.length, bv.length);
    if (av.length !== n && av.length !== 1) this.unsupported(at, `${at.node.opType} of constants of different shapes`);
    if (bv.length !== n && bv.length !== 1) this.unsupported(at, `${at.node.opType} of constants of different shapes`);
    const out: Dim[] = [];
    for (let i = 0; i < n; i++) {
      const x = av[av.length === 1 ? 0 : i];
      const y = bv[bv.length === 1 ? 0 : i];
      if (x === 'N' || y === 'N') {
        if (x === 'N' && y === unit) out.push('N');
        else if (y === 'N' && x === unit && at.node.opType !== 'Div' && at.node.opType !== 'Sub') out.push('N');
        else this.fail('a shape computation does arithmetic on the batch size, which cnnscope does not fold', at);
        continue;
      }
      out.push(f(x, y));
    }
    this.setConst(at, a.dims.length >= b.dims.length ? a.dims : b.dims, out);
  }

  // Convolutions, linear layers.

  Conv(at: NodeAt): void {
    let x = this.get(at, 0);
    let extra = [0, 0, 0, 0];
    if (x?.t === 'pending' && x.form === 'pad') {
      extra = x.data['pads'] as number[];
      x = x.x;
    }
    const input = this.act(x, at);
    this.requireNchw(input, at);
    const w = this.requireConst(at, 1, 'the weight');
    const b = this.constant(at, 2);
    if (w.dims.length !== 4) this.unsupported(at, `${w.dims.length - 2}-D convolution`);
    const [out, , kh, kw] = w.dims;
    const stride = this.attrInts(at, 'strides') ?? [1, 1];
    const dilation = this.attrInts(at, 'dilations') ?? [1, 1];
    const [, h, wd] = this.shapeOf(input);
    const pads = this.pads(at, [kh, kw], stride, dilation, [h, wd]);
    if (w.source?.name.startsWith('onnx::') && b) this.foldedConvs++;
    const result = this.emit(
      'conv',
      {
        out,
        kernel: [kh, kw],
        stride,
        padding: [pads[0] + extra[0], pads[2] + extra[2], pads[1] + extra[1], pads[3] + extra[3]],
        dilation,
        groups: this.attrInt(at, 'group', 1),
        bias: b !== undefined,
      },
      [input],
      at,
      [w, b],
    );
    this.set(at, result);
  }

  /** ONNX pads [top, left, bottom, right], or auto_pad's, for a window of `kernel` at `stride`. */
  private pads(at: NodeAt, kernel: number[], stride: number[], dilation: number[], size: number[]): number[] {
    const auto = this.attrString(at, 'auto_pad', 'NOTSET');
    if (auto === 'NOTSET' || auto === '') return this.attrInts(at, 'pads') ?? [0, 0, 0, 0];
    if (auto === 'VALID') return [0, 0, 0, 0];
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < 2; i++) {
      const outSize = Math.ceil(size[i] / stride[i]);
      const total = Math.max(0, (outSize - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - size[i]);
      const small = Math.floor(total / 2);
      before.push(auto === 'SAME_LOWER' ? total - small : small);
      after.push(auto === 'SAME_LOWER' ? small : total - small);
    }
    return [before[0], before[1], after[0], after[1]];
  }

  ConvTranspose(at: NodeAt): void {
    const input = this.input0(at);
    this.requireNchw(input, at);
    const w = this.requireConst(at, 1, 'the weight');
    const b = this.constant(at, 2);
    if (w.dims.length !== 4) this.unsupported(at, `${w.dims.length - 2}-D transposed convolution`);
    const groups = this.attrInt(at, 'group', 1);
    const [, coutPerGroup, kh, kw] = w.dims;
    if (this.attr(at, 'output_shape') || !['NOTSET', ''].includes(this.attrString(at, 'auto_pad', 'NOTSET'))) {
      this.unsupported(at, 'ConvTranspose with output_shape or auto_pad (give pads)');
    }
    const p = this.attrInts(at, 'pads') ?? [0, 0, 0, 0];
    if (p[0] !== p[2] || p[1] !== p[3]) this.unsupported(at, `ConvTranspose with unequal pads [${p.join(', ')}]`);
    const result = this.emit(
      'conv_transpose',
      {
        out: coutPerGroup * groups,
        kernel: [kh, kw],
        stride: this.attrInts(at, 'strides') ?? [1, 1],
        padding: [p[0], p[1]],
        output_padding: this.attrInts(at, 'output_padding') ?? [0, 0],
        dilation: this.attrInts(at, 'dilations') ?? [1, 1],
        groups,
        bias: b !== undefined,
      },
      [input],
      at,
      [w, b],
    );
    this.set(at, result);
  }

  Gemm(at: NodeAt): void {
    const input = this.input0(at);
    const w = this.requireConst(at, 1, 'the weight');
    const c = this.constant(at, 2);
    if (this.attrInt(at, 'transA', 0) !== 0) this.unsupported(at, 'Gemm with transA');
    if (this.attrFloat(at, 'alpha', 1) !== 1 || (c && this.attrFloat(at, 'beta', 1) !== 1))
      this.unsupported(at, 'Gemm with alpha or beta other than 1');
    if (w.dims.length !== 2) this.fail(`the weight has shape [${w.dims.join(', ')}], not a matrix`, at);
    const transB = this.attrInt(at, 'transB', 0) !== 0;
    const [features, out] = transB ? [w.dims[1], w.dims[0]] : w.dims;
    const shape = this.shapeOf(input);
    if (input.layout !== 'nchw' || shape.length !== 1 || shape[0] !== features) {
      this.fail(`multiplies [${this.fullShape(input).join(', ')}] by a weight of ${features} input features`, at);
    }
    this.set(at, this.emit('linear', { out, bias: c !== undefined }, [input], at, [w, c]));
  }

  /** x · W (W [F, out]): a linear layer over flat features, or over the channels of a channels-last map. Its Add is the bias. */
  MatMul(at: NodeAt): void {
    const input = this.input0(at);
    const w = this.requireConst(at, 1, 'the weight');
    if (w.dims.length !== 2) this.unsupported(at, 'MatMul by a weight that is not a matrix');
    const [features, out] = w.dims;
    const shape = this.shapeOf(input);
    const flat = input.layout === 'nchw' && shape.length === 1;
    if (!(flat || input.layout === 'nhwc') || shape[0] !== features) {
      this.fail(
        `multiplies [${this.fullShape(input).join(', ')}] by a weight of ${features} input features: cnnscope maps a MatMul over flat features or over channels-last channels`,
        at,
      );
    }
    const kind = flat ? 'linear' : 'channel_linear';
    const make = (bias?: Const) => this.emit(kind, { out, bias: bias !== undefined }, [input], at, [w, bias]);
    this.set(
      at,
      this.pending('matmul', input, at, { out, make }, () => make()),
    );
  }

  // Arithmetic and the multi-node forms.

  Add(at: NodeAt): void {
    const cs = this.allConst(at);
    if (cs) return this.arithmetic(at, cs, (a, b) => a + b, 0);
    const [a, b] = [this.get(at, 0), this.get(at, 1)];
    const [p, c] = a?.t === 'const' ? [b, a] : b?.t === 'const' ? [a, b] : [undefined, undefined];
    if (p && c) {
      if (p.t === 'pending' && p.form === 'matmul' && numel(c.dims) === p.data['out']) {
        const make = p.data['make'] as (bias: Const) => Act;
        return this.set(at, make(c));
      }
      if (p.t === 'pending' && p.form === 'gelu.erf' && this.isScalar(c, at, 1)) {
        return this.set(at, this.incomplete('gelu.add', 'an Erf-form GELU', at, p.x));
      }
      if (p.t === 'pending' && p.form === 'ln.var') {
        return this.set(at, this.incomplete('ln.vareps', 'a decomposed LayerNorm', at, p.x, { eps: this.scalar(c, at, 'epsilon') }));
      }
      if (p.t === 'pending' && p.form === 'ln.scaled' && numel(c.dims) === this.shapeOf(p.x)[0]) {
        const x = p.x;
        const made = this.emit('layernorm', { eps: p.data['eps'], affine: true }, [x], p.at, [p.data['weight'] as Const, c], '', x.layout);
        return this.set(at, made);
      }
      this.unsupported(
        at,
        'Add of a constant to an activation (cnnscope maps it as the bias after a MatMul, or inside GELU and LayerNorm)',
      );
    }
    const x = this.act(a, at);
    const y = this.act(b, at);
    this.set(at, this.emit('add', {}, [x, y], at));
  }

  Sub(at: NodeAt): void {
    const cs = this.allConst(at);
    if (cs) return this.arithmetic(at, cs, (a, b) => a - b, 0);
    const [a, b] = [this.get(at, 0), this.get(at, 1)];
    if (b?.t === 'pending' && b.form === 'ln.mean' && a?.t === 'act' && sameAct(a, b.x)) {
      return this.set(at, this.incomplete('ln.centered', 'a decomposed LayerNorm', b.at, b.x));
    }
    this.unsupported(at, 'Sub of activations (cnnscope maps it inside a decomposed LayerNorm)');
  }

  Mul(at: NodeAt): void {
    const cs = this.allConst(at);
    if (cs) return this.arithmetic(at, cs, (a, b) => a * b, 1);
    const [a, b] = [this.get(at, 0), this.get(at, 1)];
    for (const [p, q] of [
      [a, b],
      [b, a],
    ] as const) {
      if (p?.t !== 'pending' || !q) continue;
      if ((p.form === 'sigmoid' || p.form === 'hardsigmoid') && q.t === 'act' && sameAct(q, p.x)) {
        return this.set(at, this.emit(p.form === 'sigmoid' ? 'silu' : 'hardswish', {}, [p.x], p.at));
      }
      if (p.form === 'gelu.add' && q.t === 'act' && sameAct(q, p.x)) {
        return this.set(at, this.incomplete('gelu.mul', 'an Erf-form GELU', p.at, p.x));
      }
      if (p.form === 'gelu.mul' && q.t === 'const' && this.isScalar(q, at, 0.5)) {
        return this.set(at, this.emit('gelu', {}, [p.x], p.at));
      }
      if (p.form === 'ln.norm' && q.t === 'const' && numel(q.dims) === this.shapeOf(p.x)[0]) {
        return this.set(at, this.incomplete('ln.scaled', 'a decomposed LayerNorm', p.at, p.x, { eps: p.data['eps'], weight: q }));
      }
    }
    const [p, c] = a?.t === 'const' ? [b, a] : b?.t === 'const' ? [a, b] : [undefined, undefined];
    if (p && c) {
      const x = this.act(p, at);
      const s = this.shapeOf(x);
      // A parameter [C, 1, 1] scaling each channel: ConvNeXt's layer scale.
      if (x.layout === 'nchw' && s.length === 3 && c.source && numel(c.dims) === s[0] && c.dims.slice(-2).every((d) => d === 1)) {
        return this.set(at, this.emit('layer_scale', {}, [x], at, [c]));
      }
      this.unsupported(
        at,
        'Mul of an activation by a constant (cnnscope maps a per-channel scale [C, 1, 1], and the constants of GELU and LayerNorm)',
      );
    }
    this.set(at, this.emit('mul', {}, [this.act(a, at), this.act(b, at)], at));
  }

  Div(at: NodeAt): void {
    const cs = this.allConst(at);
    if (cs) return this.arithmetic(at, cs, (a, b) => Math.trunc(a / b), 1);
    const [a, b] = [this.get(at, 0), this.get(at, 1)];
    if (a?.t === 'act' && b?.t === 'const' && this.isScalar(b, at, Math.SQRT2)) {
      return this.set(at, this.incomplete('gelu.div', 'an Erf-form GELU', at, a));
    }
    if (a?.t === 'pending' && a.form === 'ln.centered' && b?.t === 'pending' && b.form === 'ln.std' && sameAct(a.x, b.x)) {
      const x = a.x;
      const eps = b.data['eps'];
      return this.set(
        at,
        this.pending('ln.norm', x, a.at, { eps }, () => this.emit('layernorm', { eps, affine: false }, [x], a.at, [], '', x.layout)),
      );
    }
    this.unsupported(at, 'Div of an activation (cnnscope maps it inside GELU and LayerNorm)');
  }

  Erf(at: NodeAt): void {
    const a = this.get(at, 0);
    if (a?.t === 'pending' && a.form === 'gelu.div') return this.set(at, this.incomplete('gelu.erf', 'an Erf-form GELU', a.at, a.x));
    this.unsupported(at, 'Erf outside the Erf form of GELU');
  }

  Pow(at: NodeAt): void {
    const a = this.get(at, 0);
    const e = this.constant(at, 1);
    if (a?.t === 'pending' && a.form === 'ln.centered' && e && this.isScalar(e, at, 2)) {
      return this.set(at, this.incomplete('ln.square', 'a decomposed LayerNorm', a.at, a.x));
    }
    this.unsupported(at, 'Pow outside a decomposed LayerNorm');
  }

  Sqrt(at: NodeAt): void {
    const a = this.get(at, 0);
    if (a?.t === 'pending' && a.form === 'ln.vareps')
      return this.set(at, this.incomplete('ln.std', 'a decomposed LayerNorm', a.at, a.x, a.data));
    this.unsupported(at, 'Sqrt outside a decomposed LayerNorm');
  }

  ReduceMean(at: NodeAt): void {
    const v = this.get(at, 0);
    const axesGiven = this.attrInts(at, 'axes') ?? (this.constant(at, 1) ? this.numbers(this.constant(at, 1)!, at, 'the axes') : undefined);
    const keep = this.attrInt(at, 'keepdims', 1) !== 0;
    if (v?.t === 'pending' && v.form === 'ln.square') {
      return this.set(at, this.incomplete('ln.var', 'a decomposed LayerNorm', v.at, v.x));
    }
    const x = this.act(v, at);
    const rank = this.fullShape(x).length;
    const axes = (axesGiven ?? [...Array(rank).keys()]).map((a) => (a < 0 ? a + rank : a)).sort();
    if (x.layout === 'nchw' && rank === 4 && axes.join() === '2,3') {
      const pooled = this.emit('global_avgpool', {}, [x], at);
      return this.set(at, keep ? pooled : this.emit('flatten', {}, [pooled], at, [], '_flatten'));
    }
    const last = (x.layout === 'nhwc' && rank === 4) || (x.layout === 'nchw' && rank === 2);
    if (last && keep && axes.join() === String(rank - 1)) return this.set(at, this.incomplete('ln.mean', 'a decomposed LayerNorm', at, x));
    this.unsupported(
      at,
      `ReduceMean over axes [${axes.join(', ')}] of [${this.fullShape(x).join(', ')}] (cnnscope maps the mean over H and W, and over the channels in a LayerNorm)`,
    );
  }

  private isScalar(c: Const, at: NodeAt, value: number): boolean {
    if (numel(c.dims) !== 1) return false;
    const v = this.valuesOf(c, at)[0];
    return typeof v === 'number' && Math.abs(v - value) <= 1e-6 * Math.max(1, Math.abs(value));
  }

  // Activations.

  private unary(kind: string, args: Record<string, unknown> = {}) {
    return (at: NodeAt) => {
      const x = this.input0(at);
      this.set(at, this.emit(kind, args, [x], at));
    };
  }

  Relu = this.unary('relu');
  Tanh = this.unary('tanh');
  HardSwish = this.unary('hardswish');

  Sigmoid(at: NodeAt): void {
    const x = this.input0(at);
    this.set(
      at,
      this.pending('sigmoid', x, at, {}, () => this.emit('sigmoid', {}, [x], at)),
    );
  }

  HardSigmoid(at: NodeAt): void {
    const x = this.input0(at);
    const alpha = this.attrFloat(at, 'alpha', 0.2);
    const beta = this.attrFloat(at, 'beta', 0.5);
    if (Math.abs(alpha - 1 / 6) > 1e-6 || Math.abs(beta - 0.5) > 1e-6) {
      this.unsupported(at, `HardSigmoid with alpha ${alpha} and beta ${beta} (cnnscope maps PyTorch's, alpha 1/6 and beta 0.5)`);
    }
    this.set(
      at,
      this.pending('hardsigmoid', x, at, {}, () => this.emit('hardsigmoid', {}, [x], at)),
    );
  }

  LeakyRelu(at: NodeAt): void {
    this.unary('leaky_relu', { negative_slope: this.attrFloat(at, 'alpha', 0.01) })(at);
  }

  Gelu(at: NodeAt): void {
    this.unary('gelu', { approximate: this.attrString(at, 'approximate', 'none') })(at);
  }

  Clip(at: NodeAt): void {
    const x = this.input0(at);
    const lo = this.constant(at, 1);
    const hi = this.constant(at, 2);
    const min = lo ? this.scalar(lo, at, 'min') : this.attr(at, 'min') ? this.attrFloat(at, 'min', 0) : -Infinity;
    const max = hi ? this.scalar(hi, at, 'max') : this.attr(at, 'max') ? this.attrFloat(at, 'max', 0) : Infinity;
    if (min === 0 && max === 6) return this.set(at, this.emit('relu6', {}, [x], at));
    if (min === 0 && max === Infinity) return this.set(at, this.emit('relu', {}, [x], at));
    this.unsupported(at, `Clip to [${min}, ${max}] (cnnscope maps [0, 6] as relu6 and [0, ∞) as relu)`);
  }

  Softmax(at: NodeAt): void {
    const x = this.input0(at);
    const rank = this.fullShape(x).length;
    const raw = this.attrInt(at, 'axis', this.model.opset >= 13 ? -1 : 1);
    const axis = raw < 0 ? raw + rank : raw;
    if (x.layout !== 'nchw' || axis !== 1 || (rank !== 2 && rank !== 4)) {
      this.unsupported(
        at,
        `Softmax over axis ${raw} of [${this.fullShape(x).join(', ')}] (cnnscope maps it over the channels or features, axis 1)`,
      );
    }
    this.set(at, this.emit('softmax', {}, [x], at));
  }

  Dropout(at: NodeAt): void {
    const x = this.input0(at);
    const r = this.constant(at, 1);
    const p = r ? this.scalar(r, at, 'ratio') : this.attrFloat(at, 'ratio', 0.5);
    this.set(at, this.emit('dropout', { p }, [x], at));
  }

  Identity(at: NodeAt): void {
    const v = this.get(at, 0);
    // torch stores equal initializers once, read through Identity nodes: the same constant.
    if (v?.t === 'const') return this.set(at, v);
    this.set(at, this.emit('identity', {}, [this.act(v, at)], at));
  }

  // Normalization.

  BatchNormalization(at: NodeAt): void {
    const x = this.input0(at);
    if (x.layout !== 'nchw') this.fail('expects [N, C, H, W] or [N, F]', at);
    const params = [1, 2, 3, 4].map((i) => this.requireConst(at, i, ['the scale', 'the bias', 'the mean', 'the variance'][i - 1]));
    // ONNX's momentum weighs the running statistic, PyTorch's the new batch.
    const momentum = 1 - this.attrFloat(at, 'momentum', 0.9);
    const args = { eps: this.attrFloat(at, 'epsilon', 1e-5), momentum: Math.min(Math.max(momentum, 0), 1) };
    this.set(at, this.emit('batchnorm', args, [x], at, params));
  }

  LayerNormalization(at: NodeAt): void {
    const x = this.input0(at);
    const rank = this.fullShape(x).length;
    const raw = this.attrInt(at, 'axis', -1);
    const axis = raw < 0 ? raw + rank : raw;
    const last = (x.layout === 'nhwc' && rank === 4) || (x.layout === 'nchw' && rank === 2);
    if (!last || axis !== rank - 1)
      this.unsupported(
        at,
        `LayerNormalization over axis ${raw} of [${this.fullShape(x).join(', ')}] (cnnscope maps it over the channels, the last axis)`,
      );
    const scale = this.requireConst(at, 1, 'the scale');
    const bias = this.constant(at, 2);
    if (!bias) this.unsupported(at, 'LayerNormalization without a bias');
    this.set(at, this.emit('layernorm', { eps: this.attrFloat(at, 'epsilon', 1e-5), affine: true }, [x], at, [scale, bias]));
  }

  LRN(at: NodeAt): void {
    const x = this.input0(at);
    const args = {
      size: this.attrInt(at, 'size', 0),
      alpha: this.attrFloat(at, 'alpha', 1e-4),
      beta: this.attrFloat(at, 'beta', 0.75),
      k: this.attrFloat(at, 'bias', 1),
    };
    this.set(at, this.emit('lrn', args, [x], at));
  }

  // Pooling.

  MaxPool(at: NodeAt): void {
    if (at.node.outputs.length > 1 && at.node.outputs[1] !== '') this.unsupported(at, 'MaxPool with indices');
    this.pool(at, 'maxpool');
  }

  AveragePool(at: NodeAt): void {
    this.pool(at, 'avgpool');
  }

  private pool(at: NodeAt, kind: 'maxpool' | 'avgpool'): void {
    let v = this.get(at, 0);
    let extra = [0, 0, 0, 0];
    if (kind === 'avgpool' && v?.t === 'pending' && v.form === 'pad') {
      // A zero Pad before an average pool: padding counted in the divisor.
      extra = v.data['pads'] as number[];
      v = v.x;
    }
    const x = this.act(v, at);
    this.requireNchw(x, at);
    const kernel = this.attrInts(at, 'kernel_shape');
    if (!kernel || kernel.length !== 2) this.unsupported(at, `${at.node.opType} that is not 2-D`);
    const stride = this.attrInts(at, 'strides') ?? [1, 1];
    const dilation = this.attrInts(at, 'dilations') ?? [1, 1];
    const [, h, w] = this.shapeOf(x);
    const own = this.pads(at, kernel, stride, dilation, [h, w]);
    const p = own.map((q, i) => q + extra[i]);
    if (p[0] !== p[2] || p[1] !== p[3]) this.unsupported(at, `${at.node.opType} with unequal pads [${p.join(', ')}]`);
    const ceil = this.attrInt(at, 'ceil_mode', 0) !== 0;
    const args: Record<string, unknown> = { kernel, stride, padding: [p[0], p[1]], ceil };
    if (kind === 'maxpool') args['dilation'] = dilation;
    else {
      if (dilation.some((d) => d !== 1)) this.unsupported(at, 'AveragePool with dilations');
      args['count_include_pad'] = this.attrInt(at, 'count_include_pad', 0) !== 0 || extra.some((e) => e > 0);
    }
    this.set(at, this.emit(kind, args, [x], at));
  }

  GlobalAveragePool(at: NodeAt): void {
    const x = this.input0(at);
    this.requireNchw(x, at);
    this.set(at, this.emit('global_avgpool', {}, [x], at));
  }

  /** Zero padding of H and W, taken into the convolution or average pool that reads it. */
  Pad(at: NodeAt): void {
    const x = this.input0(at);
    this.requireNchw(x, at);
    const mode = this.attrString(at, 'mode', 'constant');
    const pads = this.attrInts(at, 'pads') ?? this.numbers(this.requireConst(at, 1, 'the pads'), at, 'the pads');
    const value = this.constant(at, 2);
    const fill = value ? this.scalar(value, at, 'the value') : this.attrFloat(at, 'value', 0);
    if (this.constant(at, 3)) this.unsupported(at, 'Pad with axes');
    if (mode !== 'constant' || fill !== 0) this.unsupported(at, `Pad in mode ${mode} with value ${fill} (cnnscope maps zero padding)`);
    if (pads.length !== 8 || pads[0] !== 0 || pads[1] !== 0 || pads[4] !== 0 || pads[5] !== 0 || pads.some((p) => p < 0)) {
      this.unsupported(at, `Pad by [${pads.join(', ')}] (cnnscope maps zero padding of H and W)`);
    }
    const data = { pads: [pads[2], pads[3], pads[6], pads[7]] };
    this.set(
      at,
      this.pending('pad', x, at, data, () => this.fail('zero padding is mapped only into the Conv or AveragePool that reads it', at)),
    );
  }

  // Moving data.

  Flatten(at: NodeAt): void {
    const x = this.input0(at);
    const axis = this.attrInt(at, 'axis', 1);
    if (x.layout !== 'nchw' || axis !== 1) this.unsupported(at, `Flatten from axis ${axis} (cnnscope maps torch.flatten(x, 1))`);
    this.set(at, this.emit('flatten', {}, [x], at));
  }

  Concat(at: NodeAt): void {
    const cs = this.allConst(at);
    const axis = this.attrInt(at, 'axis', 0);
    if (cs) {
      if (cs.some((c) => c.dims.length !== 1)) this.unsupported(at, 'Concat of constants of more than one dimension');
      const values = cs.flatMap((c) => this.valuesOf(c, at));
      return this.setConst(at, [values.length], values);
    }
    const xs = at.node.inputs.map((_, i) => this.act(this.get(at, i), at));
    const rank = this.fullShape(xs[0]).length;
    if (xs.some((x) => x.layout !== 'nchw') || (axis !== 1 && axis !== 1 - rank))
      this.unsupported(at, `Concat along axis ${axis} (cnnscope maps it along the channels)`);
    if (xs.length === 1) return this.set(at, xs[0]);
    this.set(at, this.emit('concat', {}, xs, at));
  }

  Split(at: NodeAt): void {
    const x = this.input0(at);
    const rank = this.fullShape(x).length;
    const raw = this.attrInt(at, 'axis', 0);
    if (x.layout !== 'nchw' || (raw < 0 ? raw + rank : raw) !== 1)
      this.unsupported(at, `Split along axis ${raw} (cnnscope maps it along the channels)`);
    const channels = this.shapeOf(x)[0];
    const n = at.node.outputs.length;
    const given = this.attrInts(at, 'split') ?? (this.constant(at, 1) ? this.numbers(this.constant(at, 1)!, at, 'the split') : undefined);
    const sizes = given ?? new Array<number>(n).fill(Math.ceil(channels / n)).map((s, i) => (i < n - 1 ? s : channels - s * (n - 1)));
    let start = 0;
    sizes.forEach((size, i) => {
      this.set(at, this.emit('channel_slice', { start, end: start + size }, [x], at, [], `.${i}`), i);
      start += size;
    });
  }

  Slice(at: NodeAt): void {
    const cs = this.allConst(at);
    const starts = this.numbers(this.requireConst(at, 1, 'the starts'), at, 'the starts');
    const ends = this.numbers(this.requireConst(at, 2, 'the ends'), at, 'the ends');
    const axesConst = this.constant(at, 3);
    const stepsConst = this.constant(at, 4);
    const steps = stepsConst ? this.numbers(stepsConst, at, 'the steps') : starts.map(() => 1);
    if (cs) {
      const c = cs[0];
      if (c.dims.length !== 1 || steps.some((s) => s !== 1)) this.unsupported(at, 'Slice of a constant of more than one dimension');
      const v = this.valuesOf(c, at);
      const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + v.length : i, 0), v.length);
      const out = v.slice(clamp(starts[0]), clamp(ends[0]));
      return this.setConst(at, [out.length], out);
    }
    const x = this.input0(at);
    const rank = this.fullShape(x).length;
    const axes = (axesConst ? this.numbers(axesConst, at, 'the axes') : starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
    if (x.layout !== 'nchw' || axes.length !== 1 || axes[0] !== 1 || steps[0] !== 1) {
      this.unsupported(at, 'Slice other than of channels with step 1 (cnnscope maps x[:, start:end])');
    }
    const channels = this.shapeOf(x)[0];
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + channels : i, 0), channels);
    this.set(at, this.emit('channel_slice', { start: clamp(starts[0]), end: clamp(ends[0]) }, [x], at));
  }

  Reshape(at: NodeAt): void {
    const v = this.get(at, 0);
    const target = this.valuesOf(this.requireConst(at, 1, 'the shape'), at);
    if (v?.t === 'const') this.unsupported(at, 'Reshape of a constant');
    const source: Dim[] = v?.t === 'pending' && v.form === 'shuffle' ? (v.data['shape'] as Dim[]) : this.fullShape(this.act(v, at));
    const shape = this.reshape(source, target, at);
    if (v?.t === 'pending' && v.form === 'shuffle') {
      const x = v.x;
      const groups = v.data['groups'] as number;
      const s = this.shapeOf(x);
      if (v.data['transposed'] === true && shape.length === 4 && shape[1] === s[0] && shape[2] === s[1] && shape[3] === s[2]) {
        return this.set(at, this.emit('channel_shuffle', { groups }, [x], v.at));
      }
      this.fail('is part of a channel shuffle (Reshape, Transpose, Reshape), and the rest of it does not follow', v.at);
    }
    const x = this.act(v, at);
    const s = this.shapeOf(x);
    const perSample = shape.slice(1) as number[];
    if (x.layout === 'nchw' && perSample.length === s.length && perSample.every((d, i) => d === s[i])) return this.set(at, x);
    if (x.layout === 'nchw' && perSample.length === 1) return this.set(at, this.emit('flatten', {}, [x], at));
    if (
      x.layout === 'nchw' &&
      s.length === 3 &&
      perSample.length === 4 &&
      perSample[0] * perSample[1] === s[0] &&
      perSample[2] === s[1] &&
      perSample[3] === s[2]
    ) {
      const groups = perSample[0];
      const make = () => this.fail('is part of a channel shuffle (Reshape, Transpose, Reshape), and the rest of it does not follow', at);
      return this.set(at, this.pending('shuffle', x, at, { groups, shape, transposed: false }, make));
    }
    this.unsupported(
      at,
      `Reshape of [${this.fullShape(x).join(', ')}] to [${shape.join(', ')}] (cnnscope maps a flatten and a channel shuffle)`,
    );
  }

  /** The target of a Reshape, its 0s and -1 resolved; the batch must stay first. */
  private reshape(source: Dim[], target: Dim[], at: NodeAt): Dim[] {
    const allowZero = this.attrInt(at, 'allowzero', 0) !== 0;
    const out = target.map((d, i) => (d === 0 && !allowZero ? source[i] : d));
    if (out[0] !== 'N' && out[0] !== -1) this.fail(`reshapes to [${out.join(', ')}], which does not keep the batch first`, at);
    const sourceCount = (source.slice(1) as number[]).reduce((p, d) => p * d, 1);
    const known = out.slice(1).filter((d) => d !== -1) as number[];
    const product = known.reduce((p, d) => p * d, 1);
    const missing = out.slice(1).filter((d) => d === -1).length;
    if (out[0] === -1 && missing === 0 && product === sourceCount) return ['N', ...out.slice(1)];
    if (out[0] === -1 || missing > 1 || (missing === 0 && product !== sourceCount) || (missing === 1 && sourceCount % product !== 0)) {
      this.fail(`cannot reshape [${source.join(', ')}] to [${target.join(', ')}]`, at);
    }
    return out.map((d, i) => (i > 0 && d === -1 ? sourceCount / product : d));
  }

  Transpose(at: NodeAt): void {
    const v = this.get(at, 0);
    const perm = (this.attrInts(at, 'perm') ?? []).join();
    if (v?.t === 'pending' && v.form === 'shuffle' && perm === '0,2,1,3,4' && v.data['transposed'] === false) {
      const shape = v.data['shape'] as Dim[];
      const data = { ...v.data, transposed: true, shape: [shape[0], shape[2], shape[1], shape[3], shape[4]] };
      return this.set(at, { ...v, data, made: undefined });
    }
    const x = this.act(v, at);
    const s = this.shapeOf(x);
    if (s.length === 3 && x.layout === 'nchw' && perm === '0,2,3,1') return this.set(at, { t: 'act', id: x.id, layout: 'nhwc' });
    if (s.length === 3 && x.layout === 'nhwc' && perm === '0,3,1,2') return this.set(at, { t: 'act', id: x.id, layout: 'nchw' });
    this.unsupported(
      at,
      `Transpose by [${perm}] of [${this.fullShape(x).join(', ')}] (cnnscope maps the permutes to and from channels-last, and the one of a channel shuffle)`,
    );
  }

  Resize(at: NodeAt): void {
    const x = this.input0(at);
    this.requireNchw(x, at);
    const opset10 = at.node.inputs.length === 2;
    const scalesConst = this.constant(at, opset10 ? 1 : 2);
    const sizesConst = opset10 ? undefined : this.constant(at, 3);
    this.upsample(at, x, scalesConst, sizesConst, this.attrString(at, 'coordinate_transformation_mode', 'half_pixel'));
  }

  Upsample(at: NodeAt): void {
    const x = this.input0(at);
    this.requireNchw(x, at);
    const scales = this.constant(at, 1);
    const attr = this.attr(at, 'scales');
    const c = scales ?? (attr ? { t: 'const' as const, dims: [attr.floats.length], values: [...attr.floats] } : undefined);
    this.upsample(at, x, c, undefined, 'asymmetric');
  }

  private upsample(at: NodeAt, x: Act, scalesConst: Const | undefined, sizesConst: Const | undefined, ctm: string): void {
    const raw = this.attrString(at, 'mode', 'nearest');
    const mode = raw === 'nearest' ? 'nearest' : raw === 'linear' || raw === 'bilinear' ? 'bilinear' : undefined;
    if (!mode) this.unsupported(at, `${at.node.opType} in mode ${raw} (cnnscope maps nearest and linear)`);
    const args: Record<string, unknown> = { mode, align_corners: ctm === 'align_corners' };
    const sizes = sizesConst && numel(sizesConst.dims) > 0 ? this.valuesOf(sizesConst, at) : undefined;
    const scales = scalesConst && numel(scalesConst.dims) > 0 ? this.numbers(scalesConst, at, 'the scales') : undefined;
    if (sizes) {
      if (sizes.length !== 4) this.unsupported(at, `${at.node.opType} to ${sizes.length} sizes`);
      args['size'] = [sizes[2], sizes[3]];
      if (sizes.slice(2).some((d) => typeof d !== 'number')) this.fail('the output size depends on the batch', at);
    } else if (scales) {
      if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1)
        this.unsupported(at, `${at.node.opType} by scales [${scales.join(', ')}] (cnnscope maps scaling of H and W)`);
      args['scale_factor'] = [scales[2], scales[3]];
    } else {
      this.fail('has neither scales nor sizes', at);
    }
    if (mode === 'nearest' && ctm !== 'asymmetric')
      this.unsupported(at, `nearest ${at.node.opType} with coordinate_transformation_mode ${ctm} (PyTorch's is asymmetric)`);
    if (mode === 'bilinear' && !['half_pixel', 'pytorch_half_pixel', 'align_corners'].includes(ctm)) {
      this.unsupported(at, `linear ${at.node.opType} with coordinate_transformation_mode ${ctm}`);
    }
    this.set(at, this.emit('upsample', args, [x], at));
  }

  // ---- the graph ----------------------------------------------------------------------------

  private graph(inputShape: Shape, outputs: number[]): Graph {
    const names = layerNames(this.drafts);
    const nodes: LayerNode[] = this.drafts.map((d, id) => ({
      id,
      name: names[id],
      kind: d.kind.kind,
      layer: d.kind,
      args: d.args,
      inputs: d.inputs,
      inputShapes: d.inputShapes,
      outputShape: d.outputShape,
      tensors: d.tensors,
      pos: NOWHERE,
    }));
    const base = this.file.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, '');
    return {
      name: base || this.model.graphName || 'model',
      source: `ONNX opset ${this.model.opset}${this.model.producer ? `, exported by ${this.model.producer}` : ''}`,
      file: this.file,
      inputShape,
      nodes,
      // The first graph output is the one the report names first.
      outputs,
      scopes: scopes(nodes),
      params: {},
    };
  }
}

function sameAct(a: Act, b: Act): boolean {
  return a.id === b.id && a.layout === b.layout;
}

function describe(at: NodeAt): string {
  const name = at.node.name || at.node.outputs[0] || '';
  return `node ${at.index} '${name}' (${at.node.opType})`;
}

/**
 * torch names a node by its module scopes and operator, `/layer2/layer2.0/downsample/downsample.0/Conv`:
 * each scope is its module's name in its parent, prefixed by the parent's (a Sequential's child
 * `downsample.0`) or not (`conv1`), so the module path is `layer2.0.downsample.0` and the operator
 * part `conv`. Other names are taken whole (or the first output's name).
 */
function nameParts(at: NodeAt): { module: string; op: string } {
  const name = at.node.name || at.node.outputs[0] || at.node.opType;
  const segments = name.split('/').filter((s) => s !== '');
  if (!name.startsWith('/') || segments.length === 0) return { module: '', op: name };
  let path = '';
  let local = '';
  for (const s of segments.slice(0, -1)) {
    path = local !== '' && s.startsWith(`${local}.`) ? path + s.slice(local.length) : path === '' ? s : `${path}.${s}`;
    local = s;
  }
  return { module: path, op: segments[segments.length - 1].toLowerCase() };
}

/**
 * Final names: a module that owns one layer, and encloses no other, names it (`layer1.0.conv1`);
 * otherwise the operator part is added (`layer1.0.add`, `features.0.2.hardsigmoid`). Duplicates
 * get `_2`, `_3`.
 */
function layerNames(drafts: readonly Draft[]): string[] {
  const owners = new Map<string, number>();
  for (const d of drafts) if (d.module !== '') owners.set(d.module, (owners.get(d.module) ?? 0) + 1);
  const modules = [...owners.keys()];
  const encloses = new Set<string>();
  for (const m of modules) {
    for (let i = m.indexOf('.'); i > 0; i = m.indexOf('.', i + 1)) encloses.add(m.slice(0, i));
  }
  const used = new Set<string>();
  return drafts.map((d, id) => {
    if (id === 0) {
      used.add('input');
      return 'input';
    }
    const alone = d.module !== '' && owners.get(d.module) === 1 && !encloses.has(d.module);
    let name = (alone ? d.module : d.module !== '' ? `${d.module}.${d.op}` : d.op) + d.suffix;
    if (used.has(name)) {
      let k = 2;
      while (used.has(`${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    used.add(name);
    return name;
  });
}

/** Every proper dotted prefix of a layer name is a scope (a module), its output its last layer. */
function scopes(nodes: readonly LayerNode[]): ScopeInfo[] {
  const last = new Map<string, number>();
  for (const n of nodes) {
    if (n.id === 0) continue;
    for (let i = n.name.indexOf('.'); i > 0; i = n.name.indexOf('.', i + 1)) last.set(n.name.slice(0, i), n.id);
  }
  return [...last.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, output]) => ({ name, kind: 'module', output }));
}
