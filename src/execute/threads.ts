/**
 * Contexts for a run: single-threaded, or with worker threads that share every large GEMM.
 *
 * With `threads` T > 1 every buffer of the run (weights, activations, scratch) is shared, and
 * T - 1 workers (worker.ts) wait on a shared Int32Array. With the wasm engine the buffers live in
 * the engine memory (wasm/arena.ts), a shared WebAssembly.Memory every worker imports, each thread
 * with its own scratch in it (allocated here, its address sent once); with the JS engine (or what
 * the memory cannot hold) they are SharedArrayBuffers. For a GEMM the main thread writes the job
 * (sizes, and each matrix as buffer id, float offset and strides; buffer id 0 is the engine
 * memory, so a tensor in it travels as its address alone) into a shared Int32Array (integers, so
 * the workers' index arithmetic stays in small integers), bumps the sequence number and wakes the
 * workers; each computes its slice of C (rows when M is large enough, else columns: each thread
 * then packs only its own columns of B), the main thread its own, then waits for the done
 * counter. Other buffers reach the workers through a MessagePort they drain synchronously
 * (receiveMessageOnPort) before each job, and are forgotten when the executor frees them.
 * Small products (under SPLIT_MACS) and non-shared buffers run on the main thread alone.
 * Every thread has its own GEMM engine of the main thread's kind (context.ts: wasm SIMD, with its
 * own instance on the shared memory, or JS); neither's per-element sums depend on the split, so
 * results are identical to one thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ExecContext } from '../kernels/context.js';
import type { Mat } from '../kernels/mat.js';
import type { Tensor } from '../kernels/tensor.js';
import type { ConvGeometry } from '../kernels/im2col.js';
import type { PackedGemm } from './wasm/gemm-kernel.js';
import { runWindowJob, scratchBytes, scratchPlan, type WindowJob } from './wasm/window-kernel.js';
import { createGemmEngine, LocalContext, type Allocator, type GemmEngine } from './context.js';
import { WASM_GEMM_BYTES, WasmGemm } from './wasm/gemm-kernel.js';
import { EngineMemory } from './wasm/arena.js';
import { winogradChunks, type WinogradPhase } from './winograd.js';

export const MAX_THREADS = 64;

/** Below this many MACs a GEMM is not worth waking the workers for (about 0.3 ms of work). */
const SPLIT_MACS = 1 << 20;
/** The same for a window job (depthwise, max pooling), in output elements times taps: 2^18 of them take about 0.1 ms. */
const SPLIT_WINDOW = 1 << 18;

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
  /** A PackedGemm (gemm-kernel.ts), written by writePacked from here on. */
  packed: 19,
  size: 19 + 48,
} as const;
/** Commands. */
export const CMD = { gemm: 1, exit: 2, packed: 3, window: 4, winoInput: 5, winoGemm: 6, winoOutput: 7 } as const;
/** The commands of Winograd's shared phases (winograd.ts shareWinograd), and back. */
export const WINOGRAD_CMD = { input: CMD.winoInput, gemm: CMD.winoGemm, output: CMD.winoOutput } as const;
export const WINOGRAD_PHASE: Readonly<Record<number, WinogradPhase>> = {
  [CMD.winoInput]: 'input',
  [CMD.winoGemm]: 'gemm',
  [CMD.winoOutput]: 'output',
};
/** Where a Winograd job's integers start in the job block (their count first). */
export const WINOGRAD_INTS = JOB.packed;

