/**
 * identity: passes its input through unchanged (PyTorch's nn.Identity). Any shape; no tensors.
 */
import { elementwise } from './elementwise.js';
import { single } from './onnx.js';

export const identity = elementwise({
  kind: 'identity',
  summary: 'passes the input through (nn.Identity)',
  display: { category: 'reshape' },
  flopsPerElement: 0,
  /** Identity. */
  onnx(e) {
    single(e, 'Identity');
  },
  docs: { flops: '0' },
  /** A copy: outputs never alias inputs. */
  map(src, dst) {
    dst.set(src);
  },
});
