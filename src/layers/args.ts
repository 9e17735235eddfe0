/**
 * Argument specifications: each knows how to describe itself and how to check a value
 * that came out of YAML (after expressions are evaluated). A failed check throws
 * ArgTypeError with a message that completes "argument 'x' must be ...".
 */

export class ArgTypeError extends Error {}

export interface ArgSpec<T> {
  /** How the value is written, for errors and docs: "a positive integer", "int or [h, w]". */
  readonly type: string;
  /** Absent means required. */
  readonly default?: T;
  readonly required: boolean;
  readonly doc: string;
  parse(value: unknown): T;
}

interface SpecOptions<T> {
  default?: T;
  doc: string;
}

function spec<T>(type: string, options: SpecOptions<T>, parse: (value: unknown) => T): ArgSpec<T> {
  const required = !('default' in options);
  return { type, required, doc: options.doc, parse, ...(required ? {} : { default: options.default }) };
}

function checkInt(value: unknown, min: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ArgTypeError(`must be ${what}, got ${show(value)}`);
  if (value < min) throw new ArgTypeError(`must be ${what}, got ${value}`);
  if (!Number.isSafeInteger(value)) throw new ArgTypeError(`is too large: ${value}`);
  return value;
}

function intWord(min: number): string {
  return min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'object') return 'a map';
  // What is left is a number, boolean, bigint or symbol: String() writes each as it reads.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(value);
}

export function int(options: SpecOptions<number> & { min?: number }): ArgSpec<number> {
  const min = options.min ?? 1;
  return spec(intWord(min), options, (v) => checkInt(v, min, intWord(min)));
}

export function number(
  options: SpecOptions<number> & { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean },
): ArgSpec<number> {
  const { min, max, exclusiveMin, exclusiveMax } = options;
  // Both bounds read as an interval ("a number in [0, 1)"); one bound as a comparison.
  const type =
    min !== undefined && max !== undefined
      ? `a number in ${exclusiveMin ? '(' : '['}${min}, ${max}${exclusiveMax ? ')' : ']'}`
      : min !== undefined
        ? `a number ${exclusiveMin ? '>' : '>='} ${min}`
        : max !== undefined
          ? `a number ${exclusiveMax ? '<' : '<='} ${max}`
          : 'a number';
  return spec(type, options, (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgTypeError(`must be ${type}, got ${show(v)}`);
    if (min !== undefined && (exclusiveMin ? v <= min : v < min)) throw new ArgTypeError(`must be ${type}, got ${v}`);
    if (max !== undefined && (exclusiveMax ? v >= max : v > max)) throw new ArgTypeError(`must be ${type}, got ${v}`);
    return v;
  });
}

export function bool(options: SpecOptions<boolean>): ArgSpec<boolean> {
  return spec('true or false', options, (v) => {
    if (typeof v !== 'boolean') throw new ArgTypeError(`must be true or false, got ${show(v)}`);
    return v;
  });
}

/** An int applying to both spatial axes, or [h, w]. */
export function pair(options: SpecOptions<readonly [number, number]> & { min?: number }): ArgSpec<readonly [number, number]> {
  const min = options.min ?? 1;
  const word = intWord(min);
  const type = `${word} or [h, w]`;
  return spec(type, options, (v) => {
    if (typeof v === 'number') {
      const n = checkInt(v, min, type);
      return [n, n] as const;
    }
    if (Array.isArray(v) && v.length === 2) {
      return [checkInt(v[0], min, type), checkInt(v[1], min, type)] as const;
    }
    throw new ArgTypeError(`must be ${type}, got ${show(v)}`);
  });
}

/**
 * A pair that may be left out: absent (or null) means null, and the kind fills it in from
 * other arguments. Pooling's stride uses it, because PyTorch defaults the stride to the kernel.
 * `doc` should say what the absent value means.
 */
export function optionalPair(options: { doc: string; min?: number }): ArgSpec<readonly [number, number] | null> {
  const inner = pair({ doc: options.doc, ...(options.min !== undefined ? { min: options.min } : {}) });
  return spec<readonly [number, number] | null>(inner.type, { default: null, doc: options.doc }, (v) =>
    v === null ? null : inner.parse(v),
  );
}

