import { describe, expect, it } from 'vitest';
import { buildGraph, buildModel, ModelError } from '../../src/graph/build.js';
import type { Graph } from '../../src/graph/graph.js';

const build = (yaml: string, options: Partial<Parameters<typeof buildGraph>[1]> = {}) => buildGraph(yaml, { file: 'm.yaml', ...options });
const names = (g: Graph) => g.nodes.slice(1).map((n) => n.name);
const node = (g: Graph, name: string) => g.nodes.find((n) => n.name === name)!;

describe('the layer graph', () => {
  it('chains layers, names unnamed ones by index and keeps positions', () => {
    const g = build('input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3}\n  - relu\n  - relu: {name: last}\n');
    expect(names(g)).toEqual(['0', '1', 'last']);
    expect(g.nodes.map((n) => n.inputs)).toEqual([[], [0], [1], [2]]);
    expect(node(g, '1').pos).toEqual({ line: 4, col: 5 });
    expect(g.outputs).toEqual([3]);
    expect(node(g, '0').outputShape).toEqual([4, 6, 6]);
  });

  it('repeats with a constant name make a group, with a name using i make siblings', () => {
    const g = build(`input: [4, 8, 8]
layers:
  - relu: {name: group, repeat: 2}
  - relu: {name: "r\${i + 1}", repeat: 2}
  - conv: {out: "\${in.c * 2}", kernel: 1, repeat: 3}
`);
    expect(names(g)).toEqual(['group.0', 'group.1', 'r1', 'r2', '0', '1', '2']);
    expect(node(g, '2').outputShape).toEqual([32, 8, 8]);
  });

  it('skips entries whose if is false without using an index', () => {
    const g = build(
      'input: [4, 8, 8]\nparams: {bn: false}\nlayers:\n  - conv: {out: 4, kernel: 1}\n  - batchnorm: {if: "${bn}"}\n  - relu\n',
    );
    expect(names(g)).toEqual(['0', '1']);
    expect(node(g, '1').kind).toBe('relu');
    const withBn = build(
      'input: [4, 8, 8]\nparams: {bn: false}\nlayers:\n  - conv: {out: 4, kernel: 1}\n  - batchnorm: {if: "${bn}"}\n  - relu\n',
      { set: { bn: true } },
    );
    expect(names(withBn)).toEqual(['0', '1', '2']);
  });

  it('expands blocks as scopes, or inline into the caller', () => {
    const yaml = `input: [3, 8, 8]
params: {width: 8}
blocks:
  conv_bn:
    params: {out: null, stride: 1}
    layers:
      - conv: {name: conv, out: "\${out}", kernel: 3, padding: 1, stride: "\${stride}", bias: false}
      - batchnorm: {name: bn}
  pair:
    inline: true
    params: {out: "\${width}"}
    layers: [{conv: {out: "\${out}", kernel: 1}}, relu]
layers:
  - conv_bn: {name: stem, out: "\${width * 2}", stride: 2}
  - conv_bn: {out: 4}
  - pair
  - pair: {out: 2}
`;
    const g = build(yaml);
    expect(names(g)).toEqual(['stem.conv', 'stem.bn', '0.conv', '0.bn', '1', '2', '3', '4']);
    expect(node(g, 'stem.bn').outputShape).toEqual([16, 4, 4]);
    expect(node(g, '4').outputShape).toEqual([2, 4, 4]);
  });

  it('builds residual blocks: the shortcut is the identity when absent or skipped', () => {
    const yaml = `input: [8, 8, 8]
blocks:
  block:
    params: {out: null, stride: 1}
    layers:
      - residual:
          body:
            - conv: {name: conv1, out: "\${out}", kernel: 3, padding: 1, stride: "\${stride}"}
          shortcut:
            - sequential: {name: downsample, if: "\${stride != 1 || in.c != out}", layers: [{conv: {out: "\${out}", kernel: 1, stride: "\${stride}"}}]}
      - relu
layers:
  - block: {name: a, out: 8}
  - block: {name: b, out: 16, stride: 2}
`;
    const g = build(yaml);
    expect(names(g)).toEqual(['a.conv1', 'a.add', 'a.0', 'b.conv1', 'b.downsample.0', 'b.add', 'b.0']);
    expect(node(g, 'a.add').inputs.map((i) => g.nodes[i].name)).toEqual(['a.conv1', 'input']);
    expect(node(g, 'b.add').inputs.map((i) => g.nodes[i].name)).toEqual(['b.conv1', 'b.downsample.0']);
    expect(node(g, 'b.add').outputShape).toEqual([16, 4, 4]);
  });

  it('concatenates branches; an empty branch is the input', () => {
    const yaml = `input: [8, 8, 8]
layers:
  - concat:
      name: cat
      branches:
        - []
        - [{conv: {name: a, out: 4, kernel: 1}}]
        - [{maxpool: {name: p, kernel: 3, stride: 1, padding: 1}}, {conv: {name: b, out: 2, kernel: 1}}]
`;
    const g = build(yaml);
    expect(node(g, 'cat').inputs.map((i) => g.nodes[i].name)).toEqual(['input', 'a', 'b']);
    expect(node(g, 'cat').outputShape).toEqual([14, 8, 8]);
  });

  it('marks extra outputs; the chain continues from what the head read', () => {
    const yaml = `input: [8, 8, 8]
params: {aux: true}
layers:
  - conv: {name: trunk, out: 8, kernel: 1}
  - sequential: {name: head, if: "\${aux}", output: true, layers: [global_avgpool, flatten, {linear: {out: 3}}]}
  - relu: {name: after}
`;
    const g = build(yaml);
    expect(node(g, 'after').inputs).toEqual([node(g, 'trunk').id]);
    expect(g.outputs.map((i) => g.nodes[i].name)).toEqual(['after', 'head.2']);
    expect(build(yaml, { set: { aux: false } }).outputs).toHaveLength(1);
  });

  it('resolves inputs from the innermost scope outwards', () => {
    const yaml = `input: [4, 8, 8]
blocks:
  b:
    layers:
      - relu: {name: x}
      - relu: {name: y}
      - add: {inputs: [x, y]}
layers:
  - relu: {name: x}
  - b: {name: blk}
  - add: {name: top, inputs: [x, blk.y]}
`;
    const g = build(yaml);
    expect(node(g, 'blk.add').inputs.map((i) => g.nodes[i].name)).toEqual(['blk.x', 'blk.y']);
    expect(node(g, 'top').inputs.map((i) => g.nodes[i].name)).toEqual(['x', 'blk.y']);
  });

  it('applies presets, then --set, and derived params follow', () => {
    const yaml =
      'input: [3, 8, 8]\nparams: {width: 4, double: "${width * 2}"}\npresets: {wide: {width: 16}}\nlayers:\n  - conv: {out: "${double}", kernel: 1}\n';
    expect(build(yaml).nodes[1].outputShape[0]).toBe(8);
    expect(build(yaml, { preset: 'wide' }).nodes[1].outputShape[0]).toBe(32);
    expect(build(yaml, { preset: 'wide', set: { width: 1 } }).nodes[1].outputShape[0]).toBe(2);
    expect(build(yaml, { preset: 'wide' }).name).toBe('wide');
    expect(() => build(yaml, { preset: 'narrow' })).toThrow("no preset 'narrow'");
  });

  it('takes the input shape from the options over the file', () => {
    const g = build('input: [3, 8, 8]\nlayers: [{conv: {out: 2, kernel: 3}}]\n', { input: [3, 32, 32] });
    expect(g.nodes[1].outputShape).toEqual([2, 30, 30]);
  });

  it('returns the expect section beside the graph, never inside it', () => {
    const yaml = 'input: [3, 8, 8]\nlayers: [relu]\n';
    const { graph, expectations } = buildModel(`${yaml}expect: {params: 0}\n`, { file: 'm.yaml' });
    expect(expectations).toHaveLength(1);
    expect(expectations![0].items).toMatchObject([{ metric: 'params', value: 0 }]);
    expect(Object.keys(graph)).not.toContain('expectations');
    expect(buildModel(yaml, { file: 'm.yaml' }).expectations).toBeUndefined();
    expect(buildGraph(`${yaml}expect: {params: 0}\n`, { file: 'm.yaml' })).toEqual(graph);
  });

  it('throws a ModelError with every problem, sorted by line', () => {
    try {
      build('input: [3, 8, 8]\nlayers:\n  - nope\n  - conv: {kernel: 3}\n  - relu: {bogus: 1}\n');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ModelError);
      expect((e as ModelError).diagnostics.map((d) => d.pos.line)).toEqual([3, 4, 5]);
    }
  });
});

describe('scale', () => {
  // Its speed is measured in `npm run bench`, not asserted here.
  it('builds a generated 2,000-layer file', () => {
    const lines = ['name: long', 'input: [16, 32, 32]', 'layers:'];
    for (let i = 0; i < 500; i++) {
      lines.push(`  - conv: {name: c${i}, out: 16, kernel: 3, padding: 1}`, `  - batchnorm: {name: b${i}}`, `  - relu: {name: r${i}}`);
      lines.push(i > 0 ? `  - add: {name: a${i}, inputs: [r${i}, a${i - 1}]}` : `  - add: {name: a${i}, inputs: [r${i}, input]}`);
    }
    const text = `${lines.join('\n')}\n`;
    const g = build(text);
    expect(g.nodes).toHaveLength(2001);
    expect(node(g, 'a499').inputs.map((i) => g.nodes[i].name)).toEqual(['r499', 'a498']);
  });
});
