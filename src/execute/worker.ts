/**
 * A GEMM worker thread (see threads.ts): waits for the sequence number to change, takes new and
 * released buffers from its port, computes its part of the job, counts itself done. With the wasm
 * engine it imports the run's engine memory (buffer id 0: views of it by address) and keeps its
 * GEMM scratch at the address the main thread gave it.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { createGemmEngine, type GemmEngine } from './context.js';
import type { Mat } from '../kernels/mat.js';
import {
  claimChunk,
  CMD,
  gemmPart,
  JOB,
  jobTag,
  packedPart,
  packedSplitOf,
  partRange,
  readPacked,
  readWindow,
  SPIN_MS,
  SYNC,
  WINOGRAD_INTS,
  WINOGRAD_PHASE,
} from './threads.js';
import { winogradChunks } from './winograd.js';
import { runWindowJob } from './wasm/window-kernel.js';
import { WasmGemm } from './wasm/gemm-kernel.js';
import { EngineMemory } from './wasm/arena.js';
import { warmUpEngine } from './warmup.js';

const { job, sync, index, port, wasm, memory, scratch } = workerData as {
  job: Int32Array;
  sync: Int32Array;
  index: number;
  port: MessagePort;
  wasm: boolean;
  memory?: WebAssembly.Memory;
  scratch?: number;
};
const buffers = new Map<number, Float32Array>();
let shared: EngineMemory | undefined;
/** The main thread's choice of GEMM, with this thread's own instance (on the shared memory). */
let engine: GemmEngine;
try {
  shared = memory ? new EngineMemory(undefined, memory) : undefined;
  engine = shared ? new WasmGemm(shared, scratch) : createGemmEngine(wasm);
  // This thread's kernels compiled and its loops warmed before the first job (the main thread's
  // warm-up, in buildPlan, does not reach the workers), while the main thread builds the plan.
  if (shared && process.env['CNNSCOPE_WARMUP'] !== '0') warmUpEngine();
} catch (e) {
  // Told through the sync block: the main thread may be blocked waiting, out of reach of 'error'.
  Atomics.store(sync, SYNC.failed, 1);
  throw e;
} finally {
  Atomics.add(sync, SYNC.ready, 1);
  Atomics.notify(sync, SYNC.ready);
}

/**
 * Waits for the sequence number to move past `seen`: spinning first, then asleep. Jobs come
 * tens of microseconds apart within a pass, and a thread put to sleep takes long to wake on a
 * virtual machine (an idle vCPU is descheduled): waking by futex alone made some steps of a
 * two-thread pass several times slower than their median.
 */
function awaitJob(seen: number): void {
  const until = performance.now() + SPIN_MS;
  while (Atomics.load(sync, SYNC.seq) === seen) {
    if (performance.now() > until) {
      Atomics.wait(sync, SYNC.seq, seen);
      return;
    }
  }
}

function buffer(id: number): Float32Array {
  if (id === 0 && shared) return shared.floats();
  const data = buffers.get(id);
  if (!data) throw new Error(`worker ${index}: unknown buffer ${id}`);
  return data;
}

function mat(at: number): Mat {
  return { data: buffer(job[at]), offset: job[at + 1], rs: job[at + 2], cs: job[at + 3] };
}

/** Chunk c of the job in the job block, as this thread runs it: read once per job, after its first claim. */
function jobRunner(): (c: number) => void {
  const chunks = Atomics.load(sync, SYNC.chunks);
  if (job[JOB.cmd] === CMD.window && memory) {
    const w = readWindow(job, index);
    return (c) => {
      const [c0, c1] = partRange(w.layout.cout, chunks, c, 1);
      runWindowJob(memory, w, c0, c1);
    };
  }
  const phase = WINOGRAD_PHASE[job[JOB.cmd]];
  if (phase && memory) {
    const ints = Array.from(job.subarray(WINOGRAD_INTS + 1, WINOGRAD_INTS + 1 + job[WINOGRAD_INTS]));
    return winogradChunks(phase, memory, ints, chunks, index, engine as WasmGemm);
  }
  if (job[JOB.cmd] === CMD.packed) {
    const packed = readPacked(job, buffer);
    const split = packedSplitOf(job);
    return (c) => {
      const [r0, r1, c0, c1] = packedPart(packed, split, chunks, c, engine.mr, engine.nr);
      (engine as WasmGemm).gemmPacked(packed, r0, r1, c0, c1);
    };
  }
  const [M, N, K, A, B, C] = [job[JOB.M], job[JOB.N], job[JOB.K], mat(JOB.A), mat(JOB.B), mat(JOB.C)];
  const accumulate = job[JOB.accumulate] === 1;
  const splitRows = job[JOB.splitRows] === 1;
  return (c) => gemmPart(M, N, K, A, B, C, accumulate, splitRows, chunks, c, engine);
}

let seen = 0;
for (;;) {
  awaitJob(seen);
  seen = Atomics.load(sync, SYNC.seq);
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const msg = m.message as { add?: number; buffer?: SharedArrayBuffer; release?: number };
    if (msg.add !== undefined) buffers.set(msg.add, new Float32Array(msg.buffer!));
    if (msg.release !== undefined) buffers.delete(msg.release);
  }
  if (job[JOB.cmd] === CMD.exit) break;
  // Chunks until none is left; a job that is over by now (this thread woke late) has none.
  const tag = jobTag(seen);
  let run: ((c: number) => void) | undefined;
  for (let c = claimChunk(sync, tag); c >= 0; c = claimChunk(sync, tag)) {
    try {
      run ??= jobRunner();
      run(c);
    } catch {
      Atomics.store(sync, SYNC.failed, 1);
    }
    Atomics.add(sync, SYNC.done, 1);
    Atomics.notify(sync, SYNC.done);
  }
}
port.close();