/** Fields of a PackedGemm in the job block, from JOB.packed. */
const PK = {
  M: 0,
  N: 1,
  K: 2,
  /** Packed A: buffer id, offset, rows, padded rows. */
  A: 3,
  /** 0 a matrix (B.mat at Bm, 4 fields), 1 im2col (x buffer id and offset at Bm, the 12 geometry fields at geometry). */
  bKind: 7,
  Bm: 8,
  geometry: 10,
  C: 22,
  /** bias buffer id and offset */
  bias: 26,
  /** 0 none, 1 relu, 2 relu6 */
  relu: 28,
  /** 1 when there is a residual, then its matrix */
  hasResidual: 29,
  residual: 30,
  /** 0 split by rows, 1 by columns. */
  range: 34,
  /** 1 with a Prologue, then its buffer id, float offset, channels, channel0, relu. */
  hasPrologue: 35,
  prologue: 36,
} as const;
const GEOMETRY = ['h', 'w', 'kh', 'kw', 'sh', 'sw', 'dh', 'dw', 'top', 'left', 'hout', 'wout'] as const;

/** How the threads share a PackedGemm: by columns when there are enough (each packs its own B), else by rows. */
export function packedSplit(job: PackedGemm, parts: number, mr: number, nr: number): 'rows' | 'columns' | undefined {
  if (job.M * job.N * job.K < SPLIT_MACS) return undefined;
  if (job.N >= 8 * nr * parts) return 'columns';
  if (job.M >= 2 * mr * parts) return 'rows';
  if (job.N >= 2 * nr * parts) return 'columns';
  return undefined;
}

/** Part p of `parts` of a PackedGemm: [r0, r1) x [c0, c1). */
export function packedPart(
  job: PackedGemm,
  split: 'rows' | 'columns',
  parts: number,
  p: number,
  mr: number,
  nr: number,
): [number, number, number, number] {
  if (split === 'rows') {
    const [r0, r1] = partRange(job.M, parts, p, mr);
    return [r0, r1, 0, job.N];
  }
  const [c0, c1] = partRange(job.N, parts, p, nr);
  return [0, job.M, c0, c1];
}

/** Reads back what writePacked wrote (buffers by id: the worker's map). */
export function readPacked(job: Int32Array, buffer: (id: number) => Float32Array): PackedGemm {
  const at = JOB.packed;
  const f = (i: number) => job[at + i];
  const mat = (i: number): Mat => ({ data: buffer(f(i)), offset: f(i + 1), rs: f(i + 2), cs: f(i + 3) });
  const geometry = Object.fromEntries(GEOMETRY.map((k, i) => [k, f(PK.geometry + i)])) as unknown as ConvGeometry;
  const pro = PK.prologue;
  const prologue =
    f(PK.hasPrologue) === 1
      ? {
          prologue: {
            ss: new Float64Array(buffer(f(pro)).buffer, f(pro + 1) * 4, 2 * f(pro + 2)),
            channels: f(pro + 2),
            channel0: f(pro + 3),
            relu: f(pro + 4) === 1,
          },
        }
      : {};
  return {
    M: f(PK.M),
    N: f(PK.N),
    K: f(PK.K),
    A: { data: buffer(f(PK.A)), offset: f(PK.A + 1), M: f(PK.M), K: f(PK.K), mPad: f(PK.A + 3) },
    B:
      f(PK.bKind) === 0
        ? { kind: 'mat', mat: mat(PK.Bm), ...prologue }
        : { kind: 'im2col', x: buffer(f(PK.Bm)), xOff: f(PK.Bm + 1), geometry, ...prologue },
    C: mat(PK.C),
    bias: buffer(f(PK.bias)),
    biasOffset: f(PK.bias + 1),
    relu: f(PK.relu) >= 1,
    relu6: f(PK.relu) === 2,
    ...(f(PK.hasResidual) === 1 ? { residual: mat(PK.residual) } : {}),
  };
}

/**
 * Fields of a window job (window-kernel.ts: a depthwise conv or max pooling of one sample, split
 * by channels) in the job block, from JOB.packed: every tensor in the engine memory, by address.
 */
export const WJ = {
  op: 0,
  act: 1,
  cin: 2,
  cout: 3,
  x: 4,
  y: 5,
  res: 6,
  weights: 7,
  bias: 8,
  scratch: 9,
  scratchStride: 10,
  geometry: 11,
} as const;
const ACTS = ['none', 'relu', 'relu6'] as const;

