/**
 * The state of one conversion and what every operator converter of ops/ reads and writes through:
 * the values by name, the layers built so far (drafts), the node's inputs and attributes, and
 * `emit`, which builds a layer by its kind of src/layers/ as the YAML front end does, so shapes,
 * counts and receptive fields follow the same rules.
 */
import { ArgParser, ArgTypeError } from '../layers/args.js';
import { findKind, LayerError, numel, type LayerKind, type Shape, type TensorSpec } from '../layers/index.js';
import { tensorValues, type OnnxModel, type OnnxTensor } from './decode.js';
import { OnnxError } from './errors.js';
import { nameParts } from './naming.js';
import {
  describe,
  type Act,
  type Const,
  type ConvertOptions,
  type Dim,
  type Draft,
  type NodeAt,
  type Param,
  type Pending,
  type Value,
  type WeightSource,
} from './values.js';

/** Converts one node: reads its inputs' values from the context and sets its outputs'. */
export type OpConverter = (cx: ConvertContext, at: NodeAt) => void;

/** A group's converters, by ONNX operator type. */
export type OpConverters = Readonly<Record<string, OpConverter>>;

export class ConvertContext {
  readonly values = new Map<string, Value>();
  readonly drafts: Draft[] = [];
  readonly file: string;
  /** Convolutions holding a BatchNorm the exporter folded into them, for the report's note. */
  foldedConvs = 0;

  constructor(
    readonly model: OnnxModel,
    readonly options: ConvertOptions,
    /** The operators mapped, for the message that refuses another. */
    private readonly supportedOps: readonly string[],
  ) {
    this.file = options.file;
  }

  fail(message: string, at?: NodeAt): never {
    throw new OnnxError(this.file, at ? `${describe(at)}: ${message}` : message);
  }

  unsupported(at: NodeAt, what = `operator ${at.node.opType}`): never {
    this.fail(`unsupported ${what}; cnnscope maps the operators ${this.supportedOps.join(', ')} (docs/onnx.md)`, at);
  }

  // ---- values -------------------------------------------------------------------------------

  get(at: NodeAt, i: number): Value | undefined {
    const name = at.node.inputs[i];
    if (name === undefined || name === '') return undefined;
    const v = this.values.get(name);
    if (!v) this.fail(`input '${name}' is computed by no earlier node`, at);
    return v;
  }

  set(at: NodeAt, v: Value, output = 0): void {
    const name = at.node.outputs[output];
    if (name !== undefined && name !== '') this.values.set(name, v);
  }

  /** An activation: a pending form made a layer as it stands. */
  act(v: Value | undefined, at: NodeAt | undefined): Act {
    if (!v) this.fail('an input is missing', at);
    if (v.t === 'act') return v;
    if (v.t === 'pending') return (v.made ??= v.make());
    return this.fail('a constant where an activation (computed from the model input) is expected', at);
  }

  input0(at: NodeAt): Act {
    return this.act(this.get(at, 0), at);
  }

  constant(at: NodeAt, i: number): Const | undefined {
    const v = this.get(at, i);
    if (v === undefined) return undefined;
    if (v.t !== 'const') this.fail(`input ${i + 1} ('${at.node.inputs[i]}') must be a constant`, at);
    return v;
  }

  requireConst(at: NodeAt, i: number, what: string): Const {
    const c = this.constant(at, i);
    if (!c) this.fail(`${what} (input ${i + 1}) is missing`, at);
    return c;
  }

