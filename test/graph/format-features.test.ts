/**
 * Issue 11, format features: the `gate` form, automatic numbering as docs/format.md "Names" says,
 * written names that never collide with generated ones, and the warning for unread side outputs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/bundled.js';
import { buildGraph, buildModel, ModelError } from '../../src/graph/build.js';
import { formatDiagnostic, formatWarning } from '../../src/graph/diagnostics.js';
import type { Graph } from '../../src/graph/graph.js';
import { cli, modelFile } from '../cli/run.js';
import { thrown } from '../thrown.js';

const build = (yaml: string) => buildGraph(yaml, { file: 'm.yaml' });
const names = (g: Graph) => g.nodes.slice(1).map((n) => n.name);

function errorsOf(yaml: string): string[] {
  const e = thrown(() => build(yaml));
  expect(e).toBeInstanceOf(ModelError);
  return (e as ModelError).diagnostics.map(formatDiagnostic);
}

/** Everything a report reads from a graph, positions' lines included. */
function shape(g: Graph) {
  return g.nodes.map((n) => ({ name: n.name, kind: n.kind, inputs: n.inputs, out: n.outputShape, tensors: n.tensors, line: n.pos.line }));
}

/** A squeeze-and-excitation body, as a YAML flow list. */
const SE_BODY =
  '[{global_avgpool: {name: avgpool}}, {conv: {name: fc1, out: 4, kernel: 1}}, relu, {conv: {name: fc2, out: 16, kernel: 1}}, hardsigmoid]';

