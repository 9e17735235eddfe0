/** A model file's header (src/graph/header.ts): read without building, through the located parser. */
import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../src/bundled.js';
import { readModelHeader } from '../../src/graph/header.js';

describe('readModelHeader', () => {
  it('reads the name, family, source and the keys of presets and params', () => {
    const text =
      'name: net\nfamily: Nets\nsource: a paper\nparams: {width: 4, depth: 2}\npresets:\n  small: {width: 2}\n  big: {width: 8}\nlayers: []\n';
    expect(readModelHeader(text)).toEqual({
      name: 'net',
      family: 'Nets',
      source: 'a paper',
      presets: ['small', 'big'],
      params: ['width', 'depth'],
    });
  });

  it('leaves out what is absent or not text, and gives nothing for a file that is no YAML map', () => {
    expect(readModelHeader('name: 7\npresets: [a]\nlayers: []\n')).toEqual({ presets: [], params: [] });
    expect(readModelHeader('- a\n- b\n')).toBeUndefined();
    expect(readModelHeader('name: [\n')).toBeUndefined();
  });

  it('lists the bundled models by file and preset, with family and source', () => {
    const resnet50 = bundledModels().find((m) => m.name === 'resnet50');
    expect(resnet50).toMatchObject({ preset: 'resnet50', family: 'ResNet' });
    expect(resnet50!.path).toMatch(/architectures[/\\]resnet\.yaml$/);
    expect(bundledModels().find((m) => m.name === 'lecture/bottleneck')).toMatchObject({
      path: expect.stringMatching(/bottleneck\.yaml$/),
    });
  });
});