/** Explicit padding: top, bottom, left, right. */
export interface Padding4 {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

export type PaddingArg = Padding4 | 'same' | 'valid';

/** int, [h, w], [top, bottom, left, right], `same` or `valid`. `same` is resolved by the kind, which knows the kernel. */
export function padding(options: SpecOptions<PaddingArg>): ArgSpec<PaddingArg> {
  const type = 'a non-negative integer, [h, w], [top, bottom, left, right], "same" or "valid"';
  return spec(type, options, (v) => {
    if (v === 'same' || v === 'valid') return v;
    const n = (x: unknown) => checkInt(x, 0, type);
    if (typeof v === 'number') {
      const p = n(v);
      return { top: p, bottom: p, left: p, right: p };
    }
    if (Array.isArray(v) && v.length === 2) {
      const [h, w] = [n(v[0]), n(v[1])];
      return { top: h, bottom: h, left: w, right: w };
    }
    if (Array.isArray(v) && v.length === 4) {
      return { top: n(v[0]), bottom: n(v[1]), left: n(v[2]), right: n(v[3]) };
    }
    throw new ArgTypeError(`must be ${type}, got ${show(v)}`);
  });
}

/** A symmetric padding: int or [h, w] (pooling layers, as in PyTorch). */
export function symmetricPadding(options: SpecOptions<readonly [number, number]>): ArgSpec<readonly [number, number]> {
  return pair({ ...options, min: 0 });
}

/** One of a few strings (gelu's `approximate`: "none" or "tanh"), as PyTorch's string arguments. */
export function choice<T extends string>(options: SpecOptions<T> & { values: readonly T[] }): ArgSpec<T> {
  const { values } = options;
  const type = values.length === 2 ? `${show(values[0])} or ${show(values[1])}` : `one of ${values.map(show).join(', ')}`;
  return spec(type, options, (v) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new ArgTypeError(`must be ${type}, got ${show(v)}`);
    return v as T;
  });
}

/**
 * A positive number applying to both spatial axes, or [h, w] of them, that may be left out
 * (absent or null means null, as optionalPair): upsample's `scale_factor`.
 */
export function optionalNumberPair(options: { doc: string }): ArgSpec<readonly [number, number] | null> {
  const type = 'a number > 0 or [h, w]';
  const positive = (x: unknown): number => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw new ArgTypeError(`must be ${type}, got ${show(x)}`);
    return x;
  };
  return spec<readonly [number, number] | null>(type, { default: null, doc: options.doc }, (v) => {
    if (v === null) return null;
    if (typeof v === 'number') return [positive(v), positive(v)] as const;
    if (Array.isArray(v) && v.length === 2) return [positive(v[0]), positive(v[1])] as const;
    throw new ArgTypeError(`must be ${type}, got ${show(v)}`);
  });
}

/** A kind's arguments, by name. */
export type ArgSpecs = Readonly<Record<string, ArgSpec<unknown>>>;

/**
 * Reads the arguments written for one layer against its kind's specs: the front end feeds it
 * each value once evaluated (src/graph/layer.ts), the layer tests' helper a plain object. Names
 * are looked up among the specs' own keys only, so `constructor` or `toString` is no argument.
 */
export class ArgParser {
  private readonly parsed: Record<string, unknown> = {};
  /** Every argument written, parsed or not: one whose value failed is not also "missing". */
  private readonly written = new Set<string>();

  constructor(private readonly specs: ArgSpecs) {}

  /** The names the kind takes, in the order it declares them. */
  get names(): string[] {
    return Object.keys(this.specs);
  }

  /** Records `name` as written and returns its spec, or undefined when the kind takes no such argument. */
  write(name: string): ArgSpec<unknown> | undefined {
    this.written.add(name);
    return Object.hasOwn(this.specs, name) ? this.specs[name] : undefined;
  }

  /** Checks the value of a written argument; throws ArgTypeError "argument 'x' must be ...". */
  parse(name: string, spec: ArgSpec<unknown>, value: unknown): void {
    try {
      this.parsed[name] = spec.parse(value);
    } catch (e) {
      if (e instanceof ArgTypeError) throw new ArgTypeError(`argument '${name}' ${e.message}`);
      throw e;
    }
  }

  /** Required arguments that were not written, in the kind's order. */
  missing(): [string, ArgSpec<unknown>][] {
    const out: [string, ArgSpec<unknown>][] = [];
    for (const entry of specEntries(this.specs)) if (entry[1].required && !this.written.has(entry[0])) out.push(entry);
    return out;
  }

  /** The parsed arguments in the order written, then the defaults of the optional ones left out. */
  complete(): Record<string, unknown> {
    const out = this.parsed;
    for (const [name, spec] of specEntries(this.specs)) if (!spec.required && !Object.hasOwn(out, name)) out[name] = spec.default;
    return out;
  }
}

const entriesOfSpecs = new WeakMap<ArgSpecs, readonly [string, ArgSpec<unknown>][]>();

/** A kind's specs as entries, made once per kind (Object.entries twice per layer before). */
function specEntries(specs: ArgSpecs): readonly [string, ArgSpec<unknown>][] {
  let entries = entriesOfSpecs.get(specs);
  if (!entries) entriesOfSpecs.set(specs, (entries = Object.entries(specs)));
  return entries;
}
