/**
 * NumPy .npy files (numpy.lib.format): the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), the
 * header length (2 bytes little-endian in 1.0, 4 in 2.0 and 3.0), a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), } padded with spaces and
 * a newline, then the data. Read: '<f4' (float32) and '<f8' (float64, narrowed to float32), C order.
 * Written: version 1.0, '<f4', the header padded to a multiple of 64 bytes as NumPy does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { numel, type Tensor } from '../kernels/tensor.js';

/** An unreadable or unsupported .npy file: a one-line message naming the file. */
export class NpyError extends Error {}

const MAGIC = Buffer.from([0x93, ...Buffer.from('NUMPY', 'latin1')]);
const MAX_HEADER_BYTES = 1 << 20;

export interface NpyHeader {
  readonly descr: string;
  readonly shape: readonly number[];
  /** Where the data starts. */
  readonly dataOffset: number;
}

/** Parses the header of an .npy file held in `bytes`. */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  const bad = (why: string) => new NpyError(`${file}: not a readable .npy file: ${why}`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw bad('it does not start with the \\x93NUMPY magic');
  const major = buf[6]!;
  if (major < 1 || major > 3) throw bad(`format version ${major}.${buf[7]} is not 1.0, 2.0 or 3.0`);
  const lenSize = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenSize) throw bad('the file ends inside the header');
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenSize;
  if (headerLen > MAX_HEADER_BYTES || start + headerLen > buf.length) throw bad('the file ends inside the header');
  const text = buf.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(`the header is not a NumPy header dict: ${text.trim()}`);
  if (fortran === 'True') throw bad('the array is in Fortran order; save it in C order (numpy.ascontiguousarray)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`the shape (${shapeText}) is not a tuple of sizes`);
  return { descr, shape, dataOffset: start + headerLen };
}

/** Reads a float32 or float64 .npy array as float32. */
export function readNpy(file: string, displayName = file): Tensor {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new NpyError(`${displayName}: cannot read the file: ${(e as Error).message}`);
  }
  return decodeNpy(bytes, displayName);
}

export function decodeNpy(bytes: Uint8Array, file: string): Tensor {
  const h = parseNpyHeader(bytes, file);
  // '=' is native order and '|' means no order: little-endian on every machine Node runs on here.
  const descr = h.descr.replace(/^[=|]/, '<');
  const itemSize = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (itemSize === 0) {
    throw new NpyError(`${file}: dtype '${h.descr}' is not supported: cnnscope reads float32 ('<f4') or float64 ('<f8'); convert with array.astype(numpy.float32)`);
  }
  const n = numel(h.shape);
  const have = bytes.byteLength - h.dataOffset;
  if (have < n * itemSize) throw new NpyError(`${file}: not a readable .npy file: the shape (${h.shape.join(', ')}) needs ${n * itemSize} bytes of data, the file has ${have}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset, n * itemSize);
  const data = new Float32Array(n);
  if (itemSize === 4) for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
  else for (let i = 0; i < n; i++) data[i] = view.getFloat64(8 * i, true);
  return { shape: h.shape, data };
}

/** Encodes a tensor as a version 1.0 '<f4' .npy file. */
export function encodeNpy(t: Tensor): Buffer {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(t.data.length * 4);
  for (let i = 0; i < t.data.length; i++) data.writeFloatLE(t.data[i]!, 4 * i);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

export function writeNpy(file: string, t: Tensor): void {
  writeFileSync(file, encodeNpy(t));
}
