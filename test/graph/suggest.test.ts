import { describe, expect, it } from 'vitest';
import { closeMatches } from '../../src/graph/suggest.js';
import { layerKinds } from '../../src/layers/index.js';

// A fixed vocabulary (the kinds cnnscope had when these cases were written), not the live
// registry: adding a kind must not change what these cases expect.
const KINDS = [
  'conv',
  'linear',
  'maxpool',
  'avgpool',
  'adaptive_avgpool',
  'global_avgpool',
  'batchnorm',
  'lrn',
  'relu',
  'dropout',
  'flatten',
  'softmax',
  'identity',
  'add',
  'concat',
];
const closeKinds = (name: string) => closeMatches(name, KINDS);

describe('closeMatches', () => {
  it('suggests close names, nearest first', () => {
    expect(closeKinds('maxpool2d')).toEqual(['maxpool']);
    expect(closeKinds('conv2d')).toEqual(['conv']);
    expect(closeKinds('BatchNorm2d')).toEqual(['batchnorm']);
    expect(closeKinds('avg_pool')).toEqual(['avgpool']);
    expect(closeKinds('global_avg_pool')).toEqual(['global_avgpool']);
    expect(closeKinds('max')).toEqual(['maxpool']);
    // Both start with "con": at distances 1 (conv) and 3 (concat). Not lrn, 2 edits away.
    expect(closeKinds('con')).toEqual(['conv', 'concat']);
    expect(closeKinds('relu6')).toEqual(['relu']);
    expect(closeKinds('Relu')).toEqual(['relu']);
    // Short names allow 1 edit: "ad" is add, "bn" is nothing (2 edits from lrn).
    expect(closeKinds('ad')).toEqual(['add']);
    expect(closeKinds('bn')).toEqual([]);
    // Longer names allow 2, sorted by distance then name.
    expect(closeKinds('avgpol')).toEqual(['avgpool']);
    expect(closeKinds('maxpol2')).toEqual(['maxpool']);
    expect(closeKinds('sigmoid')).toEqual([]);
  });

  it('suggests every registered kind first for its name in another case', () => {
    const kinds = Object.keys(layerKinds);
    for (const kind of kinds) expect(closeMatches(kind.toUpperCase(), kinds)[0]).toBe(kind);
  });
});
