import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * The files that load onnxruntime-node in-process. Its native binding is not safe to use from two
 * worker threads of one process at once (microsoft/onnxruntime#24486: V8 entered without its
 * lock), which the threads pool below would do: these run in child processes instead, one
 * thread each.
 */
const ONNXRUNTIME_FILES = [
  'test/execute/onnxruntime.test.ts',
  'test/execute/zoo-onnxruntime.test.ts',
  'test/execute/onnx-weights.test.ts',
  'test/schema/check-run.test.ts',
];

export default defineConfig({
  test: {
    // One worker per core: vitest's default keeps one core for its main thread, which idles here
    // (on 2 cores that halves the suite's speed).
    maxWorkers: availableParallelism(),
    testTimeout: 20000,
    // A test that blocks its thread for ever ends the run in minutes, naming itself (test/support/watchdog-reporter.ts).
    reporters: ['default', './test/support/watchdog-reporter.ts'],
    isolate: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'threads',
          include: ['test/**/*.test.ts'],
          exclude: ONNXRUNTIME_FILES,
          // Worker threads that keep their module graph between files: the source is transformed and
          // imported once per worker instead of once per file (the suite's CPU time halves). Tests must
          // not rely on fresh module state; the CLI tests call the CLI in-process and restore what they set.
          pool: 'threads',
        },
      },
      { extends: true, test: { name: 'onnxruntime', include: ONNXRUNTIME_FILES, pool: 'forks' } },
    ],
  },
});
