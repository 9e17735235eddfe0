/**
 * Every kind of bad input, through the CLI: one line per problem naming file:line:col and the
 * layer, exit code 2, no stack trace, nothing on stdout.
 */
import { describe, expect, it } from 'vitest';
import { cli, modelFile } from './run.js';

async function errorsOf(yaml: string, extra: string[] = []) {
  const path = modelFile(yaml);
  const r = await cli(['analyze', path, ...extra]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !/^\d+ errors$/.test(l));
  for (const l of lines) expect(l.startsWith(`${path}:`), l).toBe(true);
  return lines.map((l) => l.slice(path.length + 1));
}

const head = 'name: t\ninput: [16, 8, 8]\nlayers:\n';

describe('model errors', () => {
  it('malformed YAML', async () => {
    const [e] = await errorsOf('name: t\ninput: [3, 8, 8\nlayers: []\n');
    expect(e).toMatch(/^\d+:\d+: error: malformed YAML: /);
  });

  it('unknown kind, with the close ones', async () => {
    const [e] = await errorsOf(`${head}  - relu\n  - conv2d: {out: 8, kernel: 3}\n`);
    expect(e).toMatch(/^5:5: error: layer '#1' \(conv2d\): unknown layer kind 'conv2d' \(did you mean 'conv'\?\)/);
  });

  it('unknown argument, listing the valid ones', async () => {
    const [e] = await errorsOf(`${head}  - conv: {name: c1, out: 8, kernel: 3, stide: 2}\n`);
    expect(e).toBe(
      "4:41: error: layer 'c1' (conv): unknown argument 'stide' (did you mean 'stride'?) (conv takes: out, kernel, stride, padding, dilation, groups, bias, name, inputs, repeat, if, output)",
    );
  });

  it('missing argument', async () => {
    const [e] = await errorsOf(`${head}  - conv: {name: c1, kernel: 3}\n`);
    expect(e).toBe("4:5: error: layer 'c1' (conv): missing argument 'out' (a positive integer)");
  });

  it('ill-typed argument', async () => {
    const [e] = await errorsOf(`${head}  - conv: {name: c1, out: 8, kernel: three}\n`);
    expect(e).toBe(`4:38: error: layer 'c1' (conv): argument 'kernel' must be a positive integer or [h, w], got "three"`);
  });

  it('channel mismatch on add', async () => {
    const [e] = await errorsOf(
      `${head}  - conv: {name: a, out: 8, kernel: 1}\n  - conv: {name: b, out: 4, kernel: 1, inputs: input}\n  - add: {name: sum, inputs: [a, b]}\n`,
    );
    expect(e).toMatch(
      /^6:5: error: layer 'sum' \(add\): .*\[4, 8, 8\].*\[8, 8, 8\]|^6:5: error: layer 'sum' \(add\): .*\[8, 8, 8\].*\[4, 8, 8\]/,
    );
  });

  it('spatial mismatch on concat', async () => {
    const [e] = await errorsOf(
      `${head}  - conv: {name: a, out: 8, kernel: 1}\n  - conv: {name: b, out: 4, kernel: 3, inputs: input}\n  - concat: {name: cat, inputs: [a, b]}\n`,
    );
    expect(e).toMatch(/^6:5: error: layer 'cat' \(concat\): .*(height|width|spatial)/);
  });

  it('an output that shrinks to zero', async () => {
    const [e] = await errorsOf(`${head}  - conv: {name: big, out: 8, kernel: 9}\n`);
    expect(e).toBe(
      "4:5: error: layer 'big' (conv): output height would be 0: input height 8 + padding 0 is smaller than the window extent 9 (kernel 9)",
    );
  });

  it('groups that do not divide the channels', async () => {
    const [e] = await errorsOf(`${head}  - conv: {name: g, out: 8, kernel: 3, groups: 3}\n`);
    expect(e).toBe("4:48: error: layer 'g' (conv): groups 3 does not divide the 16 input channels");
  });

  it('a duplicate name', async () => {
    const [e] = await errorsOf(`${head}  - relu: {name: r}\n  - relu: {name: r}\n`);
    expect(e).toBe("5:5: error: layer 'r' (relu): duplicate name 'r' (first used at line 4)");
  });

  it('an input that does not exist', async () => {
    const [e] = await errorsOf(`${head}  - relu: {name: r1}\n  - relu: {name: r2, inputs: [r0]}\n`);
    expect(e).toMatch(/^5:30: error: layer 'r2' \(relu\): no layer named 'r0' \(did you mean 'r1'\?\)/);
  });

  it('a cycle (an input defined later)', async () => {
    const [e] = await errorsOf(`${head}  - relu: {name: a, inputs: [b]}\n  - relu: {name: b, inputs: [a]}\n`);
    expect(e).toMatch(/^4:29: error: layer 'a' \(relu\): input 'b' is defined after this layer \(line 5\).*cycle/);
  });

  it('a block that uses itself', async () => {
    const [e] = await errorsOf(
      `name: t\ninput: [16, 8, 8]\nblocks:\n  loop:\n    layers:\n      - relu\n      - loop\nlayers:\n  - loop\n`,
    );
    expect(e).toMatch(/^7:9: error: layer '0\.1' \(loop\): block 'loop' uses itself \(loop -> loop\)/);
  });

  it('collects every error of a file, in line order', async () => {
    const errs = await errorsOf(
      `${head}  - conv: {name: a, out: 8, kernel: 3, groups: 3}\n  - relu\n  - conv: {name: b, kernel: 3}\n  - nope\n`,
    );
    expect(errs.map((e) => e.split(':')[0])).toEqual(['4', '6', '7']);
  });

  it('does not cascade from a broken layer to its readers', async () => {
    const errs = await errorsOf(
      `${head}  - conv: {name: a, out: 8, kernel: 30}\n  - conv: {name: b, out: 8, kernel: 3}\n  - add: {inputs: [a, b]}\n`,
    );
    expect(errs).toHaveLength(1);
  });

  it('an unknown name in an expression', async () => {
    const [e] = await errorsOf(`${head}  - conv: {name: c, out: "\${widht * 2}", kernel: 3}\n`);
    expect(e).toMatch(/^4:29: error: layer 'c' \(conv\): in "\$\{widht \* 2\}": unknown name 'widht'/);
  });

  it('a layer written with its arguments beside the kind', async () => {
    const [e] = await errorsOf(`${head}  - conv: {out: 8, kernel: 3}\n    name: c\n`);
    expect(e).toMatch(/^4:5: error: a layer is one key, its kind, mapping to its arguments; found 2 keys: conv, name; put 'name' inside/);
  });
});

