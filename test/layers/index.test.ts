import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findKind, layerKinds } from '../../src/layers/index.js';

const srcDir = new URL('../../src/layers/', import.meta.url);
const testDir = new URL('./', import.meta.url);
// Files of src/layers/ that are not kinds: the contract, argument specs, shared helpers, the registry, docs, the ONNX emitter.
const infrastructure = new Set(['kind.ts', 'args.ts', 'window.ts', 'elementwise.ts', 'init.ts', 'index.ts', 'docs.ts', 'onnx.ts']);
const kindFiles = readdirSync(srcDir)
  .filter((f) => f.endsWith('.ts') && !infrastructure.has(f))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

describe('layer registry', () => {
  it('registers exactly one kind per file in src/layers/', () => {
    expect(Object.keys(layerKinds).sort()).toEqual(kindFiles);
  });

  it("registers each file's exported kind under the file's name", async () => {
    for (const file of kindFiles) {
      const mod = (await import(new URL(`${file}.js`, srcDir).href)) as Record<string, unknown>;
      expect(mod[file], `${file}.ts exports ${file}`).toBe(layerKinds[file]);
      expect(layerKinds[file].kind).toBe(file);
      expect(layerKinds[file].summary).not.toBe('');
      expect(layerKinds[file].docs?.flops, `${file} documents its FLOPs`).toBeTruthy();
      expect(typeof layerKinds[file].onnx, `${file} has its ONNX form (cnnscope export)`).toBe('function');
      for (const [name, spec] of Object.entries(layerKinds[file].args)) expect(spec.doc, `${file}.${name} is documented`).not.toBe('');
    }
  });

  it('has a test file for every kind', () => {
    const tests = new Set(readdirSync(testDir));
    expect(kindFiles.filter((k) => !tests.has(`${k}.test.ts`))).toEqual([]);
  });

  it('finds kinds by exact name only', () => {
    expect(findKind('conv')).toBe(layerKinds.conv);
    expect(findKind('Conv')).toBeUndefined();
    // Not inherited object keys.
    expect(findKind('constructor')).toBeUndefined();
    expect(findKind('toString')).toBeUndefined();
  });
});
