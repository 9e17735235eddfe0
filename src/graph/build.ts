/**
 * The front end: a model file's located YAML tree to a Graph. This file reads the top level
 * (params, presets, `--set`, blocks, input); expand.ts expands the layers, blocks and repeats
 * and infers shapes in the same walk; layer.ts builds each layer; names.ts names them;
 * values.ts evaluates `${...}` in the variables in scope.
 *
 * A layer whose own arguments are wrong is reported and "poisoned": layers that read it are
 * skipped silently, so one mistake gives one error, not a cascade.
 */
import { show } from '../layers/args.js';
import { findKind } from '../layers/index.js';
import type { Shape } from '../layers/kind.js';
import { DiagnosticBag, ModelError, type Diagnostic } from './diagnostics.js';
import { Expander, STRUCTURAL, type BlockDef } from './expand.js';
import { parseModelExpectations, type ExpectGroup } from './expect.js';
import type { Value } from './expr.js';
import type { Graph, LayerNode } from './graph.js';
import { Abort, checkTensorSize, Layers, type Context } from './layer.js';
import { Names } from './names.js';
import { entry, type Located, type LocatedMap } from './source.js';
import { readLocated } from './source-fast.js';
import { didYouMean } from './suggest.js';
import { Environment, Values } from './values.js';

export { MAX_LAYERS, MAX_TENSOR_ELEMENTS } from './layer.js';

export interface BuildOptions {
  /** Name shown in errors: the path as the user gave it, or `<stdin>`. */
  readonly file: string;
  /** Overrides the file's `input`. */
  readonly input?: Shape;
  /** `--set name=value`: values are YAML scalars or flow values, parsed by the CLI. */
  readonly set?: Readonly<Record<string, Value>>;
  /** A preset of the file's `presets`. */
  readonly preset?: string;
}

const TOP_LEVEL_KEYS = ['name', 'description', 'source', 'family', 'params', 'presets', 'input', 'blocks', 'layers', 'expect'] as const;
const BLOCK_KEYS = ['params', 'layers', 'inline', 'description'];

/**
 * Builds a model file: its graph and, beside it, its `expect` section (for `cnnscope check`;
 * undefined when it has none) and the warnings about it (a side output nothing reads). Throws
 * ModelError with every problem found.
 */
export function buildModel(
  text: string,
  options: BuildOptions,
): { graph: Graph; expectations: readonly ExpectGroup[] | undefined; warnings: readonly Diagnostic[] } {
  // A build that warns is redone on the full reader's tree too: its warnings' positions are that reader's.
  return readLocated(
    text,
    options.file,
    (root, bag) => {
      const model = new TopLevel(bag, options, new Values(bag, text.split('\n'))).build(root);
      bag.throwIfAny();
      return { ...model!, warnings: unreadOutputs(model!.graph) };
    },
    (model) => model.warnings.length === 0,
  );
}

/**
 * A warning for each layer whose output nothing reads and that is not a model output: a branch
 * that never rejoins the model, unmarked. One line per place in the file (copies of a repeat or of
 * a block's layer are counted on it), in file order.
 */
export function unreadOutputs(graph: Graph): Diagnostic[] {
  // Whether each node is read: a mark per node, not a list of its readers (a hundred thousand lists for a long model).
  const read = new Uint8Array(graph.nodes.length);
  for (const node of graph.nodes) for (const i of node.inputs) read[i] = 1;
  const outputs = new Set(graph.outputs);
  // A bag collects them as it does errors: the same place and message once, with its copies.
  const bag = new DiagnosticBag(graph.file);
  for (const node of graph.nodes) {
    if (node.id === 0 || read[node.id] === 1 || outputs.has(node.id)) continue;
    bag.error(
      node.pos,
      "its output is never read: no layer reads it and it is not the model's output (mark it 'output: true' if it is an auxiliary head)",
      { name: node.name, kind: node.kind },
    );
  }
  return bag.sorted();
}

/** The graph of a model file, without its expectations. */
export function buildGraph(text: string, options: BuildOptions): Graph {
  return buildModel(text, options).graph;
}

/** What buildModel returns. */
export type Model = ReturnType<typeof buildModel>;
/** What the top level builds: the model without its warnings, which are worked out on the graph. */
type Built = Omit<Model, 'warnings'>;

class TopLevel {
  constructor(
    private readonly bag: DiagnosticBag,
    private readonly options: BuildOptions,
    private readonly values: Values,
  ) {}

