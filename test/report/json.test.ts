/** renderJson writes the text it wrote before it was made to append and to indent bytes (the reference below is that version). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtText, isPlainData, jsonChunks, renderJson } from '../../src/report/json.js';

const PIECE_DEPTH = 2;

function reference(value: unknown): string {
  return `${pieces(value, '', 0)}\n`;
}

function pieces(value: unknown, indent: string, depth: number): string {
  if (depth >= PIECE_DEPTH || value === null || typeof value !== 'object') return stringify(value, indent);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0 || value.every((v) => v === null || typeof v !== 'object')) return stringify(value, indent);
    let out = '[\n';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',\n';
      if (!(i in value)) continue;
      out += inner + pieces(value[i], inner, depth + 1);
    }
    return `${out}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pieces(v, inner, depth + 1)}`).join(',\n')}\n${indent}}`;
}

function stringify(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    return `[\n${value.map((v) => inner + stringify(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringify(v, inner)}`).join(',\n')}\n${indent}}`;
}

describe('renderJson', () => {
  it('writes what the reference writes, holes, undefined and odd numbers included', () => {
    const leaf = fc.oneof(fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('sparse'), tie('object')),
      array: fc.array(tie('tree'), { maxLength: 5 }),
      sparse: fc.sparseArray(tie('tree'), { maxLength: 6 }),
      object: fc.dictionary(fc.string({ maxLength: 4 }), tie('tree'), { maxKeys: 5 }),
    }));
    fc.assert(
      fc.property(tree, (v) => renderJson(v) === reference(v)),
      { numRuns: 3000 },
    );
    // Plain data only: what the engine's own writer writes (with each list of scalars put on one line).
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('[\n', '"]', '\\', ' [1,\n2] ', '\u2028'));
    const scalar = fc.oneof(fc.double(), fc.integer(), text, fc.boolean(), fc.constant(null));
    const { plain } = fc.letrec((tie) => ({
      plain: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('record')),
      list: fc.array(tie('plain'), { maxLength: 5 }),
      record: fc.dictionary(text, tie('plain'), { maxKeys: 5 }),
    }));
    fc.assert(
      fc.property(plain, (v) => renderJson(v) === reference(v)),
      { numRuns: 3000 },
    );
    // Containers below the top two levels (indented by the byte writer) under every indentation,
    // and the chunks: UTF-8 split only between pieces, so each decodes on its own.
    fc.assert(
      fc.property(plain, fc.nat({ max: 6 }), (v, n) => {
        const nested = n === 0 ? v : { a: [{ b: v }], c: Array.from({ length: n }, () => v) };
        const chunks = [...jsonChunks(nested)];
        return (
          isPlainData(nested) &&
          chunks.map((c) => new TextDecoder('utf-8', { fatal: true }).decode(c)).join('') === `${builtText(nested, '')}\n` &&
          renderJson(nested) === reference(nested)
        );
      }),
      { numRuns: 3000 },
    );
    // Chunks of 64 KiB and up to a run of entries more for a long report, each ending between two pieces.
    const long = {
      layers: Array.from({ length: 5000 }, (_, i) => ({ name: `l\u00e9${i}`, shape: [1, i, 3], nested: { deep: [{ x: i }] } })),
    };
    const chunks = [...jsonChunks(long)];
    expect(chunks.length).toBeGreaterThan(5);
    expect(Math.max(...chunks.slice(0, -1).map((c) => c.length))).toBeLessThan(200_000);
    expect(chunks.map((c) => new TextDecoder('utf-8', { fatal: true }).decode(c)).join('')).toBe(reference(long));
    expect(renderJson({ a: [1, -0, NaN, Infinity, 'x'], b: [[1, 2], { c: [] }], d: {} })).toBe(
      reference({ a: [1, -0, NaN, Infinity, 'x'], b: [[1, 2], { c: [] }], d: {} }),
    );
  });
});