describe('resource bombs', () => {
  it('refuses a YAML alias bomb', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const [e] = await errorsOf(`${bomb.join('\n')}\ninput: [3, 8, 8]\nlayers: [relu]\n`);
    expect(e).toMatch(/more than 1,000,000 YAML nodes/);
  });

  it('refuses a huge repeat at once', async () => {
    const [e] = await errorsOf(`${head}  - relu: {repeat: 1000000000}\n`);
    expect(e).toMatch(/repeat 1,000,000,000 is more than the 250,000 layers a model may have/);
  });

  it('refuses nested repeats that multiply beyond the limit', async () => {
    const errs = await errorsOf(
      `name: t\ninput: [16, 8, 8]\nblocks:\n  many:\n    layers: [{relu: {repeat: 100000}}]\nlayers:\n  - many: {repeat: 100000}\n`,
    );
    expect(errs.join('\n')).toMatch(/nested repeats expand this entry 10,000,000,000 times/);
  });

  it('refuses a tensor that cannot fit', async () => {
    const [e] = await errorsOf(
      'name: t\ninput: [3, 8, 8]\nlayers:\n  - conv: {name: c, out: 100000000, kernel: 1}\n  - flatten\n  - linear: {name: fc, out: 10000000}\n',
    );
    expect(e).toMatch(/layer 'fc' \(linear\): a tensor of shape \[10000000, 6400000000\] has more than 2\^44 elements/);
  });

  it('refuses nested repeats that are all skipped', async () => {
    const errs = await errorsOf(
      `name: t\ninput: [16, 8, 8]\nblocks:\n  none:\n    layers: [{relu: {repeat: 100000, if: false}}]\nlayers:\n  - none: {repeat: 100000}\n`,
    );
    expect(errs.join('\n')).toMatch(/nested repeats expand this entry 10,000,000,000 times/);
  });
});
