/**
 * Contexts for a run: single-threaded, or with worker threads that share every large GEMM.
 *
 * With `threads` T > 1 every buffer of the run (weights, activations, scratch) is a
 * SharedArrayBuffer, and T - 1 workers (worker.ts) wait on a shared Int32Array. For a GEMM the
 * main thread writes the job (sizes, and each matrix as buffer id, offset and strides) into a
 * shared Int32Array (integers, so the workers' index arithmetic stays in small integers), bumps the sequence number and wakes the workers; each computes its slice
 * of C (rows when M is large enough, else columns), the main thread its own, then waits for the
 * done counter. New buffers reach the workers through a MessagePort they drain synchronously
 * (receiveMessageOnPort) before each job, and are forgotten when the executor frees them.
 * Small products (under SPLIT_MACS) and non-shared buffers run on the main thread alone.
 * Every thread has its own GEMM engine of the main thread's kind (context.ts: wasm SIMD, with its
 * own instance and memory, or JS); neither's per-element sums depend on the split, so results are
 * identical to one thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ExecContext } from '../kernels/context.js';
import type { Mat } from '../kernels/mat.js';
import type { Tensor } from '../kernels/tensor.js';
import { createGemmEngine, LocalContext, type Allocator, type GemmEngine } from './context.js';

export const MAX_THREADS = 64;

/** Below this many MACs a GEMM is not worth waking the workers for (about 0.3 ms of work). */
const SPLIT_MACS = 1 << 20;

/** Layout of the shared job block (Int32Array). */
export const JOB = {
  cmd: 0,
  M: 1,
  N: 2,
  K: 3,
  accumulate: 4,
  splitRows: 5,
  parts: 6,
  /** Each matrix: buffer id, offset, row stride, column stride. */
  A: 7,
  B: 11,
  C: 15,
  size: 19,
} as const;
/** Commands. */
export const CMD = { gemm: 1, exit: 2 } as const;
/** Layout of the shared sync block (Int32Array). */
export const SYNC = { seq: 0, done: 1, failed: 2, size: 4 } as const;

/** The rows or columns part `p` of `parts` computes: multiples of the micro-kernel size. */
export function partRange(total: number, parts: number, p: number, unit: number): [number, number] {
  const chunk = Math.ceil(total / parts / unit) * unit;
  return [Math.min(total, p * chunk), Math.min(total, (p + 1) * chunk)];
}

export interface RunContext extends ExecContext {
  readonly threads: number;
  /** The GEMM every thread runs (each thread its own instance). */
  readonly engine: GemmEngine;
  /** Allocates the run's buffers (shared memory when threads > 1). */
  readonly allocate: Allocator;
  /** Tells the context a tensor is no longer used (workers drop their reference). */
  release(t: Tensor): void;
  close(): Promise<void>;
}

class SingleContext extends LocalContext implements RunContext {
  readonly threads = 1;
  async close(): Promise<void> {}
}

export async function createContext(threads: number): Promise<RunContext> {
  if (threads <= 1) return new SingleContext();
  return PoolContext.start(threads);
}

const sharedAllocator: Allocator = (n) => new Float32Array(new SharedArrayBuffer(n * 4));