  build(root: Located): Built | undefined {
    if (root.type !== 'map') {
      this.bag.error(root.pos, 'a model file is a map with at least `input` and `layers`');
      return undefined;
    }
    for (const e of root.entries) {
      if (!(TOP_LEVEL_KEYS as readonly string[]).includes(e.key)) {
        this.bag.error(
          e.keyPos,
          `unknown top-level key '${e.key}'${didYouMean(e.key, TOP_LEVEL_KEYS)} (valid: ${TOP_LEVEL_KEYS.join(', ')})`,
        );
      }
    }
    // `expect` is for `cnnscope check` (src/graph/expect.ts); parsed here so its errors are model errors.
    const expectations = parseModelExpectations(root, this.bag, this.options.file);
    // A model loaded through a preset is called by the preset: `resnet50`, not `resnet`.
    const written = this.optionalString(root, 'name');
    // Reports, diffs and budgets key models by name: an empty one would name nothing.
    if (written !== undefined && written.trim() === '') this.bag.error(entry(root, 'name')!.value.pos, "'name' must be non-empty text");
    const name = this.options.preset ?? written ?? 'model';
    const params = this.params(root);
    if (!params) return undefined;
    const blocks = this.blocks(root);
    const inputShape = this.inputShape(root, params);
    const layers = entry(root, 'layers');
    if (!layers) {
      this.bag.error(root.pos, "missing 'layers': the list of the model's layers");
      return undefined;
    }
    if (layers.value.type !== 'seq') {
      this.bag.error(layers.value.pos, "'layers' must be a list of layers");
      return undefined;
    }
    if (!inputShape) return undefined;
    const nodes: LayerNode[] = [];
    const names = new Names(this.bag, nodes);
    const builder = new Layers(this.bag, this.values, names, nodes);
    builder.addInput(inputShape, entry(root, 'input')?.keyPos ?? root.pos);
    const expander = new Expander(this.bag, this.values, names, builder, nodes, blocks);
    const ctx: Context = {
      scope: { prefix: '', next: 0, parent: undefined },
      env: Environment.ofFile(params),
      blockStack: [],
      multiplicity: 1,
    };
    let last: number;
    try {
      last = expander.expandList(layers.value, ctx, 0);
    } catch (e) {
      if (e instanceof Abort) return undefined;
      throw e;
    }
    names.reportUnresolved();
    if (this.bag.count > 0) return undefined;
    if (nodes.length === 1) {
      // Only the input: a report of no layers says nothing, and its `layers` would be empty.
      const why = layers.value.items.length === 0 ? "'layers' is empty" : "every entry is skipped ('if' false or 'repeat' 0)";
      this.bag.error(layers.keyPos, `the model has no layers: ${why}`);
      return undefined;
    }
    const outputs = [last, ...expander.markedOutputs.filter((id) => id !== last)];
    const description = this.optionalString(root, 'description');
    const source = this.optionalString(root, 'source');
    const graph: Graph = {
      name,
      ...(description !== undefined ? { description } : {}),
      ...(source !== undefined ? { source } : {}),
      file: this.options.file,
      inputShape,
      nodes,
      outputs,
      scopes: names.scopes(),
      params: Object.fromEntries(params),
    };
    return { graph, expectations };
  }

  private optionalString(root: LocatedMap, key: string): string | undefined {
    const e = entry(root, key);
    if (!e) return undefined;
    if (e.value.type !== 'scalar' || typeof e.value.value !== 'string') {
      this.bag.error(e.value.pos, `'${key}' must be text`);
      return undefined;
    }
    return e.value.value;
  }

  /** Params in file order; presets and `--set` replace the written value before it is evaluated, so derived params follow. */
  private params(root: LocatedMap): Map<string, Value> | undefined {
    const written = entry(root, 'params');
    const entries = written?.value.type === 'map' ? written.value.entries : [];
    if (written && written.value.type !== 'map') this.bag.error(written.value.pos, "'params' must be a map of names to values");
    const names = entries.map((e) => e.key);
    const overrides = new Map<string, Value>();
    if (this.options.preset !== undefined && !this.preset(root, names, overrides)) return undefined;
    // Own keys only: `--set __proto__=5` names no parameter, like any other unknown name.
    for (const [key, value] of Object.entries(this.options.set ?? {})) {
      if (!names.includes(key)) {
        this.bag.error(
          { line: 1, col: 1 },
          `--set ${key}: the model has no parameter '${key}'${didYouMean(key, names)} (params: ${names.join(', ') || 'none'})`,
        );
        continue;
      }
      overrides.set(key, value);
    }
    const vars = new Map<string, Value>();
    const env = Environment.ofFile(vars);
    for (const e of entries) {
      const v = overrides.has(e.key) ? overrides.get(e.key)! : this.values.materialize(e.value, env, undefined);
      if (v === undefined) return undefined;
      vars.set(e.key, v);
    }
    return this.bag.count > 0 ? undefined : vars;
  }

