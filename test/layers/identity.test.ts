import { describe, expect, it } from 'vitest';
import { identity } from '../../src/layers/identity.js';
import { apply } from './helpers.js';

describe('identity', () => {
  it('passes any shape through for free', () => {
    for (const shape of [[64, 56, 56], [10]]) {
      const r = apply(identity, {}, [shape]);
      expect(r.output).toEqual(shape);
      expect(r.tensors).toEqual([]);
      expect(r.cost).toEqual({ macs: 0, flops: 0 });
      expect(r.field).toEqual({ type: 'pointwise' });
    }
  });
});