  /** The values of a constant; an external initializer's are read from its data file. */
  valuesOf(c: Const, at: NodeAt): Dim[] {
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

  numbers(c: Const, at: NodeAt, what: string): number[] {
    const v = this.valuesOf(c, at);
    if (v.some((d) => d === 'N')) this.fail(`${what} depends on the batch size`, at);
    return v as number[];
  }

  scalar(c: Const, at: NodeAt, what: string): number {
    const v = this.numbers(c, at, what);
    if (v.length !== 1) this.fail(`${what} must be one value, got ${v.length}`, at);
    return v[0];
  }

  shapeOf(a: Act): Shape {
    return this.drafts[a.id].outputShape;
  }

  /** The full ONNX shape of an activation, batch first. */
  fullShape(a: Act): Dim[] {
    const s = this.shapeOf(a);
    return a.layout === 'nhwc' ? ['N', s[1], s[2], s[0]] : ['N', ...s];
  }

  attr(at: NodeAt, name: string) {
    return at.node.attributes.get(name);
  }

  attrInt(at: NodeAt, name: string, fallback: number): number {
    return this.attr(at, name)?.i ?? fallback;
  }

  attrFloat(at: NodeAt, name: string, fallback: number): number {
    return this.attr(at, name)?.f ?? fallback;
  }

  attrInts(at: NodeAt, name: string): number[] | undefined {
    const a = this.attr(at, name);
    return a ? [...a.ints] : undefined;
  }

  attrString(at: NodeAt, name: string, fallback: string): string {
    return this.attr(at, name)?.s ?? fallback;
  }

  // ---- layers -------------------------------------------------------------------------------

  /**
   * Builds a layer of `kindName` on `inputs`, its arguments checked and defaulted by the kind.
   * `params` are the constants it reads, in the order of the kind's tensors: each must have as
   * many values as the kind's tensor (the tensors keep the kind's shapes; the counts are the
   * file's), and a transposed one the kind's shape reversed. Tensors the file does not hold
   * (batchnorm's num_batches_tracked) are left out. Which constant fills which tensor, and how, is
   * recorded for execute mode (the draft's `weights`).
   */
  emit(
    kindName: string,
    args: Record<string, unknown>,
    inputs: readonly Act[],
    at: NodeAt,
    params: readonly (Param | undefined)[] = [],
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
    const held = params.filter((p): p is Param => p !== undefined);
    if (held.length > tensors.length) this.fail(`as ${kindName}: reads ${held.length} weight tensors, the layer has ${tensors.length}`, at);
    const weights = held.map((p, i) => {
      const t = tensors[i];
      const c = p.t === 'transposed' ? p.of : p;
      const dims = c.dims;
      const fits =
        p.t === 'transposed' ? dims.length === 2 && dims[0] === t.shape[1] && dims[1] === t.shape[0] : numel(t.shape) === numel(dims);
      if (!fits) {
        this.fail(
          `as ${kindName}: weight '${c.source?.name ?? ''}' has shape [${dims.join(', ')}], the layer's ${t.name} is [${t.shape.join(', ')}]${p.t === 'transposed' ? ' (transposed)' : ''}`,
          at,
        );
      }
      const layout: WeightSource['layout'] =
        p.t === 'transposed'
          ? 'transposed'
          : dims.length === t.shape.length && dims.every((d, k) => d === t.shape[k])
            ? 'as-is'
            : 'reshaped';
      return { tensor: t.name, dims, layout, ...(c.source ? { initializer: c.source } : { values: c.values ?? [] }) };
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
      weights,
    });
    return { t: 'act', id: this.drafts.length - 1, layout };
  }

  requireNchw(a: Act, at: NodeAt): void {
    if (a.layout !== 'nchw' || this.shapeOf(a).length !== 3) {
      this.fail(`expects a feature map [N, C, H, W], got [${this.fullShape(a).join(', ')}]`, at);
    }
  }

  /** A [F, out] weight matrix read as the layer's [out, F] tensor (a Transpose [1, 0] of an [out, F] one: that one as it is). */
  transposed(c: Const): Param {
    if (c.transposeOf) return c.transposeOf;
    return { t: 'transposed', of: c };
  }

  pending(form: string, x: Act, at: NodeAt, data: Record<string, unknown>, make: () => Act): Pending {
    return { t: 'pending', form, x, at, data, make };
  }

  /** A pending form that is no layer until its last node: refused when read otherwise. */
  incomplete(form: string, what: string, at: NodeAt, x: Act, data: Record<string, unknown> = {}): Pending {
    return this.pending(form, x, at, data, () => this.fail(`is part of ${what}, and the rest of it does not follow`, at));
  }

  /** Every input constant: the node is computed now (shape arithmetic). */
  allConst(at: NodeAt): Const[] | undefined {
    const vs = at.node.inputs.map((_, i) => this.get(at, i));
    if (vs.every((v) => v === undefined || v.t === 'const')) return vs as Const[];
    return undefined;
  }

  setConst(at: NodeAt, dims: readonly number[], values: Dim[], source?: OnnxTensor): void {
    this.set(at, { t: 'const', dims, values, ...(source ? { source } : {}) });
  }

  /** ONNX pads [top, left, bottom, right], or auto_pad's, for a window of `kernel` at `stride`. */
  pads(at: NodeAt, kernel: number[], stride: number[], dilation: number[], size: number[]): number[] {
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

  /** Whether a constant is the one number `value`, to float rounding (the constants of GELU and LayerNorm). */
  isScalar(c: Const, at: NodeAt, value: number): boolean {
    if (numel(c.dims) !== 1) return false;
    const v = this.valuesOf(c, at)[0];
    return typeof v === 'number' && Math.abs(v - value) <= 1e-6 * Math.max(1, Math.abs(value));
  }
}