  /** The chosen preset's values into `overrides`; false when there is no such preset or it is not a map. */
  private preset(root: LocatedMap, names: readonly string[], overrides: Map<string, Value>): boolean {
    const chosen = this.options.preset!;
    const presets = entry(root, 'presets');
    const preset = presets?.value.type === 'map' ? entry(presets.value, chosen) : undefined;
    if (!preset) {
      const known = presets?.value.type === 'map' ? presets.value.entries.map((e) => e.key) : [];
      this.bag.error(
        presets?.keyPos ?? root.pos,
        `no preset '${chosen}'${didYouMean(chosen, known)} (presets: ${known.join(', ') || 'none'})`,
      );
      return false;
    }
    if (preset.value.type !== 'map') {
      this.bag.error(preset.value.pos, `preset '${preset.key}' must be a map of parameter values`);
      return false;
    }
    const empty = Environment.ofFile(new Map());
    for (const e of preset.value.entries) {
      if (!names.includes(e.key)) {
        this.bag.error(
          e.keyPos,
          `preset '${preset.key}' sets '${e.key}', which is not a parameter${didYouMean(e.key, names)} (params: ${names.join(', ')})`,
        );
        continue;
      }
      const v = this.values.materialize(e.value, empty, undefined);
      if (v !== undefined) overrides.set(e.key, v);
    }
    return true;
  }

  private blocks(root: LocatedMap): Map<string, BlockDef> {
    const out = new Map<string, BlockDef>();
    const blocks = entry(root, 'blocks');
    if (!blocks) return out;
    if (blocks.value.type !== 'map') {
      this.bag.error(blocks.value.pos, "'blocks' must be a map from block names to definitions");
      return out;
    }
    for (const b of blocks.value.entries) {
      if (findKind(b.key) || STRUCTURAL.includes(b.key)) {
        this.bag.error(b.keyPos, `block '${b.key}' has the name of a layer kind; choose another`);
        continue;
      }
      if (b.value.type !== 'map') {
        this.bag.error(b.value.pos, `block '${b.key}' must be a map with 'layers' (and optional 'params', 'inline')`);
        continue;
      }
      for (const e of b.value.entries) {
        if (!BLOCK_KEYS.includes(e.key))
          this.bag.error(e.keyPos, `unknown key '${e.key}' in block '${b.key}' (valid: ${BLOCK_KEYS.join(', ')})`);
      }
      const params = entry(b.value, 'params');
      const layers = entry(b.value, 'layers');
      const inline = entry(b.value, 'inline');
      if (params && params.value.type !== 'map')
        this.bag.error(params.value.pos, `'params' of block '${b.key}' must be a map of names to defaults (null: required)`);
      if (!layers || layers.value.type !== 'seq') {
        this.bag.error(layers?.value.pos ?? b.keyPos, `block '${b.key}' needs 'layers', a list`);
        continue;
      }
      out.set(b.key, {
        name: b.key,
        params: params?.value.type === 'map' ? params.value.entries : [],
        layers: layers.value,
        inline: inline?.value.type === 'scalar' && inline.value.value === true,
        pos: b.keyPos,
      });
    }
    return out;
  }

  private inputShape(root: LocatedMap, params: ReadonlyMap<string, Value>): Shape | undefined {
    if (this.options.input) return this.options.input;
    const e = entry(root, 'input');
    if (!e) {
      this.bag.error(root.pos, "missing 'input': the per-sample input shape, e.g. [3, 224, 224]");
      return undefined;
    }
    const v = this.values.materialize(e.value, Environment.ofFile(params), undefined);
    if (v === undefined) return undefined;
    if (
      !Array.isArray(v) ||
      (v.length !== 3 && v.length !== 1) ||
      !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d > 0)
    ) {
      this.bag.error(e.value.pos, `'input' must be [channels, height, width] (or [features]) of positive integers, got ${show(v)}`);
      return undefined;
    }
    return checkTensorSize(this.bag, v as number[], e.value.pos, undefined) ? (v as number[]) : undefined;
  }
}

export { ModelError };
