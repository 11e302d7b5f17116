import { defineConfig } from 'tsup';

/** Build settings shared by every package: one ESM entry with type declarations, for Node 20. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
