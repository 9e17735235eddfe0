/** The diff (a pure function over two reports) and its --fail-on conditions. */
import { describe, expect, it } from 'vitest';
import { change, conditionFails, DiffError, diffReports, parseConditions } from '../../src/analysis/diff.js';
import { analyze, buildGraph, loadBundled } from '../../src/index.js';

const model = (layers: string) => analyze(buildGraph(`name: m\ninput: [3, 8, 8]\nlayers:\n${layers}`, { file: 'm.yaml' }));

describe('diffReports', () => {
  it('matches layers by name: added, removed and changed, in order', () => {
    const a = model(
      `  - conv: {name: a, out: 4, kernel: 3}\n  - relu: {name: r}\n  - conv: {name: gone, out: 4, kernel: 1}\n  - conv: {name: c, out: 2, kernel: 1}\n`,
    );
    const b = model(
      `  - conv: {name: a, out: 8, kernel: 3}\n  - relu: {name: r}\n  - conv: {name: new, out: 4, kernel: 1}\n  - conv: {name: c, out: 2, kernel: 1}\n`,
    );
    const d = diffReports(a, b);
    // c reads 4 channels on both sides (from another layer): unchanged, so not listed.
    expect(d.layers.map((r) => `${r.status} ${r.name}`)).toEqual(['changed a', 'changed r', 'removed gone', 'added new']);
    expect(d.summary).toEqual({ added: 1, removed: 1, changed: 2, unchanged: 1 });
    expect(d.layers[0]).toMatchObject({ changed: ['output_shape', 'params', 'macs', 'flops'], delta: { params: 4 * 27 + 4 } });
    expect(d.layers[1].changed).toEqual(['output_shape', 'flops']);
    expect(d.layers[2]).toMatchObject({ a: { kind: 'conv', params: 20 }, delta: { params: -20 } });
    expect(d.layers[2].b).toBeUndefined();
    expect(d.layers[3].a).toBeUndefined();
    expect(d.a.label).toBe('m');
  });

  it('gives identical reports an empty diff with zero changes', () => {
    const r = analyze(loadBundled('alexnet'));
    const d = diffReports(r, r);
    expect(d.layers).toEqual([]);
    expect(d.summary).toEqual({ added: 0, removed: 0, changed: 0, unchanged: r.layers.length });
    for (const c of Object.values(d.totals)) expect(c).toMatchObject({ change: 0, relative: 0 });
  });

  it('compares folded blocks when asked, and refuses without them', () => {
    const a = analyze(loadBundled('resnet18'), { depth: 1 });
    const b = analyze(loadBundled('resnet34'), { depth: 1 });
    const d = diffReports(a, b, { blocks: true, labels: ['18', '34'] });
    expect(d.rows).toBe('blocks');
    expect(d.layers.map((r) => r.name)).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
    expect([d.a.label, d.b.label]).toEqual(['18', '34']);
    expect(() => diffReports(analyze(loadBundled('resnet18')), b, { blocks: true })).toThrow(DiffError);
  });

  it('computes relative changes, with null when A is 0', () => {
    expect(change(200, 250)).toEqual({ a: 200, b: 250, change: 50, relative: 0.25 });
    expect(change(0, 0)).toEqual({ a: 0, b: 0, change: 0, relative: 0 });
    expect(change(0, 5)).toEqual({ a: 0, b: 5, change: 5, relative: null });
  });
});

describe('parseConditions', () => {
  it('reads metrics, operators, signs, percentages and units', () => {
    expect(parseConditions(['params>+5%'])).toEqual([{ text: 'params>+5%', metric: 'params', op: '>', amount: 5, relative: true }]);
    expect(parseConditions(['macs>+1G, params<-5%', 'peak_activation_bytes >= 10 MiB'])).toEqual([
      { text: 'macs>+1G', metric: 'macs', op: '>', amount: 1e9, relative: false },
      { text: 'params<-5%', metric: 'params', op: '<', amount: -5, relative: true },
      { text: 'peak_activation_bytes>=+10MiB', metric: 'peak_activation_bytes', op: '>=', amount: 10 * 2 ** 20, relative: false },
    ]);
    expect(parseConditions(['flops<=2.5k'])[0]).toMatchObject({ text: 'flops<=+2.5k', amount: 2500 });
    expect(parseConditions(['layers>0'])[0]).toMatchObject({ text: 'layers>+0', amount: 0 });
    expect(parseConditions(['weight_bytes<-512B'])[0]).toMatchObject({ text: 'weight_bytes<-512B', amount: -512, relative: false });
    expect(parseConditions([])).toEqual([]);
  });

  it('refuses malformed conditions', () => {
    for (const bad of [
      '',
      'params',
      'params>',
      'params>>5',
      'params=5',
      'params>5x',
      'params>5%%',
      'params>5%B',
      'macs>1Q',
      'nope>5%',
      'PARAMS>5%',
      'params>+5%,',
      'params>+-5%',
    ]) {
      expect(() => parseConditions([bad]), bad).toThrow(DiffError);
    }
  });

  it('compares the change, relative changes exactly', () => {
    const [gt5, ltm5, gt0abs] = parseConditions(['params>+5%,params<-5%,params>0']);
    expect(conditionFails(gt5, change(100, 105))).toBe(false); // exactly +5% is not above it
    expect(conditionFails(gt5, change(100, 106))).toBe(true);
    expect(conditionFails(ltm5, change(100, 95))).toBe(false);
    expect(conditionFails(ltm5, change(100, 94))).toBe(true);
    expect(conditionFails(gt5, change(0, 1))).toBe(true); // from nothing: above any percentage
    expect(conditionFails(gt0abs, change(3, 3))).toBe(false);
    expect(conditionFails(gt0abs, change(3, 4))).toBe(true);
    // 0.1 + 0.2 style rounding does not matter: 7% of 100 is exactly 7.
    expect(conditionFails(parseConditions(['params>=+7%'])[0], change(100, 107))).toBe(true);
  });
});

describe('--fail-on amounts share the budget units', () => {
  it('refuses decimal byte units as ambiguous and bytes on counts', () => {
    expect(() => parseConditions(['weight_bytes>+10MB'])).toThrow(/'10MB' is ambiguous for bytes/);
    expect(() => parseConditions(['params>+1MiB'])).toThrow(/params is a count, not bytes/);
  });
});
