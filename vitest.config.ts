import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // a few unit tests run real timers against in-process servers: room for a loaded machine
          testTimeout: 30_000,
          include: [
            'src/**/*.test.ts',
            'lab/src/**/*.test.ts',
            'test/unit/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Each file starts its own lab; one file at a time keeps the 2-core machine's timings sane.
          fileParallelism: false,
          testTimeout: 180_000,
          // lab up builds the upstream binaries on a machine that has none (npm test prepares them first)
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
