/**
 * Binary inputs of `run`: safetensors weights and .npy inputs for a tiny model
 * (architectures/lecture/padding_stride.yaml: one 3x3 conv, 1 -> 1 channel, on [1, 5, 5]).
 * Each starts as a valid file and is edited: header fields replaced (dtype, shape, data_offsets,
 * extra or aliased entries, the npy descr, order, shape and version), the length field changed,
 * bytes flipped, truncated or appended.
 */
import fc from 'fast-check';
import { encodeNpy } from '../../src/execute/npy.js';
import { encodeSafetensors } from '../../src/execute/safetensors.js';

export const BINARY_MODEL = 'architectures/lecture/padding_stride.yaml';

const WEIGHTS = { 'conv.weight': [1, 1, 3, 3], 'conv.bias': [1] } as const;

/** A field value that a reader must refuse or take as it is. */
const hostileJson = fc.constantFrom<unknown>(
  0,
  -1,
  1,
  2.5,
  1e300,
  2 ** 53,
  2 ** 64,
  'F32',
  'F16',
  'BF16',
  'I64',
  'F64',
  'U8',
  'X',
  null,
  true,
  [],
  [0],
  [0, 0],
  [0, 36],
  [36, 40],
  [0, 2 ** 60],
  [-4, 0],
  [1, 1, 3, 3],
  [9],
  [3, 3],
  [0, 0, 0],
  {},
  '__proto__',
  'constructor',
);

export type WeightsEdit =
  | { readonly op: 'field'; readonly key: number; readonly field: 'dtype' | 'shape' | 'data_offsets'; readonly value: unknown }
  | { readonly op: 'entry'; readonly name: string; readonly value: unknown }
  | { readonly op: 'alias' }
  | { readonly op: 'length'; readonly delta: number }
  | { readonly op: 'flip'; readonly at: number; readonly bits: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'append'; readonly bytes: number };

const weightsEdit: fc.Arbitrary<WeightsEdit> = fc.oneof(
  fc.record({
    op: fc.constant('field' as const),
    key: fc.nat({ max: 1 }),
    field: fc.constantFrom('dtype' as const, 'shape' as const, 'data_offsets' as const),
    value: hostileJson,
  }),
  fc.record({
    op: fc.constant('entry' as const),
    name: fc.constantFrom('__metadata__', '__proto__', 'constructor', 'extra.weight', 'conv.weight'),
    value: fc.oneof(hostileJson, fc.constant({ dtype: 'F32', shape: [1], data_offsets: [0, 4] })),
  }),
  fc.constant({ op: 'alias' as const }),
  fc.record({ op: fc.constant('length' as const), delta: fc.constantFrom(-100, -8, -1, 1, 8, 1000, 2 ** 40) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat({ max: 10_000 }), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat({ max: 10_000 }) }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.constantFrom(1, 4, 100) }),
);

export const weightsFile: fc.Arbitrary<{ readonly edits: readonly WeightsEdit[]; readonly bytes: Uint8Array }> = fc
  .record({
    values: fc.array(fc.float({ noNaN: false }), { minLength: 10, maxLength: 10 }),
    dtype: fc.constantFrom('F32', 'F16', 'BF16'),
    edits: fc.array(weightsEdit, { maxLength: 3 }),
  })
  .map(({ values, dtype, edits }) => ({ edits, bytes: applyWeightsEdits(values, dtype, edits) }));

function applyWeightsEdits(values: number[], dtype: string, edits: readonly WeightsEdit[]): Uint8Array {
  const data = Float32Array.from(values);
  let file = encodeSafetensors({
    'conv.weight': { dtype, shape: WEIGHTS['conv.weight'], data: data.subarray(0, 9) },
    'conv.bias': { dtype, shape: WEIGHTS['conv.bias'], data: data.subarray(9) },
  });
  for (const e of edits) {
    if (e.op === 'flip') {
      if (file.length > 0) file[e.at % file.length] ^= e.bits;
    } else if (e.op === 'truncate') file = file.subarray(0, e.at % (file.length + 1));
    else if (e.op === 'append') file = Buffer.concat([file, Buffer.alloc(e.bytes, 0x3f)]);
    else if (e.op === 'length') {
      if (file.length >= 8) {
        const n = file.readBigUInt64LE(0) + BigInt(e.delta);
        file.writeBigUInt64LE(n < 0n ? 0n : n & 0xffffffffffffffffn, 0);
      }
    } else file = editHeader(file, e);
  }
  return file;
}

