/**
 * The engine's memory: one shared WebAssembly.Memory per run that every kernel instance imports
 * (env.memory), so that the kernels read the plan's packed weights and the activations, and write
 * their outputs, in place. Shared, so that it grows without detaching the Float32Array views made
 * on it (a grown shared memory gives a new, longer SharedArrayBuffer over the same bytes; the old
 * views stay valid), and so that worker threads import the same memory and are sent byte
 * addresses only.
 *
 * An arena allocator hands out blocks of it (ALIGN-byte aligned) as Float32Array views: the
 * executor's released tensors return their blocks to a free list (sorted by address, neighbours
 * merged, first fit), so a pass reuses the blocks of the tensors the schedule has freed; when no
 * block fits, the memory grows. A request the memory cannot hold (past MAX_PAGES) gets a plain
 * buffer from the fallback allocator: kernels test `addressOf` and take their copying path.
 *
 * The last SLACK bytes of the memory are never handed out: a kernel may read (never write) a
 * vector past the end of a row, and that read stays inside the memory.
 */

import { Code, encodeModule, I32 } from './encoder.js';

const PAGE = 65536;
/** 2 GiB: byte addresses stay positive int32 (the job blocks of threads.ts are Int32Arrays). */
export const MAX_PAGES = 32768;
/** Block alignment, bytes (a cache line). */
export const ALIGN = 64;
const SLACK = 64;

export class EngineMemory {
  readonly memory: WebAssembly.Memory;
  /** Every SharedArrayBuffer the memory has had (one per size): views on any of them are in it. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private view: Float32Array;
  /** Allocated blocks: byte address -> bytes. */
  private readonly used = new Map<number, number>();
  /** Free blocks, sorted by address: [address, bytes] pairs. */
  private free: [number, number][] = [];
  /** The end of the highest block handed out. */
  private top: number;
  /** Bytes from here on have never been handed out: still zero, as grown memory is. */
  private clean: number;
  /** The end of what reserve() has made ready. */
  private reserved = 0;
  private zeroFn: ((at: number, bytes: number) => void) | undefined;