function workerUrl(): URL {
  // Built: dist/execute/worker.js next to this file. From the TypeScript sources (tests), the
  // built worker in dist/ (npm test builds first).
  for (const candidate of ['./worker.js', '../../dist/execute/worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new Error('the worker script dist/execute/worker.js is missing: run `npm run build` (or use --threads 1)');
}

class PoolContext extends LocalContext implements RunContext {
  private readonly ids = new WeakMap<ArrayBufferLike, number>();
  private nextId = 1;

  private constructor(
    readonly threads: number,
    private readonly workers: readonly Worker[],
    private readonly ports: readonly MessagePort[],
    /** The job and sync blocks the workers were given. */
    private readonly job: Int32Array,
    private readonly sync: Int32Array,
    engine: GemmEngine,
  ) {
    super(sharedAllocator, 0, engine);
  }

  static async start(threads: number): Promise<PoolContext> {
    const url = workerUrl();
    // Every thread runs the same GEMM (each its own instance), so the split cannot change a sum.
    const engine = createGemmEngine();
    const wasm = engine.name === 'wasm-simd';
    const workers: Worker[] = [];
    const ports: MessagePort[] = [];
    const job = new Int32Array(new SharedArrayBuffer(JOB.size * 4));
    const sync = new Int32Array(new SharedArrayBuffer(SYNC.size * 4));
    const online: Promise<void>[] = [];
    for (let i = 0; i < threads - 1; i++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(url, { workerData: { job, sync, index: i, port: port2, wasm }, transferList: [port2] });
      online.push(
        new Promise((resolveOnline, reject) => {
          w.once('online', () => resolveOnline());
          w.once('error', reject);
        }),
      );
      workers.push(w);
      ports.push(port1);
    }
    try {
      await Promise.all(online);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new PoolContext(threads, workers, ports, job, sync, engine);
  }

  override gemm(M: number, N: number, K: number, A: Mat, B: Mat, C: Mat, accumulate: boolean): void {
    this.macs += M * N * K;
    const parts = this.threads;
    const { mr, nr } = this.engine;
    // Each part packs all of B when split by rows, all of A when split by columns: split the
    // larger of the two, so the copy every thread repeats is the smaller one.
    const splitRows = M >= 2 * mr * parts && (M >= N || N < 2 * nr * parts);
    // Offsets travel as int32: buffers beyond 2^31 floats (8 GiB) stay on the main thread.
    const shared = [A, B, C].every((m) => m.data.buffer instanceof SharedArrayBuffer && m.data.buffer.byteLength < 2 ** 33);
    if (M * N * K < SPLIT_MACS || !shared || (!splitRows && N < 2 * nr * parts)) {
      this.engine.gemm(M, N, K, A, B, C, accumulate);
      return;
    }
    const job = this.job;
    job[JOB.cmd] = CMD.gemm;
    job[JOB.M] = M;
    job[JOB.N] = N;
    job[JOB.K] = K;
    job[JOB.accumulate] = accumulate ? 1 : 0;
    job[JOB.splitRows] = splitRows ? 1 : 0;
    job[JOB.parts] = parts;
    this.writeMat(JOB.A, A);
    this.writeMat(JOB.B, B);
    this.writeMat(JOB.C, C);
    Atomics.store(this.sync, SYNC.done, 0);
    Atomics.add(this.sync, SYNC.seq, 1);
    Atomics.notify(this.sync, SYNC.seq);
    // The main thread takes the last part.
    gemmPart(M, N, K, A, B, C, accumulate, splitRows, parts, parts - 1, this.engine);
    const workers = this.workers.length;
    for (let done = Atomics.load(this.sync, SYNC.done); done < workers; done = Atomics.load(this.sync, SYNC.done)) {
      Atomics.wait(this.sync, SYNC.done, done);
    }
    if (Atomics.load(this.sync, SYNC.failed) !== 0) throw new Error('a worker thread failed during a matrix multiply');
  }

  private writeMat(at: number, m: Mat): void {
    this.job[at] = this.register(m.data.buffer);
    this.job[at + 1] = m.offset + m.data.byteOffset / 4;
    this.job[at + 2] = m.rs;
    this.job[at + 3] = m.cs;
  }

  private register(buffer: ArrayBufferLike): number {
    let id = this.ids.get(buffer);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(buffer, id);
      for (const port of this.ports) port.postMessage({ add: id, buffer });
    }
    return id;
  }

  override release(t: Tensor): void {
    const id = this.ids.get(t.data.buffer);
    if (id === undefined) return;
    this.ids.delete(t.data.buffer);
    for (const port of this.ports) port.postMessage({ release: id });
  }

  async close(): Promise<void> {
    this.job[JOB.cmd] = CMD.exit;
    Atomics.add(this.sync, SYNC.seq, 1);
    Atomics.notify(this.sync, SYNC.seq);
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const port of this.ports) port.close();
  }
}

/** Part `p` of `parts` of C = A·B: a block of rows (splitRows) or of columns, as a smaller GEMM. */
export function gemmPart(
  M: number,
  N: number,
  K: number,
  A: Mat,
  B: Mat,
  C: Mat,
  accumulate: boolean,
  splitRows: boolean,
  parts: number,
  p: number,
  engine: GemmEngine,
): void {
  if (splitRows) {
    const [r0, r1] = partRange(M, parts, p, engine.mr);
    if (r1 <= r0) return;
    engine.gemm(r1 - r0, N, K, { ...A, offset: A.offset + r0 * A.rs }, B, { ...C, offset: C.offset + r0 * C.rs }, accumulate);
  } else {
    const [c0, c1] = partRange(N, parts, p, engine.nr);
    if (c1 <= c0) return;
    engine.gemm(M, c1 - c0, K, A, { ...B, offset: B.offset + c0 * B.cs }, { ...C, offset: C.offset + c0 * C.cs }, accumulate);
  }
}