/** Writes a window job (the main thread). */
export function writeWindow(j: Int32Array, w: WindowJob, scratch: number, scratchStride: number): void {
  const at = JOB.packed;
  j[at + WJ.op] = w.op === 'max' ? 1 : 0;
  j[at + WJ.act] = ACTS.indexOf(w.act);
  j[at + WJ.cin] = w.layout.cin;
  j[at + WJ.cout] = w.layout.cout;
  j[at + WJ.x] = w.a.x;
  j[at + WJ.y] = w.a.y;
  j[at + WJ.res] = w.a.res;
  j[at + WJ.weights] = w.a.weights;
  j[at + WJ.bias] = w.a.bias;
  j[at + WJ.scratch] = scratch;
  j[at + WJ.scratchStride] = scratchStride;
  GEOMETRY.forEach((k, i) => (j[at + WJ.geometry + i] = w.layout.geometry[k]));
}

/** Reads back a window job and this part's scratch address (a worker). */
export function readWindow(j: Int32Array, part: number): WindowJob {
  const at = JOB.packed;
  const f = (i: number) => j[at + i];
  const geometry = Object.fromEntries(GEOMETRY.map((k, i) => [k, f(WJ.geometry + i)])) as unknown as ConvGeometry;
  return {
    op: f(WJ.op) === 1 ? 'max' : 'mac',
    act: ACTS[f(WJ.act)],
    layout: { cin: f(WJ.cin), cout: f(WJ.cout), geometry },
    a: {
      x: f(WJ.x),
      y: f(WJ.y),
      res: f(WJ.res),
      weights: f(WJ.weights),
      bias: f(WJ.bias),
      scratch: f(WJ.scratch) + part * f(WJ.scratchStride),
    },
  };
}

/** How the job block's PackedGemm is split (each thread computes its own part from it). */
export function packedSplitOf(job: Int32Array): 'rows' | 'columns' {
  return job[JOB.packed + PK.range] === 0 ? 'rows' : 'columns';
}
/**
 * Layout of the shared sync block (Int32Array): the job's sequence number; the chunks of it
 * finished; whether a thread failed; the workers that finished their start (or failed it); the
 * claim word (the job's tag and the next chunk to take, see claimChunk); the job's chunk count.
 */
export const SYNC = { seq: 0, done: 1, failed: 2, ready: 3, claim: 4, chunks: 5, size: 8 } as const;

/** The claim word: the job's tag above CHUNK_BITS, the next chunk below. */
const CHUNK_BITS = 12;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
/** The claim word between jobs: no tag matches it. */
const CLOSED = -1;
/** The least work of a chunk (MACs, or window work), below which a job is cut into fewer. */
const CHUNK_WORK = 1 << 18;

/** The tag of job `seq` in the claim word (an int32; 2^20 jobs before a tag repeats). */
export function jobTag(seq: number): number {
  return (seq & 0xfffff) << CHUNK_BITS;
}

/**
 * Takes the next chunk of the job tagged `tag`: its index, or -1 when every chunk is taken or
 * that job is over. The chunk count is read after the claim word and the claim is a
 * compare-and-swap of it, so a thread that woke late for a job never takes a chunk of the next.
 */
export function claimChunk(sync: Int32Array, tag: number): number {
  for (;;) {
    const v = Atomics.load(sync, SYNC.claim);
    if ((v & ~CHUNK_MASK) !== tag || v === CLOSED) return -1;
    const c = v & CHUNK_MASK;
    if (c >= Atomics.load(sync, SYNC.chunks)) return -1;
    if (Atomics.compareExchange(sync, SYNC.claim, v, v + 1) === v) return c;
  }
}

