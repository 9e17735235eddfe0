/**
 * identity: passes its input through unchanged (PyTorch's nn.Identity). Any shape; no tensors.
 */
import { elementwise } from './elementwise.js';

export const identity = elementwise({
  kind: 'identity',
  summary: 'passes the input through (nn.Identity)',
  display: { category: 'reshape' },
  flopsPerElement: 0,
  docs: { flops: '0' },
  /** A copy: outputs never alias inputs. */
  map(src, dst) {
    dst.set(src);
  },
});
