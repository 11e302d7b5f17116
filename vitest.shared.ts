import { defineConfig } from 'vitest/config';

/**
 * Test settings shared by every project: tests import workspace packages from their sources through
 * the `source` export condition (no build needed); forks isolate tfjs/wasm state per file.
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: { include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000, pool: 'forks' },
});
