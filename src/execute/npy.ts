/**
 * NumPy .npy files (numpy.lib.format): the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), the
 * header length (2 bytes little-endian in 1.0, 4 in 2.0 and 3.0), a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), } padded with spaces and
 * a newline, then the data. Read: '<f4' (float32) and '<f8' (float64, narrowed to float32), C order.
 * Written: version 1.0, '<f4', the header padded to a multiple of 64 bytes as NumPy does.
 *
 * A file is read header first: its size must be exactly the header plus the data its shape needs
 * (trailing or missing bytes are refused), and the data is read only then, straight into its
 * destination, so a caller can check the shape (and the memory it needs) before reading any of it.
 */
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { escapeUnprintable } from '../graph/diagnostics.js';
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
  const major = buf[6];
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
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw bad(`the header is not a NumPy header dict: ${escapeUnprintable(text.trim())}`);
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
  const npy = openNpy(file, displayName);
  try {
    return { shape: npy.shape, data: npy.read() };
  } finally {
    npy.close();
  }
}

/** An open .npy file whose header is read and checked against the file size; the data is not read yet. */
export interface NpyFile {
  readonly shape: readonly number[];
  /** Reads the data as float32 into `out` (of the array's size), or a new array. */
  read(out?: Float32Array): Float32Array;
  close(): void;
}

/** Opens an .npy file and reads its header only; throws NpyError (one line naming the file) when it cannot. */
export function openNpy(file: string, displayName = file): NpyFile {
  const cannot = (e: unknown) => new NpyError(`${displayName}: cannot read the file: ${(e as Error).message}`);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw cannot(e);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new NpyError(`${displayName}: is a directory, not a .npy file`);
    if (!stat.isFile()) throw new NpyError(`${displayName}: is not a regular file`);
    const readAt = (into: Uint8Array, position: number): number => {
      let done = 0;
      try {
        while (done < into.length) {
          const got = readSync(fd, into, done, into.length - done, position + done);
          if (got === 0) break;
          done += got;
        }
      } catch (e) {
        throw cannot(e);
      }
      return done;
    };
    // The fixed part (magic, version, header length), then the header it announces.
    const fixed = Buffer.alloc(12);
    const got = readAt(fixed, 0);
    const major = fixed[6];
    const headerEnd = got < 10 ? got : major === 1 ? 10 + fixed.readUInt16LE(8) : got < 12 ? got : 12 + fixed.readUInt32LE(8);
    const head = Buffer.alloc(Math.min(headerEnd, stat.size, 12 + MAX_HEADER_BYTES));
    readAt(head, 0);
    const h = parseNpyHeader(head, displayName);
    const itemSize = checkedItemSize(h, displayName);
    checkSize(h, itemSize, stat.size, displayName);
    const n = numel(h.shape);
    let open = true;
    return {
      shape: h.shape,
      read(out?: Float32Array): Float32Array {
        out ??= new Float32Array(n);
        if (out.length !== n) throw new Error(`NpyFile.read: the array has ${n} elements, the destination ${out.length}`);
        // Chunks of at most 16 MiB: the raw bytes are never held whole beside the floats.
        const chunkItems = Math.max(1, Math.floor((16 << 20) / itemSize));
        const raw = Buffer.alloc(Math.min(n, chunkItems) * itemSize);
        for (let first = 0; first < n; first += chunkItems) {
          const count = Math.min(chunkItems, n - first);
          const bytes = raw.subarray(0, count * itemSize);
          if (readAt(bytes, h.dataOffset + first * itemSize) < bytes.length)
            throw new NpyError(`${displayName}: the file ended while it was read (changed on disk?)`);
          decodeInto(bytes, itemSize, out, first, count);
        }
        return out;
      },
      close(): void {
        if (open) closeSync(fd);
        open = false;
      },
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function checkedItemSize(h: NpyHeader, file: string): 4 | 8 {
  // '=' is native order and '|' means no order: little-endian on every machine Node runs on here.
  const descr = h.descr.replace(/^[=|]/, '<');
  if (descr === '<f4') return 4;
  if (descr === '<f8') return 8;
  throw new NpyError(
    `${file}: dtype '${h.descr}' is not supported: cnnscope reads float32 ('<f4') or float64 ('<f8'); convert with array.astype(numpy.float32)`,
  );
}

/** The data must be exactly what the shape needs: no byte missing, none left over. */
function checkSize(h: NpyHeader, itemSize: number, fileBytes: number, file: string): void {
  const need = numel(h.shape) * itemSize;
  const have = fileBytes - h.dataOffset;
  if (have !== need) {
    const needText = Number.isSafeInteger(need) ? `${need}` : 'more than 2^53';
    throw new NpyError(
      `${file}: not a readable .npy file: the shape (${h.shape.join(', ')}) needs ${needText} bytes of data, the file has ${have}` +
        (have > need ? ' (trailing data after the array)' : ' (truncated?)'),
    );
  }
}

function decodeInto(bytes: Uint8Array, itemSize: number, out: Float32Array, first: number, count: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * itemSize);
  if (itemSize === 4) for (let i = 0; i < count; i++) out[first + i] = view.getFloat32(4 * i, true);
  else for (let i = 0; i < count; i++) out[first + i] = view.getFloat64(8 * i, true);
}

export function decodeNpy(bytes: Uint8Array, file: string): Tensor {
  const h = parseNpyHeader(bytes, file);
  const itemSize = checkedItemSize(h, file);
  checkSize(h, itemSize, bytes.byteLength, file);
  const n = numel(h.shape);
  const data = new Float32Array(n);
  decodeInto(bytes.subarray(h.dataOffset), itemSize, data, 0, n);
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
  for (let i = 0; i < t.data.length; i++) data.writeFloatLE(t.data[i], 4 * i);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

export function writeNpy(file: string, t: Tensor): void {
  writeFileSync(file, encodeNpy(t));
}