  /**
   * A new memory of `initialBytes` (or the existing `memory` of another thread: then only
   * addressOf and floats are used, allocation is the main thread's).
   */
  constructor(
    initialBytes = PAGE,
    memory?: WebAssembly.Memory,
    private readonly fallback: (n: number) => Float32Array = (n) => new Float32Array(n),
  ) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE), maximum: MAX_PAGES, shared: true });
    this.view = new Float32Array(this.memory.buffer);
    this.buffers.add(this.memory.buffer);
    // Address 0 is never handed out, so an address is never falsy.
    this.top = ALIGN;
    this.clean = ALIGN;
  }

  /** Zeroes bytes [at, at+bytes) with wasm's memory.fill (TypedArray.fill is slow on shared memory). */
  zero(at: number, bytes: number): void {
    if (!this.zeroFn) {
      const code = new Code().localGet(0).i32Const(0).localGet(1).memoryFill();
      const bytesOf = encodeModule({
        functions: [{ name: 'zero', params: [I32, I32], results: [], locals: [], code }],
        importMemory: { min: 1, max: MAX_PAGES, shared: true },
      });
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytesOf), { env: { memory: this.memory } });
      this.zeroFn = instance.exports['zero'] as (at: number, bytes: number) => void;
    }
    this.zeroFn(at, bytes);
  }

  /** The byte address of a view's first element in this memory, or -1 when it is not in it. */
  addressOf(a: ArrayBufferView): number {
    if (this.buffers.has(a.buffer)) return a.byteOffset;
    if (a.buffer === this.memory.buffer) {
      // Grown by another thread since this one last looked.
      this.refresh();
      return a.byteOffset;
    }
    return -1;
  }

  /** The buffer is one of this memory's (views on it are in the memory). */
  owns(buffer: ArrayBufferLike): boolean {
    if (this.buffers.has(buffer)) return true;
    if (buffer !== this.memory.buffer) return false;
    this.refresh();
    return true;
  }

  /** The whole memory as floats (views of any address, index = address / 4). */
  floats(): Float32Array {
    if (this.view.buffer.byteLength !== this.memory.buffer.byteLength) this.refresh();
    return this.view;
  }

  private refresh(): void {
    this.buffers.add(this.memory.buffer);
    this.view = new Float32Array(this.memory.buffer);
  }

  /** A block of `n` floats, contents unspecified. */
  alloc(n: number): Float32Array {
    const view = this.place(n);
    this.clean = Math.max(this.clean, this.top);
    return view;
  }

  /** A block of `n` floats, zero. */
  allocZeroed(n: number): Float32Array {
    const view = this.place(n);
    const at = this.addressOf(view);
    if (at < 0) return view;
    // Only what was handed out before can hold anything but zero.
    const end = Math.min(at + n * 4, this.clean);
    if (end > at) this.zero(at, end - at);
    this.clean = Math.max(this.clean, this.top);
    return view;
  }

  private place(n: number): Float32Array {
    const bytes = Math.max(ALIGN, Math.ceil((n * 4) / ALIGN) * ALIGN);
    const at = this.take(bytes);
    if (at < 0) return this.fallback(n);
    this.used.set(at, bytes);
    return new Float32Array(this.floats().buffer, at, n);
  }

  /**
   * Makes the next `bytes` beyond what is handed out ready: the memory grown to hold them and
   * their pages written once (zeros, as they are), so that the first pass does not pay the page
   * faults of fresh memory in its kernels. Does nothing once done for that much.
   */
  reserve(bytes: number): void {
    const end = this.top + Math.ceil(bytes / ALIGN) * ALIGN;
    if (end <= this.reserved) return;
    const need = end + SLACK;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      const pages = Math.min(Math.ceil((need - have) / PAGE), MAX_PAGES - have / PAGE);
      if (pages <= 0) return;
      this.memory.grow(pages);
      this.refresh();
    }
    const from = Math.max(this.top, this.clean, this.reserved);
    const to = Math.min(end, this.memory.buffer.byteLength - SLACK);
    if (to > from) this.zero(from, to - from);
    this.reserved = end;
  }

  /** Gives a block back (a view alloc returned; anything else is ignored). */
  release(a: ArrayBufferView): void {
    const at = this.addressOf(a);
    const bytes = at < 0 ? undefined : this.used.get(at);
    if (bytes === undefined) return;
    this.used.delete(at);
    // Insert sorted, merging with the neighbours.
    const free = this.free;
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (free[mid][0] < at) lo = mid + 1;
      else hi = mid;
    }
    let start = at;
    let end = at + bytes;
    let from = lo;
    let to = lo;
    if (from > 0 && free[from - 1][0] + free[from - 1][1] === start) start = free[--from][0];
    if (to < free.length && free[to][0] === end) end = free[to][0] + free[to++][1];
    free.splice(from, to - from, [start, end - start]);
    // A free block at the top goes back to the unallocated space.
    const last = free[free.length - 1];
    if (last && last[0] + last[1] === this.top) {
      this.top = last[0];
      free.pop();
    }
  }

  /** Bytes in blocks handed out and not released. */
  get usedBytes(): number {
    let n = 0;
    for (const b of this.used.values()) n += b;
    return n;
  }

  private take(bytes: number): number {
    const free = this.free;
    for (let i = 0; i < free.length; i++) {
      const [at, size] = free[i];
      if (size < bytes) continue;
      if (size === bytes) free.splice(i, 1);
      else free[i] = [at + bytes, size - bytes];
      return at;
    }
    const at = this.top;
    const need = at + bytes + SLACK;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      // Grow by at least a quarter, so that a run's allocations grow it a few times only.
      const pages = Math.max(Math.ceil((need - have) / PAGE), Math.ceil(have / PAGE / 4));
      const current = have / PAGE;
      const grow = Math.min(pages, MAX_PAGES - current);
      if (current + grow < need / PAGE) return -1;
      this.memory.grow(grow);
      this.refresh();
    }
    this.top = at + bytes;
    return at;
  }
}