/**
 * How many chunks a job of `work` splits into when its `units` (column blocks, channels) are
 * independent: up to `perThread` a thread, none under CHUNK_WORK, at least one a thread. More
 * chunks than threads let a thread that is running take the work of one that is late (asleep,
 * or preempted: on a 2-core virtual machine a busy thread loses a scheduler tick, 4 ms, a few
 * times a second); but a GEMM's chunks each stream all of A, so those stay one a thread (chunks
 * are still taken by whichever thread is free: a late worker's goes to the main thread).
 */
export function chunkCount(work: number, units: number, threads: number, perThread: number): number {
  const wanted = Math.max(threads, Math.min(threads * perThread, Math.floor(work / CHUNK_WORK)));
  return Math.max(1, Math.min(units, wanted, CHUNK_MASK));
}

/** How long a thread waiting for a job, or for the others' chunks, spins before it sleeps (ms). */
export const SPIN_MS = 2;

/** How long the first job waits for the workers to start (load their modules, warm up) before it gives up. */
const START_TIMEOUT_MS = 60_000;

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
    const memory = new EngineMemory(undefined, undefined, sharedAllocator);
    const engine = createGemmEngine(undefined, memory);
    const wasm = engine.name === 'wasm-simd';
    const workers: Worker[] = [];
    const ports: MessagePort[] = [];
    const job = new Int32Array(new SharedArrayBuffer(JOB.size * 4));
    const sync = new Int32Array(new SharedArrayBuffer(SYNC.size * 4));
    sync[SYNC.claim] = CLOSED;
    const online: Promise<void>[] = [];
    for (let i = 0; i < threads - 1; i++) {
      const { port1, port2 } = new MessageChannel();
      // Each worker's GEMM scratch, in the shared engine memory.
      const scratch = wasm ? memory.addressOf(memory.alloc(WASM_GEMM_BYTES / 4)) : -1;
      const workerData = { job, sync, index: i, port: port2, wasm, ...(wasm ? { memory: memory.memory, scratch } : {}) };
      const w = new Worker(url, { workerData, transferList: [port2] });
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
    const chunks = splitRows ? parts : chunkCount(M * N * K, Math.floor(N / nr), parts, 1);
    this.writeMat(JOB.A, A);
    this.writeMat(JOB.B, B);
    this.writeMat(JOB.C, C);
    this.share(chunks, 'a matrix multiply', (c) => gemmPart(M, N, K, A, B, C, accumulate, splitRows, chunks, c, this.engine));
  }

  override gemmPacked(job: PackedGemm): void {
    const parts = this.threads;
    const { mr, nr } = this.engine;
    const split = packedSplit(job, parts, mr, nr);
    const mats = [
      job.A.data,
      job.bias,
      job.C.data,
      job.B.kind === 'mat' ? job.B.mat.data : job.B.x,
      ...(job.residual ? [job.residual.data] : []),
    ];
    const shared = mats.every((d) => d.buffer instanceof SharedArrayBuffer && d.buffer.byteLength < 2 ** 33);
    if (!split || !shared) {
      super.gemmPacked(job);
      return;
    }
    this.macs += job.M * job.N * job.K;
    const j = this.job;
    const at = JOB.packed;
    j[JOB.cmd] = CMD.packed;
    j[at + PK.M] = job.M;
    j[at + PK.N] = job.N;
    j[at + PK.K] = job.K;
    j[at + PK.A] = this.register(job.A.data.buffer);
    j[at + PK.A + 1] = job.A.offset + job.A.data.byteOffset / 4;
    j[at + PK.A + 2] = job.A.M;
    j[at + PK.A + 3] = job.A.mPad;
    if (job.B.kind === 'mat') {
      j[at + PK.bKind] = 0;
      this.writeMat(at + PK.Bm, job.B.mat);
    } else {
      j[at + PK.bKind] = 1;
      j[at + PK.Bm] = this.register(job.B.x.buffer);
      j[at + PK.Bm + 1] = job.B.xOff + job.B.x.byteOffset / 4;
      const g = job.B.geometry;
      GEOMETRY.forEach((k, i) => (j[at + PK.geometry + i] = g[k]));
    }
    this.writeMat(at + PK.C, job.C);
    j[at + PK.bias] = this.register(job.bias.buffer);
    j[at + PK.bias + 1] = job.biasOffset + job.bias.byteOffset / 4;
    j[at + PK.relu] = job.relu6 ? 2 : job.relu ? 1 : 0;
    j[at + PK.hasResidual] = job.residual ? 1 : 0;
    if (job.residual) this.writeMat(at + PK.residual, job.residual);
    j[at + PK.range] = split === 'rows' ? 0 : 1;
    const pro = job.B.prologue;
    j[at + PK.hasPrologue] = pro ? 1 : 0;
    if (pro) {
      j[at + PK.prologue] = this.register(pro.ss.buffer);
      j[at + PK.prologue + 1] = pro.ss.byteOffset / 4;
      j[at + PK.prologue + 2] = pro.channels;
      j[at + PK.prologue + 3] = pro.channel0;
      j[at + PK.prologue + 4] = pro.relu ? 1 : 0;
    }
    const chunks = split === 'rows' ? parts : chunkCount(job.M * job.N * job.K, Math.floor(job.N / nr), parts, 1);
    const engine = this.engine as WasmGemm;
    this.share(chunks, 'a matrix multiply', (c) => {
      const [r0, r1, c0, c1] = packedPart(job, split, chunks, c, mr, nr);
      engine.gemmPacked(job, r0, r1, c0, c1);
    });
  }

  /**
   * A window job (window-kernel.ts) split by channels between the threads, each with its own
   * scratch (in the engine memory, grown to the largest a job needs); small ones run here alone.
   */
  shareWindow(w: WindowJob): boolean {
    const g = w.layout.geometry;
    const work = w.layout.cout * g.hout * g.wout * g.kh * g.kw;
    if (!this.arena || work < SPLIT_WINDOW || w.layout.cout < this.threads) return false;
    const stride = this.growWindowScratch(g);
    // A 64-byte aligned block of the engine memory, or -1 when the memory is full (then one thread).
    const base = this.addressOf(this.windowScratch);
    if (base < 0) return false;
    writeWindow(this.job, w, base, stride);
    this.job[JOB.cmd] = CMD.window;
    const chunks = chunkCount(work, w.layout.cout, this.threads, 4);
    // The main thread's scratch is the last one.
    const mine = readWindow(this.job, this.threads - 1);
    this.share(chunks, 'a depthwise conv or pooling', (c) => {
      const [c0, c1] = partRange(w.layout.cout, chunks, c, 1);
      runWindowJob(this.memory!, mine, c0, c1);
    });
    return true;
  }

  /**
   * A phase of a Winograd block (winograd.ts) shared between the threads: its integers written to
   * the job block, every thread running winogradChunks on its own strip and GEMM.
   */
  shareWinograd(phase: WinogradPhase, ints: readonly number[], chunks: number): boolean {
    const memory = this.memory;
    if (!memory || !(this.engine instanceof WasmGemm) || ints.length + 1 > JOB.size - WINOGRAD_INTS) return false;
    this.job[JOB.cmd] = WINOGRAD_CMD[phase];
    this.job[WINOGRAD_INTS] = ints.length;
    this.job.set(ints, WINOGRAD_INTS + 1);
    this.share(chunks, `Winograd's ${phase} phase`, winogradChunks(phase, memory, ints, chunks, this.threads - 1, this.engine));
    return true;
  }

  private windowScratch: Float32Array = new Float32Array(0);

  /** Grows the threads' window scratch for jobs of this geometry; returns a thread's share, bytes. */
  private growWindowScratch(g: ConvGeometry): number {
    const stride = Math.ceil(scratchBytes(scratchPlan(g)) / 64) * 64;
    if (this.windowScratch.length * 4 < stride * this.threads) {
      this.windowScratch = this.allocatePlan((stride * this.threads) / 4);
    }
    return stride;
  }

  /** Before the first pass: the window scratch made and its pages written (window-kernel.ts prepareWindowScratch). */
  prepareShare(g: ConvGeometry): void {
    if (!this.arena) return;
    this.growWindowScratch(g);
    this.windowScratch.fill(0);
  }
  private started = false;

  /**
   * Runs the job in the job block as `chunks` chunks, which every thread takes one at a time
   * (claimChunk) until none is left; `run` is the main thread's way of running chunk c. Then waits
   * for the chunks the workers took. The first time, waits (bounded) until every worker has
   * started: a worker that failed to load would otherwise leave the main thread waiting for ever,
   * blocked where its 'error' event cannot reach it.
   */
  private share(chunks: number, what: string, run: (c: number) => void): void {
    const sync = this.sync;
    if (!this.started) {
      const workers = this.workers.length;
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (let ready = Atomics.load(sync, SYNC.ready); ready < workers; ready = Atomics.load(sync, SYNC.ready)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`the worker threads did not start within ${START_TIMEOUT_MS / 1000} s (use --threads 1)`);
        Atomics.wait(sync, SYNC.ready, ready, left);
      }
      if (Atomics.load(sync, SYNC.failed) !== 0) throw new Error('a worker thread failed to start (use --threads 1)');
      this.started = true;
    }
    // The job block was written while the claim word was CLOSED: a late worker takes nothing of it
    // until the claim word carries this job's tag, stored after the chunk count.
    const seq = Atomics.load(sync, SYNC.seq) + 1;
    const tag = jobTag(seq);
    Atomics.store(sync, SYNC.done, 0);
    Atomics.store(sync, SYNC.chunks, chunks);
    Atomics.store(sync, SYNC.claim, tag);
    Atomics.store(sync, SYNC.seq, seq);
    Atomics.notify(sync, SYNC.seq);
    let mine = 0;
    for (let c = claimChunk(sync, tag); c >= 0; c = claimChunk(sync, tag)) {
      run(c);
      mine++;
    }
    // Every chunk is taken: wait for the workers' (spinning first, as they do between jobs,
    // worker.ts awaitJob: they usually finish within microseconds of this thread).
    Atomics.add(sync, SYNC.done, mine);
    const until = performance.now() + SPIN_MS;
    for (let done = Atomics.load(sync, SYNC.done); done < chunks; done = Atomics.load(sync, SYNC.done)) {
      if (performance.now() > until) Atomics.wait(sync, SYNC.done, done);
    }
    Atomics.store(sync, SYNC.claim, CLOSED);
    if (Atomics.load(sync, SYNC.failed) !== 0) throw new Error(`a worker thread failed during ${what}`);
  }

  private writeMat(at: number, m: Mat): void {
    this.job[at] = this.register(m.data.buffer);
    this.job[at + 1] = m.offset + m.data.byteOffset / 4;
    this.job[at + 2] = m.rs;
    this.job[at + 3] = m.cs;
  }

  private register(buffer: ArrayBufferLike): number {
    if (this.arena?.owns(buffer)) return 0;
    let id = this.ids.get(buffer);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(buffer, id);
      for (const port of this.ports) port.postMessage({ add: id, buffer });
    }
    return id;
  }

  override release(t: Tensor): void {
    super.release(t);
    const id = this.ids.get(t.data.buffer);
    if (id === undefined) return;
    this.ids.delete(t.data.buffer);
    for (const port of this.ports) port.postMessage({ release: id });
  }

  async close(): Promise<void> {
    this.job[JOB.cmd] = CMD.exit;
    Atomics.store(this.sync, SYNC.claim, CLOSED);
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
