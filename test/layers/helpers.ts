/**
 * Runs a layer kind the way the analysis does, from raw YAML-like arguments to every result,
 * so that tests read as "these arguments on these inputs give this".
 */
import { ArgParser, ArgTypeError } from '../../src/layers/args.js';
import { numel, type FieldStep, type LayerKind, type OpCount, type Shape, type TensorSpec } from '../../src/layers/kind.js';

export interface Applied<Args> {
  readonly args: Args;
  readonly output: Shape;
  readonly tensors: readonly TensorSpec[];
  /** Elements of the tensors with role `parameter`. */
  readonly params: number;
  /** Elements of the tensors with role `buffer`. */
  readonly buffers: number;
  readonly cost: OpCount;
  readonly field: FieldStep;
}

/**
 * Parses the raw arguments with the front end's ArgParser (unknown and missing arguments are
 * errors, absent optional ones take their default), then calls resolve, outputShape, tensors,
 * cost and receptiveField in that order. Argument errors are ArgTypeError with "argument 'x' ..." messages;
 * LayerErrors from the kind propagate unchanged.
 */
export function apply<Args>(kind: LayerKind<Args>, rawArgs: Record<string, unknown>, inputs: readonly Shape[]): Applied<Args> {
  if (inputs.length < kind.arity.min || inputs.length > kind.arity.max) {
    throw new Error(`${kind.kind} takes ${kind.arity.min} to ${kind.arity.max} inputs, got ${inputs.length}`);
  }
  const parser = new ArgParser(kind.args);
  const given = Object.entries(rawArgs).map(([name, value]) => {
    const spec = parser.write(name);
    if (!spec) throw new ArgTypeError(`unknown argument '${name}' for ${kind.kind}`);
    return { name, spec, value };
  });
  for (const { name, spec, value } of given) parser.parse(name, spec, value);
  const [missing] = parser.missing();
  if (missing) throw new ArgTypeError(`missing argument '${missing[0]}' for ${kind.kind}`);
  const parsed = parser.complete();
  const args = kind.resolve(parsed, inputs);
  const output = kind.outputShape(inputs, args);
  const tensors = kind.tensors(inputs, args);
  const total = (role: TensorSpec['role']) => tensors.filter((t) => t.role === role).reduce((sum, t) => sum + numel(t.shape), 0);
  return {
    args,
    output,
    tensors,
    params: total('parameter'),
    buffers: total('buffer'),
    cost: kind.cost(inputs, output, args),
    field: kind.receptiveField(inputs, output, args),
  };
}

/** A float parameter, to keep expected tensor lists short. */
export function param(name: string, shape: readonly number[]): TensorSpec {
  return { name, shape, role: 'parameter', dtype: 'float' };
}

export { thrown } from '../thrown.js';
