/** The Markdown, CSV, DOT and Mermaid renderers and the graph view, on small cases. */
import { describe, expect, it } from 'vitest';
import { diffReports } from '../../src/analysis/diff.js';
import { analyze, buildGraph, loadBundled } from '../../src/index.js';
import { renderCsv } from '../../src/report/csv.js';
import { percentText, renderDiffCsv, renderDiffMarkdown } from '../../src/report/diff.js';
import { quote, renderDot } from '../../src/report/dot.js';
import { graphView } from '../../src/report/graph-view.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { code, csvField, mdTable, mdText } from '../../src/report/markup.js';
import { renderMermaid, text as mermaidText } from '../../src/report/mermaid.js';
import { compactNumber } from '../../src/report/units.js';

describe('CSV', () => {
  it('quotes by RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(12)).toBe('12');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('')).toBe('');
  });

  it('writes one row per layer, global fields marked', () => {
    const r = analyze(loadBundled('lecture/first_conv'));
    expect(renderCsv(r).split('\r\n')).toEqual([
      'name,kind,inputs,output_shape,params,trainable_params,buffers,macs,flops,activation_bytes,rf_size_h,rf_size_w,rf_stride_h,rf_stride_w,rf_padding_h,rf_padding_w',
      'conv,conv,input,1x64x224x224,1792,1792,0,86704128,176619520,12845056,3,3,1,1,1,1',
      'relu,relu,conv,1x64x224x224,0,0,0,0,3211264,12845056,3,3,1,1,1,1',
      '',
    ]);
    const fc = renderCsv(analyze(loadBundled('alexnet')))
      .trimEnd()
      .split('\r\n')
      .at(-1)!;
    expect(fc).toMatch(/^classifier\.6,linear,classifier\.5,1x1000,.*,global,global,global,global,global,global$/);
  });
});

