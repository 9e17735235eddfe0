/**
 * Names a user writes are looked up among own keys only: a kind, an argument, a block, a
 * parameter, a `--set` name, a field or a function called `constructor`, `__proto__` or
 * `toString` is unknown like any other misspelling, never something JavaScript objects inherit.
 */
import { describe, expect, it } from 'vitest';
import { parseSets } from '../../src/cli/load.js';
import { buildGraph, buildModel, ModelError } from '../../src/graph/build.js';
import { evaluate, ExprError, parseExpression, type Value } from '../../src/graph/expr.js';
import { cli } from '../cli/run.js';
import { thrown } from '../thrown.js';

const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

/** The diagnostics of a file that must not build, as `line:col: message`. */
function errorsOf(yaml: string, options: Partial<Parameters<typeof buildGraph>[1]> = {}): string[] {
  const e = thrown(() => buildGraph(yaml, { file: 'm.yaml', ...options }));
  expect(e).toBeInstanceOf(ModelError);
  return (e as ModelError).diagnostics.map(
    (d) => `${d.pos.line}:${d.pos.col}: ${d.layer ? `layer '${d.layer.name}' (${d.layer.kind}): ` : ''}${d.message}`,
  );
}

describe('own keys only', () => {
  it.each(INHERITED)('the kind %s is unknown, reported at its position', (kind) => {
    const [e] = errorsOf(`input: [3, 8, 8]\nlayers: [${kind}]\n`);
    expect(e).toMatch(new RegExp(`^2:10: layer '#0' \\(${kind}\\): unknown layer kind '${kind}' `));
  });

  it.each(INHERITED)('the kind %s with arguments is unknown too', (kind) => {
    const [e] = errorsOf(`input: [3, 8, 8]\nlayers:\n  - ${kind}: {out: 4}\n`);
    expect(e).toMatch(new RegExp(`^3:5: layer '#0' \\(${kind}\\): unknown layer kind '${kind}' `));
  });

  it('`layers: [constructor]` exits 2 with a positioned message, not 70', async () => {
    const r = await cli(['analyze', '-'], { stdin: 'input: [3,8,8]\nlayers: [constructor]\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^<stdin>:2:10: error: layer '#0' \(constructor\): unknown layer kind 'constructor' \(kinds: conv, /);
  });

  it.each(INHERITED)('the argument %s of a kind is unknown', (arg) => {
    const [e] = errorsOf(`input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 1, ${arg}: 1}\n`);
    expect(e).toBe(
      `3:31: layer '0' (conv): unknown argument '${arg}' (conv takes: out, kernel, stride, padding, dilation, groups, bias, name, inputs, repeat, if, output)`,
    );
  });

  it('`conv: {out: 4, kernel: 1, constructor: 1}` exits 2, not 70', async () => {
    const r = await cli(['analyze', '-'], { stdin: 'input: [3,8,8]\nlayers:\n  - conv: {out: 4, kernel: 1, constructor: 1}\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("<stdin>:3:31: error: layer '0' (conv): unknown argument 'constructor'");
  });

  it('a block named like an inherited key is a block, not a layer kind', () => {
    const g = buildGraph('input: [3, 8, 8]\nblocks:\n  constructor: {layers: [relu]}\nlayers: [constructor]\n', { file: 'm.yaml' });
    expect(g.nodes.map((n) => n.name)).toEqual(['input', '0.0']);
  });

  it('the argument __proto__ of a block is unknown', () => {
    const [e] = errorsOf('input: [3, 8, 8]\nblocks:\n  b: {params: {n: 1}, layers: [relu]}\nlayers:\n  - b: {__proto__: 1}\n');
    expect(e).toBe("5:9: layer '0' (b): unknown argument '__proto__' (block 'b' takes: n, name, inputs, repeat, if, output)");
  });

  it('`--set __proto__=5` is refused like any parameter the model does not have', async () => {
    const yaml = 'input: [3, 8, 8]\nparams: {width: 4}\nlayers:\n  - conv: {out: "${width}", kernel: 1}\n';
    expect(errorsOf(yaml, { set: parseSets(['__proto__=5']) })).toEqual([
      "1:1: --set __proto__: the model has no parameter '__proto__' (params: width)",
    ]);
    expect(errorsOf(yaml, { set: parseSets(['constructor=5']) })).toEqual([
      "1:1: --set constructor: the model has no parameter 'constructor' (params: width)",
    ]);
    const r = await cli(['analyze', '-', '--set', '__proto__=5'], { stdin: yaml });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--set __proto__: the model has no parameter '__proto__'");
  });

  it('a preset setting an inherited name sets no parameter', () => {
    const yaml = 'input: [3, 8, 8]\nparams: {width: 4}\npresets: {p: {toString: 1}}\nlayers: [relu]\n';
    expect(errorsOf(yaml, { preset: 'p' })).toEqual(["3:15: preset 'p' sets 'toString', which is not a parameter (params: width)"]);
    expect(errorsOf(yaml, { preset: 'constructor' })[0]).toMatch(/^3:1: no preset 'constructor'/);
  });

  it('`${in.constructor}` is no field of the input', () => {
    const [e] = errorsOf('input: [3, 8, 8]\nlayers:\n  - conv: {out: "${in.constructor}", kernel: 1}\n');
    expect(e).toBe(`3:22: layer '0' (conv): in "\${in.constructor}": no field 'constructor' (has c, h, w, shape)`);
  });

  it('a map param keeps a key __proto__ as data', () => {
    const { graph } = buildModel('input: [3, 8, 8]\nparams: {m: {__proto__: 4}}\nlayers:\n  - conv: {out: "${m.__proto__}", kernel: 1}\n', {
      file: 'm.yaml',
    });
    expect(graph.nodes[1].outputShape).toEqual([4, 8, 8]);
  });
});

describe('expressions read own keys only', () => {
  const scope = new Map<string, Value>([
    ['in', { c: 3, h: 8, w: 8, shape: [3, 8, 8] }],
    ['m', { a: 1 }],
  ]);
  const error = (src: string) => {
    const e = thrown(() => evaluate(parseExpression(src), (n) => scope.get(n)));
    expect(e).toBeInstanceOf(ExprError);
    return e.message;
  };

  it.each(INHERITED)('member %s is no field', (key) => {
    expect(error(`in.${key}`)).toBe(`no field '${key}' (has c, h, w, shape)`);
  });

  it.each(INHERITED)('index "%s" is no entry', (key) => {
    expect(error(`m["${key}"]`)).toBe(`no entry "${key}" (has a)`);
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])('%s() is no function', (fn) => {
    expect(thrown(() => parseExpression(`${fn}(1)`)).message).toMatch(new RegExp(`^unknown function '${fn}' \\(known: min, max, `));
  });
});