describe('gate', () => {
  it('is mul: {branches: [[], body]}: the same layers, names, order, inputs, shapes and tensors', () => {
    const head = 'input: [16, 8, 8]\nlayers:\n  - conv: {name: conv, out: 16, kernel: 3, padding: 1}\n';
    const second = (form: string) => `  - sequential: {name: s, layers: [{${form}}]}\n`;
    const gate = build(`${head}  - gate: {body: ${SE_BODY}}\n${second(`gate: {name: g2, body: ${SE_BODY}}`)}`);
    const mul = build(`${head}  - mul: {branches: [[], ${SE_BODY}]}\n${second(`mul: {name: g2, branches: [[], ${SE_BODY}]}`)}`);
    expect(shape(gate)).toEqual(shape(mul));
    expect(names(gate)).toEqual(['conv', 'avgpool', 'fc1', '0', 'fc2', '1', 'mul', 's.avgpool', 's.fc1', 's.0', 's.fc2', 's.1', 's.g2']);
    const join = gate.nodes.find((n) => n.name === 'mul')!;
    expect(join.inputs.map((i) => gate.nodes[i].name)).toEqual(['conv', '1']);
    expect(join.outputShape).toEqual([16, 8, 8]);
  });

  it('skips with if, repeats, and names each join mul, mul_1, ...', () => {
    const g = build(`input: [4, 8, 8]
params: {se: false}
layers:
  - gate: {if: "\${se}", body: [global_avgpool, sigmoid]}
  - gate: {repeat: 2, body: [global_avgpool, sigmoid]}
`);
    expect(names(g)).toEqual(['0', '1', 'mul', '2', '3', 'mul_1']);
    expect(g.nodes[3].inputs).toEqual([0, 2]);
  });

  it('refuses a missing or malformed body and unknown keys, at their place, naming the gate', () => {
    expect(
      errorsOf(`input: [4, 8, 8]
layers:
  - gate: {name: se, bdy: [relu]}
  - gate
  - gate: {body: relu}
  - gate: {name: two, inputs: [input, input], body: [relu]}
`),
    ).toEqual([
      "m.yaml:3:22: error: layer 'se' (gate): unknown argument 'bdy' (did you mean 'body'?) ('gate' takes: body, name, inputs, repeat, if, output)",
      "m.yaml:4:5: error: layer '(gate)' (gate): 'gate' needs 'body', a list of layers whose output multiplies the input",
      "m.yaml:5:18: error: layer '(gate)' (gate): 'gate' needs 'body', a list of layers whose output multiplies the input",
      "m.yaml:6:5: error: layer 'two' (gate): takes 1 input, got 2",
    ]);
  });

  it('exits 2 with the positioned line from the CLI', async () => {
    const r = await cli(['analyze', '-'], { stdin: 'input: [4, 8, 8]\nlayers:\n  - gate: {name: se, bdy: [relu]}\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "<stdin>:3:22: error: layer 'se' (gate): unknown argument 'bdy' (did you mean 'body'?) ('gate' takes: body, name, inputs, repeat, if, output)\n",
    );
  });

  it('reports a body whose output does not broadcast against the input at the gate', () => {
    expect(errorsOf('input: [4, 8, 8]\nlayers:\n  - gate: {body: [global_avgpool, conv: {out: 3, kernel: 1}]}\n')).toEqual([
      "m.yaml:3:5: error: layer 'mul' (mul): input 2 has shape [3, 1, 1], input 1 has [4, 8, 8]: they do not broadcast (3 against 4; aligned from the right, sizes must be equal or 1)",
    ]);
  });

  it('is refused as the name of a block', () => {
    expect(errorsOf('input: [4, 8, 8]\nblocks:\n  gate: {layers: [relu]}\nlayers:\n  - relu\n')).toEqual([
      "m.yaml:3:3: error: block 'gate' has the name of a layer kind; choose another",
    ]);
  });

  it('writes the bundled squeeze-and-excitation blocks: no mul with an empty branch is left', () => {
    for (const m of bundledModels()) expect(readFileSync(m.path, 'utf8'), m.name).not.toMatch(/mul:\s*\n\s*branches:\s*\n\s*- \[\]/);
  });
});

describe('automatic numbering (docs/format.md, "Names")', () => {
  it('numbers the unnamed modules of a scope by their place, nn.Sequential(*layers)', () => {
    const g = build('input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3}\n  - batchnorm\n  - relu\n');
    expect(names(g)).toEqual(['0', '1', '2']);
  });

  it('counts neither skipped entries nor joins; counts output: true entries', () => {
    const g = build(`input: [4, 8, 8]
params: {bn: false}
layers:
  - relu
  - batchnorm: {if: "\${bn}"}
  - residual: {body: [relu]}
  - concat: {branches: [[relu], []]}
  - add: {inputs: [input, input]}
  - relu: {output: true}
  - relu
`);
    expect(names(g)).toEqual(['0', '1', 'add', '2', 'concat', 'add_1', '3', '4']);
  });

  it('splices unnamed sequentials and unnamed inline blocks, and gives an unnamed block one index', () => {
    const g = build(`input: [4, 8, 8]
blocks:
  pair: {inline: true, layers: [relu, relu]}
  unit: {layers: [relu, relu]}
layers:
  - relu
  - sequential: [relu, relu]
  - pair
  - unit
  - relu
  - sequential: {name: named, layers: [relu]}
`);
    expect(names(g)).toEqual(['0', '1', '2', '3', '4', '5.0', '5.1', '6', 'named.0']);
  });

  it('gives a named entry no index: the unnamed ones around it are numbered among themselves', () => {
    const g = build('input: [4, 8, 8]\nlayers:\n  - relu: {name: first}\n  - relu\n  - sequential: {name: s, layers: [relu]}\n  - relu\n');
    expect(names(g)).toEqual(['first', '0', 's.0', '1']);
  });
});

describe('written names never collide with generated ones', () => {
  const rest = ' a written name may not be a generated one: choose another, or name that entry';

  it('refuses a written index that an unnamed entry after it gets, at the written name', () => {
    expect(errorsOf('input: [4, 8, 8]\nlayers:\n  - relu: {name: "1"}\n  - relu\n  - relu\n')).toEqual([
      `m.yaml:3:5: error: layer '1' (relu): the name '1' is the index cnnscope gives the unnamed entry at line 5 (unnamed entries are numbered by their place, as nn.Sequential numbers its modules);${rest}`,
    ]);
  });

  it('refuses a written index that an unnamed entry before it got, at the written name', () => {
    expect(errorsOf('input: [4, 8, 8]\nlayers:\n  - relu\n  - relu: {name: "0"}\n')).toEqual([
      `m.yaml:4:5: error: layer '0' (relu): the name '0' is the index cnnscope gives the unnamed entry at line 3 (unnamed entries are numbered by their place, as nn.Sequential numbers its modules);${rest}`,
    ]);
  });

  it('refuses a block, sequential or repeat group named by an index an unnamed block gets, once, by its name', () => {
    expect(
      errorsOf(`input: [4, 8, 8]
blocks:
  unit: {layers: [relu]}
layers:
  - unit: {name: "1"}
  - unit
  - unit
  - sequential: {name: "0", layers: [relu]}
`),
    ).toEqual([
      `m.yaml:5:5: error: layer '1' (unit): the name '1' is the index cnnscope gives the unnamed entry at line 7 (unnamed entries are numbered by their place, as nn.Sequential numbers its modules);${rest}`,
      `m.yaml:8:5: error: layer '0' (sequential): the name '0' is the index cnnscope gives the unnamed entry at line 6 (unnamed entries are numbered by their place, as nn.Sequential numbers its modules);${rest}`,
    ]);
  });

  it('keeps an index written where it is the entry’s own (efficientnet’s features.0) and names written before joins', () => {
    expect(names(build('input: [4, 8, 8]\nlayers:\n  - relu: {name: "0"}\n  - relu: {name: "1"}\n'))).toEqual(['0', '1']);
    // A join's generated name skips the names taken before it.
    expect(names(build('input: [4, 8, 8]\nlayers:\n  - relu: {name: add}\n  - residual: {body: [relu]}\n'))).toEqual(['add', '0', 'add_1']);
  });

  it('refuses a written name a join before it was given, at the written name', () => {
    expect(errorsOf('input: [4, 8, 8]\nlayers:\n  - gate: {body: [global_avgpool]}\n  - relu: {name: mul}\n')).toEqual([
      `m.yaml:4:5: error: layer 'mul' (relu): the name 'mul' is the name cnnscope gives the join at line 3;${rest}`,
    ]);
  });

  it('still reports two written names alike as a duplicate', () => {
    expect(errorsOf('input: [4, 8, 8]\nlayers:\n  - relu: {name: r}\n  - sequential: {name: r, layers: [relu]}\n')).toEqual([
      "m.yaml:4:5: error: layer 'r' (sequential): duplicate name 'r' (first used at line 3)",
    ]);
  });
});

describe('side outputs nothing reads', () => {
  const dead = `input: [4, 8, 8]
blocks:
  tap: {layers: [relu: {name: a}, relu: {name: dead, inputs: a}, relu: {inputs: a}]}
layers:
  - conv: {name: c, out: 4, kernel: 1}
  - relu: {name: side, inputs: input}
  - relu: {name: r, inputs: c}
  - tap: {repeat: 3}
  - relu: {name: head, output: true}
  - relu: {inputs: c}
`;

  it('warns once per place, naming the layer, with the copies counted; marked heads and the output are not warned', () => {
    const { warnings } = buildModel(dead, { file: 'm.yaml' });
    expect(warnings.map(formatWarning)).toEqual([
      "m.yaml:3:35: warning: layer '0.dead' (relu): its output is never read: no layer reads it and it is not the model's output (mark it 'output: true' if it is an auxiliary head) (and 2 more times)",
      "m.yaml:6:5: warning: layer 'side' (relu): its output is never read: no layer reads it and it is not the model's output (mark it 'output: true' if it is an auxiliary head)",
    ]);
  });

  it('prints the warning on stderr and still reports the model (exit 0)', async () => {
    const r = await cli(['analyze', '-', '--json'], { stdin: dead });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(2);
    expect(r.stderr).toContain("<stdin>:6:5: warning: layer 'side' (relu): its output is never read");
    expect(JSON.parse(r.stdout).model).toBe('model');
  });

  it('is printed once by check, however many builds of the file it checks', async () => {
    const file = modelFile(
      `${dead}presets:\n  a: {}\n  b: {}\nparams: {}\nexpect:\n  - {params: {max: 1M}}\n  - {preset: b, params: {max: 1M}}\n`,
    );
    const r = await cli(['check', file]);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      `${file}:6:5: warning: layer 'side' (relu): its output is never read: no layer reads it and it is not the model's output (mark it 'output: true' if it is an auxiliary head)`,
    );
  });

  it('is silent for every bundled model (googlenet and inception_v3 mark their auxiliary heads)', () => {
    for (const m of bundledModels()) {
      const text = readFileSync(m.path, 'utf8');
      const options = { file: m.path, ...(m.preset ? { preset: m.preset } : {}) };
      expect(buildModel(text, options).warnings, m.name).toEqual([]);
      if (/\baux\b/.test(text)) expect(buildModel(text, { ...options, set: { aux: true } }).warnings, m.name).toEqual([]);
    }
  });
});
