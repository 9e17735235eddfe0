import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Worker threads that keep their module graph between files: the source is transformed and
    // imported once per worker instead of once per file (the suite's CPU time halves). Tests must
    // not rely on fresh module state; the CLI tests call the CLI in-process and restore what they set.
    pool: 'threads',
    isolate: false,
    // One worker per core: vitest's default keeps one core for its main thread, which idles here
    // (on 2 cores that halves the suite's speed).
    maxWorkers: availableParallelism(),
    testTimeout: 20000,
  },
});
