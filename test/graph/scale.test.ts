/**
 * Limits that hold in time and memory (issue 10), checked by structure and by counting work,
 * never by timing: a file of too many written nodes is refused on a token count before it is
 * composed, a bag keeps at most MAX_DIAGNOSTICS problems, and unresolved inputs cost one search
 * per name asked for.
 */
import { describe, expect, it } from 'vitest';
import { buildGraph, ModelError } from '../../src/index.js';
import { DiagnosticBag, MAX_DIAGNOSTICS } from '../../src/graph/diagnostics.js';
import { MAX_YAML_NODES, writtenNodesAtLeast } from '../../src/graph/source.js';
import { thrown } from '../thrown.js';
import { iteratorSteps } from '../iterator-steps.js';

describe('the written-node count', () => {
  /** The count of the whole text: a limit just below its length lexes it all and is never passed. */
  const count = (text: string) => writtenNodesAtLeast(text, text.length - 1);

  it('is a lower bound of the nodes, whatever the scalars say', () => {
    expect(count('a: [1, 2, 3]\nb:\n  - x\n  - {c: 1, d: 2}\n')).toBe(8);
    // Dashes, colons and commas inside scalars are text, not nodes.
    expect(count('a: "x: -, y"\nb: |\n  - c: d, e\n  - f\nc: x-y:z\n')).toBe(3);
    // A text shorter than the limit is not lexed at all.
    expect(writtenNodesAtLeast('- a\n- b\n', 100)).toBe(0);
  });

  it('stops as soon as it passes the limit', () => {
    expect(writtenNodesAtLeast('- a\n'.repeat(1000), 10)).toBe(11);
  });

  it('refuses a file of more nodes than the limit, with the message of the full count', () => {
    const text = `input: [1]\nlayers:\n${'  -\n'.repeat(MAX_YAML_NODES + 1)}`;
    const e = thrown(() => buildGraph(text, { file: 'big.yaml' }));
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).message).toBe(
      'big.yaml:1:1: error: the file expands to more than 1,000,000 YAML nodes (aliases included); refusing it',
    );
  });
});

describe('the diagnostic bag', () => {
  it('keeps the first MAX_DIAGNOSTICS problems and counts the rest', () => {
    const bag = new DiagnosticBag('m.yaml');
    for (let i = 0; i < MAX_DIAGNOSTICS + 5; i++) bag.error({ line: i + 1, col: 1 }, 'bad');
    expect(bag.count).toBe(MAX_DIAGNOSTICS + 5);
    const e = thrown(() => bag.throwIfAny()) as ModelError;
    expect(e.diagnostics).toHaveLength(MAX_DIAGNOSTICS);
    expect(e.omitted).toBe(5);
    expect(e.message.split('\n').at(-1)).toBe('... and 5 more problems');
  });

  it('counts the copies of one problem repeated many times on its one line', () => {
    const e = thrown(() => buildGraph('input: [1]\nlayers:\n  - relu: {repeat: 3000, foo: 1}\n', { file: 'r.yaml' })) as ModelError;
    expect(e.diagnostics).toHaveLength(1);
    expect(e.diagnostics[0].copies).toBe(2999);
    expect(e.omitted).toBe(0);
  });

  it('keeps at most MAX_DIAGNOSTICS distinct problems and counts the rest', () => {
    const text = `input: [1]\nlayers:\n${'  - relu: {foo: 1}\n'.repeat(3000)}`;
    const e = thrown(() => buildGraph(text, { file: 'r.yaml' })) as ModelError;
    expect(e.diagnostics).toHaveLength(MAX_DIAGNOSTICS);
    expect(e.diagnostics.length + e.omitted).toBe(3000);
    expect(e.message.split('\n').at(-1)).toBe('... and 2,000 more problems');
  });
});

describe('unresolved inputs', () => {
  it('cost one search per name asked for, not one per layer', () => {
    const model = (n: number) => `input: [1]\nlayers:\n  - relu: {repeat: ${n}}\n  - relu: {inputs: [nope], repeat: ${n}}\n`;
    const work = (n: number) => iteratorSteps(() => thrown(() => buildGraph(model(n), { file: 'u.yaml' })));
    // Linear work grows 4 times on 4 times the layers, quadratic 16.
    expect(work(800) / work(200)).toBeLessThan(6);
  });
});
