/**
 * The operator registry: each ONNX operator type mapped to its converter, the groups one file each
 * (as src/layers/ holds one file per layer kind). An operator not here is refused by name.
 */
import type { OpConverter, OpConverters } from '../context.js';
import { ACTIVATION_OPS } from './activations.js';
import { CONV_OPS } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { JOIN_OPS } from './joins.js';
import { NORMALIZATION_OPS } from './normalization.js';
import { POOLING_OPS } from './pooling.js';
import { RESHAPE_OPS } from './reshape.js';
import { RESIZE_OPS } from './resize.js';
import { SHAPE_OPS } from './shape.js';

const GROUPS: readonly OpConverters[] = [
  SHAPE_OPS,
  CONV_OPS,
  ELEMENTWISE_OPS,
  ACTIVATION_OPS,
  NORMALIZATION_OPS,
  POOLING_OPS,
  JOIN_OPS,
  RESHAPE_OPS,
  RESIZE_OPS,
];

const CONVERTERS = new Map<string, OpConverter>(GROUPS.flatMap((g) => Object.entries(g)));

/** The operators mapped (docs/onnx.md), in case-insensitive alphabetical order, as messages list them. */
export const SUPPORTED_OPS: readonly string[] = [...CONVERTERS.keys()].sort((a, b) => {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
});

export function findConverter(opType: string): OpConverter | undefined {
  return CONVERTERS.get(opType);
}
