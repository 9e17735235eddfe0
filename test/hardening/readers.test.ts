/**
 * Regression tests (issue 10): the binary readers and stdin refuse bad input in one line naming
 * the file, and read no more than they need.
 *   #7  a directory (or any unreadable path) as --weights / --input: exit 2, not EISDIR (exit 70)
 *   #14 stdin is read in chunks and refused as soon as it passes the 16 MiB limit
 *   #15 .npy: the header is read first, the file size must match it exactly, only the data is read
 *   #21 safetensors data_offsets must tile the data exactly (no overlap, no alias, no gap)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readStreamText, UsageError } from '../../src/cli/io.js';
import { MAX_FILE_BYTES } from '../../src/cli/load.js';
import { encodeNpy, NpyError, openNpy, readNpy } from '../../src/execute/npy.js';
import { encodeSafetensors, SafetensorsError, SafetensorsFile } from '../../src/execute/safetensors.js';
import { tensor } from '../../src/kernels/tensor.js';
import { cli } from '../cli/run.js';
import { thrown } from '../thrown.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnscope-hardening-'));
let counter = 0;
function file(bytes: Uint8Array | string, name = `f${counter++}`): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A safetensors file with a hand-written header (any data_offsets) and `dataBytes` bytes of data. */
function safetensors(header: Record<string, unknown>, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
}

const f32 = (n: number, begin: number) => ({ dtype: 'F32', shape: [n], data_offsets: [begin, begin + 4 * n] });

