/**
 * safetensors files (huggingface/safetensors): an 8-byte little-endian header length N, N bytes
 * of JSON {key: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}},
 * then the tensor bytes, little-endian, C order, offsets relative to the end of the header.
 *
 * Float tensors are read as float32: F32 as is, F16 and BF16 converted (F64 narrowed). Integer
 * tensors (batchnorm's I64 num_batches_tracked) are described but never read. Tensors are read one
 * at a time straight into their destination, so loading needs no second copy of the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { numel } from '../kernels/tensor.js';

/** A file that is not a readable safetensors file: a one-line message naming the file. */
export class SafetensorsError extends Error {}

const ITEM_SIZE: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};
export const FLOAT_DTYPES: readonly string[] = ['F32', 'F16', 'BF16', 'F64'];

export interface SafetensorsEntry {
  readonly key: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte offsets in the file (the header's data_offsets plus 8 + N). */
  readonly begin: number;
  readonly end: number;
}

/** The official implementation refuses headers beyond 100 MB; so does this one. */
const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly entries: ReadonlyMap<string, SafetensorsEntry>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** Opens and validates the header; throws SafetensorsError (one line, naming the file) when it cannot. */
  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new SafetensorsError(`${path}: cannot open the weights file: ${(e as Error).message}`);
    }
    try {
      const stat = fstatSync(fd);
      if (stat.isDirectory()) throw new SafetensorsError(`${path}: is a directory, not a weights file`);
      if (!stat.isFile()) throw new SafetensorsError(`${path}: is not a regular file`);
      const { entries, metadata } = readHeader(fd, path);
      return new SafetensorsFile(path, fd, entries, metadata);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Reads a float tensor as float32 into `out` (of the tensor's size), or a new array. */
  readFloat32(key: string, out?: Float32Array): Float32Array {
    const e = this.entries.get(key);
    if (!e) throw new SafetensorsError(`${this.path}: no tensor '${key}'`);
    const n = numel(e.shape);
    out ??= new Float32Array(n);
    if (out.length !== n) throw new Error(`readFloat32: '${key}' has ${n} elements, the destination ${out.length}`);
    const raw =
      e.dtype === 'F32' && endianness() === 'LE' ? new Uint8Array(out.buffer, out.byteOffset, n * 4) : new Uint8Array(e.end - e.begin);
    this.readAt(raw, e.begin);
    if (e.dtype === 'F32' && raw.buffer === out.buffer) return out;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    switch (e.dtype) {
      case 'F32':
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
        break;
      case 'F64':
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
        break;
      case 'F16':
        for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
        break;
      case 'BF16': {
        // bfloat16 is the top half of a float32.
        const bits = new Uint32Array(1);
        const f = new Float32Array(bits.buffer);
        for (let i = 0; i < n; i++) {
          bits[0] = view.getUint16(2 * i, true) << 16;
          out[i] = f[0]!;
        }
        break;
      }
      default:
        throw new SafetensorsError(`${this.path}: tensor '${key}' has dtype ${e.dtype}, not a float type (${FLOAT_DTYPES.join(', ')})`);
    }
    return out;
  }

  private readAt(into: Uint8Array, position: number): void {
    readFully(this.fd, into, position, this.path);
  }
}

/** Reads `into.length` bytes at `position`; an I/O error or an early end is a one-line SafetensorsError. */
function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    let got: number;
    try {
      got = readSync(fd, into, done, into.length - done, position + done);
    } catch (e) {
      throw new SafetensorsError(`${path}: cannot read the weights file: ${(e as Error).message}`);
    }
    if (got === 0) throw new SafetensorsError(`${path}: the file ends inside a tensor (truncated?)`);
    done += got;
  }
}

