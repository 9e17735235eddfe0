/**
 * The renderers and the diff stay linear in the number of layers (issue 10: copying a list on
 * every append made `graph` and `diff` take seconds on 40k layers). Checked by counting work, not
 * by timing: every step of an array iterator (spread, for-of, destructuring) is counted while the
 * renderer runs, on a chain of 500 layers and on one of 2,000. Linear work grows 4 times, quadratic 16.
 * bench/run.js measures the times.
 */
import { describe, expect, it } from 'vitest';
import { diffReports } from '../../src/analysis/diff.js';
import { analyze, buildGraph, type Graph, type Report } from '../../src/index.js';
import { renderDiffCsv, renderDiffMarkdown, renderDiffTable } from '../../src/report/diff.js';
import { renderDot } from '../../src/report/dot.js';
import { graphView } from '../../src/report/graph-view.js';
import { renderMermaid } from '../../src/report/mermaid.js';
import { renderJson } from '../../src/report/json.js';
import { renderTable } from '../../src/report/table.js';
import { Chalk } from 'chalk';
import { iteratorSteps } from '../iterator-steps.js';

/** A chain of residual blocks, 4 layers each, as bench/run.js generates them. */
function chain(layers: number): string {
  const lines = ['name: chain', 'input: [4, 8, 8]', 'layers:'];
  for (let i = 0; i < layers / 4; i++) {
    lines.push(
      `  - conv: {name: c${i}, out: 4, kernel: 3, padding: 1, bias: false}`,
      `  - batchnorm: {name: b${i}}`,
      `  - relu: {name: r${i}}`,
    );
    lines.push(`  - add: {name: a${i}, inputs: [r${i}, ${i === 0 ? 'input' : `a${i - 1}`}]}`);
  }
  return `${lines.join('\n')}\n`;
}

const models = [500, 2000].map((n) => {
  const graph = buildGraph(chain(n), { file: 'chain.yaml' });
  return { graph, report: analyze(graph) };
});

/** How much more work `fn` does on 4 times the layers. */
function growth(fn: (graph: Graph, report: Report) => void): number {
  const [small, large] = models as [(typeof models)[number], (typeof models)[number]];
  return iteratorSteps(() => fn(large.graph, large.report)) / iteratorSteps(() => fn(small.graph, small.report));
}

describe('linear work', () => {
  it('counts the steps of a spread (the instrument works)', () => {
    const lists = new Map<string, number[]>();
    const quadratic = (n: number) =>
      iteratorSteps(() => {
        for (let i = 0; i < n; i++) lists.set('k', [...(lists.get('k') ?? []), i]);
      });
    lists.clear();
    const a = quadratic(100);
    lists.clear();
    expect(quadratic(400) / a).toBeGreaterThan(12);
  });

  it('in the graph view, DOT and Mermaid', () => {
    expect(growth((g, r) => graphView(g, r))).toBeLessThan(6);
    expect(growth((g, r) => renderDot(graphView(g, r)))).toBeLessThan(6);
    expect(growth((g, r) => renderMermaid(graphView(g, r)))).toBeLessThan(6);
  });

  it('in a diff of many removed layers, and its renderers', () => {
    const tiny = analyze(buildGraph(chain(4), { file: 'tiny.yaml' }));
    expect(growth((_g, r) => diffReports(r, tiny))).toBeLessThan(6);
    expect(growth((_g, r) => diffReports(tiny, r))).toBeLessThan(6);
    expect(growth((_g, r) => renderDiffMarkdown(diffReports(r, tiny)))).toBeLessThan(6);
    expect(growth((_g, r) => renderDiffCsv(diffReports(r, tiny)))).toBeLessThan(6);
    expect(growth((_g, r) => renderDiffTable(diffReports(r, tiny), new Chalk({ level: 1 })))).toBeLessThan(6);
  });

  it('in the table and the JSON report (cli-table3 compared every cell with every cell above it)', () => {
    expect(growth((_g, r) => renderTable(r, new Chalk({ level: 1 }), { byKind: true }))).toBeLessThan(6);
    expect(growth((_g, r) => renderJson(r))).toBeLessThan(6);
  });
});