describe('Markdown', () => {
  it('escapes text, table cells and code spans', () => {
    expect(mdText('my_net*v2 <b>')).toBe('my\\_net\\*v2 \\<b\\>');
    expect(code('layer1.0')).toBe('`layer1.0`');
    expect(code('a`b')).toBe('``a`b``');
    expect(mdTable(['A', 'B'], ['left', 'right'], [['x|y', 'two\nlines']])).toEqual(['| A | B |', '|:---|---:|', '| x\\|y | two lines |']);
  });

  it('renders a header, the totals and a layers table', () => {
    const md = renderMarkdown(analyze(loadBundled('lecture/grouped')));
    expect(md).toContain('## lecture-grouped\n\nInput [1, 256, 56, 56] · fp32 · batch 1 · 1 layer\n');
    expect(md).toContain('| Params | 18,432 (18,432 trainable) |');
    expect(md).toContain('### Layers\n\n| Layer | Kind | Output shape | Params | MACs | Activations | RF /stride |\n');
    expect(md).toContain('| `grouped` | conv | [1, 256, 56, 56] | 18,432 | 57.8 MMAC | 3.06 MiB | 3 /1 |');
    expect(renderMarkdown(analyze(loadBundled('lecture/grouped')), { level: 3 })).toMatch(/^### lecture-grouped\n/);
  });
});

describe('diff renderers', () => {
  it('writes percentages with a sign, and `new` from nothing', () => {
    expect(percentText({ a: 100, b: 103, change: 3, relative: 0.03 })).toBe('+3.00%');
    expect(percentText({ a: 100, b: 97, change: -3, relative: -0.03 })).toBe('-3.00%');
    expect(percentText({ a: 1, b: 1, change: 0, relative: 0 })).toBe('0.00%');
    expect(percentText({ a: 1e6, b: 1e6 + 1, change: 1, relative: 1e-6 })).toBe('+<0.01%');
    expect(percentText({ a: 0, b: 1, change: 1, relative: null })).toBe('new');
  });

  it('keeps a short layer list open and folds a long one', () => {
    const a = analyze(loadBundled('resnet18'));
    const b = analyze(loadBundled('resnet34'));
    const d = diffReports(a, b);
    expect(renderDiffMarkdown(d)).toContain('<details>');
    expect(renderDiffMarkdown(d, { foldAfter: 1000 })).not.toContain('<details>');
    const csv = renderDiffCsv(d).split('\r\n');
    expect(csv[0]).toBe(
      'status,name,kind_a,kind_b,output_shape_a,output_shape_b,params_a,params_b,params_change,macs_a,macs_b,macs_change,flops_a,flops_b,flops_change',
    );
    expect(csv[1]).toMatch(/^added,layer1\.2\.conv1,,conv,,1x64x56x56,,36864,36864,/);
  });
});

describe('graph view, DOT and Mermaid', () => {
  const graph = buildGraph(
    [
      'name: v',
      'input: [4, 8, 8]',
      'layers:',
      '  - residual:',
      '      body: [{conv: {name: c, out: 4, kernel: 3, padding: 1, groups: 2, dilation: 1}}]',
      '  - concat: {name: cat, branches: [[{maxpool: {name: p, kernel: [3, 1], stride: [2, 1], padding: [1, 0]}}], [{avgpool: {name: q, kernel: [2, 1]}}]]}',
    ].join('\n'),
    { file: 'v.yaml' },
  );

  it('marks merge and branch points and window arguments', () => {
    const view = graphView(graph, analyze(graph));
    const byName = new Map(view.nodes.map((n) => [n.name, n]));
    expect(byName.get('input')).toMatchObject({ role: 'input', branch: true });
    expect(byName.get('c')).toMatchObject({ role: 'layer', detail: '3×3 g2', params: 4 * 2 * 9 + 4 });
    expect(byName.get('add')).toMatchObject({ role: 'merge', branch: true });
    expect(byName.get('p')!.detail).toBe('3×1 /2×1');
    expect(byName.get('q')!.detail).toBe('2×1 /2×1');
    expect(byName.get('cat')).toMatchObject({ role: 'merge', output: true, shape: [8, 4, 8] });
    expect(view.edges).toEqual([
      { from: 'n0', to: 'n1' },
      { from: 'n1', to: 'n2' },
      { from: 'n0', to: 'n2' },
      { from: 'n2', to: 'n3' },
      { from: 'n2', to: 'n4' },
      { from: 'n3', to: 'n5' },
      { from: 'n4', to: 'n5' },
    ]);
    expect(view.clusters).toEqual([]);
    const dot = renderDot(view);
    expect(dot).toContain('n5 [label="cat · concat · 8×4×8", shape=invtrapezium');
    expect(dot).toContain('n2 [label="add · 4×8×8", shape=ellipse');
    const mermaid = renderMermaid(view);
    expect(mermaid).toContain('n2(("add · 4×8×8"))');
    expect(mermaid).toContain('class n0,n2,n5 emphasis');
  });

  it('folds by depth with edges between blocks only, clusters for scopes of two or more nodes', () => {
    const g = loadBundled('resnet18');
    const view = graphView(g, analyze(g, { depth: 2 }), 2);
    expect(view.nodes.filter((n) => n.role === 'block').map((n) => n.name)).toEqual([
      'layer1.0',
      'layer1.1',
      'layer2.0',
      'layer2.1',
      'layer3.0',
      'layer3.1',
      'layer4.0',
      'layer4.1',
    ]);
    expect(view.clusters.map((c) => `${c.name}:${c.label}:${c.kind}`)).toEqual([
      'layer1:layer1:stage',
      'layer2:layer2:stage',
      'layer3:layer3:stage',
      'layer4:layer4:stage',
    ]);
    expect(view.nodes.find((n) => n.name === 'layer2.1')).toMatchObject({ label: '1', cluster: 'layer2', layers: 7 });
    expect(view.edges).toHaveLength(view.nodes.length - 1); // a chain once folded
    expect(() => graphView(g, analyze(g), 2)).toThrow(/depth/);
  });

  it('quotes DOT and Mermaid text', () => {
    expect(quote('a "b" \\ c\nd')).toBe('"a \\"b\\" \\\\ c\\nd"');
    expect(mermaidText('a "b" <c> #1')).toBe('a #quot;b#quot; #lt;c#gt; #35;1');
  });

  it('writes compact counts', () => {
    expect([0, 999, 1000, 9408, 25_557_032, 4_089_184_256].map(compactNumber)).toEqual(['0', '999', '1.00K', '9.41K', '25.6M', '4.09G']);
  });
});