function editHeader(file: Buffer, e: Extract<WeightsEdit, { op: 'field' | 'entry' | 'alias' }>): Buffer {
  if (file.length < 8) return file;
  const n = Number(file.readBigUInt64LE(0));
  if (8 + n > file.length) return file;
  let header: Record<string, Record<string, unknown>>;
  try {
    header = JSON.parse(file.subarray(8, 8 + n).toString('utf8'));
  } catch {
    return file;
  }
  if (!header || typeof header !== 'object') return file;
  const keys = Object.keys(header).filter((k) => k !== '__metadata__');
  if (e.op === 'field') {
    const entry = header[keys[e.key % Math.max(1, keys.length)]];
    if (entry && typeof entry === 'object') entry[e.field] = e.value;
  } else if (e.op === 'entry') {
    Object.defineProperty(header, e.name, { value: e.value, enumerable: true, configurable: true, writable: true });
  } else {
    // Two entries over the same bytes: the bias reads the first 4 bytes of the weight.
    const bias = header['conv.bias'];
    const offsets = bias?.['data_offsets'];
    if (bias && Array.isArray(offsets) && offsets.length === 2) bias['data_offsets'] = [0, Number(offsets[1]) - Number(offsets[0])];
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, file.subarray(8 + n)]);
}

export type NpyEdit =
  | { readonly op: 'header'; readonly text: string }
  | { readonly op: 'version'; readonly major: number }
  | { readonly op: 'flip'; readonly at: number; readonly bits: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'append'; readonly bytes: number };

const NPY_HEADERS = [
  "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 5, 5), }",
  "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 5, 5), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 5, 5), }",
  "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 5, 5), }",
  "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 1, 5, 5), }",
  "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 5, 5), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 5, 5), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (25,), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 5, 5), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 99999999999, 99999999999), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 5, 5), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (1.5, 5, 5), }",
  "{'descr': '<f4', 'shape': (1, 1, 5, 5), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 5, 5), 'shape': (1, 2), }",
  'not a dict',
  '',
];

const npyEdit: fc.Arbitrary<NpyEdit> = fc.oneof(
  fc.record({ op: fc.constant('header' as const), text: fc.constantFrom(...NPY_HEADERS) }),
  fc.record({ op: fc.constant('version' as const), major: fc.constantFrom(0, 1, 2, 3, 4, 255) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat({ max: 300 }), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat({ max: 300 }) }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.constantFrom(1, 4, 100, 4096) }),
);

export const npyFile: fc.Arbitrary<{ readonly edits: readonly NpyEdit[]; readonly bytes: Uint8Array }> = fc
  .record({ values: fc.array(fc.float(), { minLength: 25, maxLength: 25 }), edits: fc.array(npyEdit, { maxLength: 3 }) })
  .map(({ values, edits }) => {
    let file = encodeNpy({ shape: [1, 1, 5, 5], data: Float32Array.from(values) });
    for (const e of edits) {
      if (e.op === 'flip') {
        if (file.length > 0) file[e.at % file.length] ^= e.bits;
      } else if (e.op === 'truncate') file = file.subarray(0, e.at % (file.length + 1));
      else if (e.op === 'append') file = Buffer.concat([file, Buffer.alloc(e.bytes)]);
      else if (e.op === 'version') {
        if (file.length > 6) file[6] = e.major;
      } else {
        // A new header over the same data (100 bytes of float32), padded as NumPy pads.
        const data = file.length >= 128 ? file.subarray(128) : Buffer.alloc(0);
        let text = e.text;
        text += ' '.repeat((64 - ((10 + text.length + 1) % 64)) % 64) + '\n';
        const head = Buffer.alloc(10);
        Buffer.from([0x93, ...Buffer.from('NUMPY')]).copy(head);
        head[6] = 1;
        head.writeUInt16LE(text.length, 8);
        file = Buffer.concat([head, Buffer.from(text, 'latin1'), data]);
      }
    }
    return { edits, bytes: file };
  });