describe('#7 unreadable weights and input paths', () => {
  it('a directory as --weights or --input is one line naming it, exit 2', async () => {
    for (const flag of ['--weights', '--input']) {
      const r = await cli(['run', 'lecture/padding_stride', flag, dir]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`cnnscope: error: ${dir}: is a directory, not a ${flag === '--weights' ? 'weights' : '.npy'} file\n`);
    }
  });

  it('a missing file and a device are one line naming them, exit 2', async () => {
    for (const flag of ['--weights', '--input']) {
      for (const path of [join(dir, 'missing'), '/dev/null']) {
        const r = await cli(['run', 'lecture/padding_stride', flag, path]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr.split('\n').length, r.stderr).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^cnnscope: error: ${path.replace(/[/.]/g, '\\$&')}: `));
      }
    }
  });
});

describe('#14 stdin read in chunks', () => {
  it('stops reading as soon as the limit is passed', async () => {
    let pulled = 0;
    const chunk = Buffer.alloc(1 << 20, 0x20);
    // 100 MiB on offer; the reader must stop after the 17th MiB.
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield chunk;
        }
      })(),
    );
    const e = await readStreamText(source, MAX_FILE_BYTES).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toBe('<stdin>: the model is larger than 16 MiB; refusing it');
    expect(pulled).toBeLessThanOrEqual(18);
  });

  it('reads text within the limit whole, across chunk boundaries in a UTF-8 character', async () => {
    const text = 'name: "é"\n'.repeat(1000);
    const bytes = Buffer.from(text, 'utf8');
    const chunks = [bytes.subarray(0, 8), bytes.subarray(8, 9), bytes.subarray(9)];
    expect(await readStreamText(Readable.from(chunks), MAX_FILE_BYTES)).toBe(text);
  });
});

describe('#15 .npy read header first, size exact', () => {
  const good = encodeNpy(
    tensor(
      [1, 3, 2, 2],
      new Float32Array(12).map((_, i) => i),
    ),
  );

  it('refuses trailing data, naming the file and both sizes', () => {
    const path = file(Buffer.concat([good, Buffer.alloc(1000)]));
    const e = thrown(() => readNpy(path, 'big.npy'));
    expect(e).toBeInstanceOf(NpyError);
    expect(e.message).toBe(
      'big.npy: not a readable .npy file: the shape (1, 3, 2, 2) needs 48 bytes of data, the file has 1048 (trailing data after the array)',
    );
  });

  it('refuses missing data', () => {
    const path = file(good.subarray(0, good.length - 4));
    expect(thrown(() => readNpy(path, 'short.npy')).message).toBe(
      'short.npy: not a readable .npy file: the shape (1, 3, 2, 2) needs 48 bytes of data, the file has 44 (truncated?)',
    );
  });

  it('reads the header without the data, then the data into a given buffer', () => {
    const npy = openNpy(file(good));
    expect(npy.shape).toEqual([1, 3, 2, 2]);
    const out = new Float32Array(12);
    expect(npy.read(out)).toBe(out);
    npy.close();
    expect(Array.from(out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('run --input refuses a file much larger than its header says before reading it', async () => {
    const header = encodeNpy(tensor([1, 1, 5, 5], new Float32Array(25)));
    // 8 MiB of trailing zeros behind a 25-float header.
    const path = file(Buffer.concat([header, Buffer.alloc(8 << 20)]));
    const r = await cli(['run', 'lecture/padding_stride', '--input', path]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/needs 100 bytes of data, the file has 8388708 \(trailing data after the array\)\n$/);
  });

  it('run --input still runs an exact file', async () => {
    const path = file(encodeNpy(tensor([1, 1, 5, 5], new Float32Array(25).fill(1))));
    const r = await cli(['run', 'lecture/padding_stride', '--input', path, '--json']);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('#21 safetensors data_offsets tile the data', () => {
  const open = (header: Record<string, unknown>, dataBytes: number) =>
    thrown(() => SafetensorsFile.open(file(safetensors(header, dataBytes))));

  it('refuses two tensors aliasing the same bytes', () => {
    const e = open({ a: f32(2, 0), b: f32(2, 0) }, 8);
    expect(e).toBeInstanceOf(SafetensorsError);
    expect(e.message).toMatch(
      /not a valid safetensors file: entry 'b' \(data_offsets \[0, 8\]\) overlaps entry 'a' \(data_offsets \[0, 8\]\); tensors must not share bytes$/,
    );
  });

  it('refuses overlapping tensors', () => {
    expect(open({ a: f32(2, 0), b: f32(2, 4) }, 12).message).toMatch(/entry 'b' \(data_offsets \[4, 12\]\) overlaps entry 'a'/);
  });

  it('refuses a gap and data after the last tensor', () => {
    expect(open({ a: f32(1, 0), b: f32(1, 8) }, 12).message).toMatch(
      /entry 'b' starts at byte 8 of the data, but the tensors before it end at byte 4; the data_offsets must leave no gap$/,
    );
    expect(open({ a: f32(1, 0) }, 12).message).toMatch(
      /the tensors end at byte 4 of the data, but the file has 12 bytes of data; the data_offsets must cover it exactly$/,
    );
  });

  it('accepts tensors in any header order, and empty tensors, when they tile the data', () => {
    const path = file(safetensors({ b: f32(1, 4), empty: { dtype: 'F32', shape: [0], data_offsets: [4, 4] }, a: f32(1, 0) }, 8));
    const f = SafetensorsFile.open(path);
    expect([...f.entries.keys()].sort()).toEqual(['a', 'b', 'empty']);
    f.close();
    const written = SafetensorsFile.open(
      file(
        encodeSafetensors({
          x: { dtype: 'F32', shape: [3], data: new Float32Array(3) },
          y: { dtype: 'F16', shape: [2], data: new Float32Array(2) },
        }),
      ),
    );
    written.close();
  });

  it('run --weights with aliased offsets is exit 2, one line', async () => {
    const path = file(safetensors({ 'conv.weight': f32(9, 0), 'conv.bias': f32(1, 0) }, 36));
    const r = await cli(['run', 'lecture/padding_stride', '--weights', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^cnnscope: error: .*: not a valid safetensors file: entry 'conv.weight' \(data_offsets \[0, 36\]\) overlaps entry 'conv.bias' \(data_offsets \[0, 4\]\); tensors must not share bytes\n$/,
    );
  });
});
