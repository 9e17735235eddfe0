import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests spawn nothing: they call the CLI in-process, so the default pool is fine.
    testTimeout: 20000,
  },
});