function readHeader(fd: number, path: string): { entries: Map<string, SafetensorsEntry>; metadata: Record<string, string> } {
  const bad = (why: string) => new SafetensorsError(`${path}: not a valid safetensors file: ${why}`);
  const size = fstatSync(fd).size;
  if (size < 8) throw bad(`${size} bytes, shorter than the 8-byte header length`);
  const lenBytes = Buffer.alloc(8);
  readFully(fd, lenBytes, 0, path);
  const headerLen = Number(lenBytes.readBigUInt64LE(0));
  if (headerLen > MAX_HEADER_BYTES) throw bad(`the header length ${headerLen} is beyond the ${MAX_HEADER_BYTES}-byte limit`);
  if (8 + headerLen > size) throw bad(`the header length ${headerLen} runs past the end of the ${size}-byte file`);
  const headerBytes = Buffer.alloc(headerLen);
  readFully(fd, headerBytes, 8, path);
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch (e) {
    throw bad(`the header is not JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = size - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (value && typeof value === 'object' && !Array.isArray(value)) metadata = value as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (!v || typeof v !== 'object') throw bad(`entry '${key}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = v;
    if (typeof dtype !== 'string' || !(dtype in ITEM_SIZE)) throw bad(`entry '${key}' has an unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`entry '${key}' has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad(`entry '${key}' has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const bytes = numel(shape as number[]) * ITEM_SIZE[dtype];
    if (end < begin || end - begin !== bytes)
      throw bad(`entry '${key}' spans ${end - begin} bytes, its ${dtype} shape [${shape.join(', ')}] needs ${bytes}`);
    if (end > dataLen) throw bad(`entry '${key}' ends at byte ${end}, past the ${dataLen} bytes of data (truncated?)`);
    entries.set(key, { key, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  checkTiling([...entries.values()], dataStart, dataLen, bad);
  return { entries, metadata };
}

/**
 * As the reference implementation requires: sorted by offset, the tensors tile the data exactly,
 * each starting where the one before ends, the last ending at the end of the file. So no two
 * tensors overlap or alias the same bytes, and no byte is left unaccounted for.
 */
function checkTiling(entries: SafetensorsEntry[], dataStart: number, dataLen: number, bad: (why: string) => SafetensorsError): void {
  const sorted = entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of sorted) {
    const [begin, end] = [e.begin - dataStart, e.end - dataStart];
    if (begin < at) {
      throw bad(
        `entry '${e.key}' (data_offsets [${begin}, ${end}]) overlaps entry '${previous!.key}' (data_offsets [${previous!.begin - dataStart}, ${at}]); tensors must not share bytes`,
      );
    }
    if (begin > at)
      throw bad(
        `entry '${e.key}' starts at byte ${begin} of the data, but the tensors before it end at byte ${at}; the data_offsets must leave no gap`,
      );
    at = end;
    previous = e;
  }
  if (at !== dataLen)
    throw bad(
      `the tensors end at byte ${at} of the data, but the file has ${dataLen} bytes of data; the data_offsets must cover it exactly`,
    );
}

/** IEEE 754 binary16 to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A tensor to write: float32 data stored as `dtype` (F32, F16 or BF16), or raw bytes for other dtypes. */
export interface TensorToWrite {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint8Array;
}

/**
 * Encodes a safetensors file, as the reference implementation lays it out: keys sorted, data in
 * key order, the header padded with spaces to a multiple of 8 bytes. F16/BF16 round to nearest even.
 */
export function encodeSafetensors(tensors: Readonly<Record<string, TensorToWrite>>, metadata?: Readonly<Record<string, string>>): Buffer {
  const keys = Object.keys(tensors).sort();
  const chunks: Buffer[] = [];
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const key of keys) {
    const t = tensors[key];
    const bytes = encodeData(t);
    header[key] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json, 'utf8'), ...chunks]);
}

function encodeData(t: TensorToWrite): Buffer {
  if (t.data instanceof Uint8Array) return Buffer.from(t.data);
  const n = t.data.length;
  const out = Buffer.alloc(n * (t.dtype === 'F32' ? 4 : 2));
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  for (let i = 0; i < n; i++) {
    if (t.dtype === 'F32') out.writeFloatLE(t.data[i], 4 * i);
    else if (t.dtype === 'BF16') {
      f[0] = t.data[i]!;
      const x = bits[0];
      // Round to nearest even on the dropped 16 bits (NaN kept quiet).
      const rounded = Number.isNaN(f[0]) ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
      out.writeUInt16LE(rounded & 0xffff, 2 * i);
    } else if (t.dtype === 'F16') out.writeUInt16LE(floatToHalf(t.data[i]), 2 * i);
    else throw new Error(`encodeSafetensors: cannot encode float data as ${t.dtype}`);
  }
  return out;
}

/** A number to IEEE 754 binary16 bits, rounding to nearest even (for tests and tools). */
export function floatToHalf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // Subnormal: units of 2^-24, round half to even.
    return sign | roundHalfEven(a / 2 ** -24);
  }
  let exp = Math.floor(Math.log2(a));
  if (2 ** exp > a) exp--;
  if (2 ** (exp + 1) <= a) exp++;
  let mant = roundHalfEven((a / 2 ** exp - 1) * 1024);
  if (mant === 1024) {
    mant = 0;
    exp++;
  }
  if (exp > 15) return sign | 0x7c00;
  return sign | ((exp + 15) << 10) | mant;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}
