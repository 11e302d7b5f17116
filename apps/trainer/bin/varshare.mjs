#!/usr/bin/env node
// Runs the trainer in THIS process (one process, so signals reach the trainer directly and `kill -9`
// of the bin leaves no orphan writing a run):
// - the build (apps/trainer/dist/main.js) when `npm run build` stamped it from the sources as they
//   are now (tools/buildStamp.mjs): start-up ~0.8 s instead of ~2.3 s, and likewise in every worker;
// - otherwise the TypeScript sources (no build step): tsx and a hook for the `source` export
//   condition are registered here, then the CLI entry is imported. VARSHARE_FROM_SOURCE=1 forces this.
// Both run the same code: same seed ⇒ the same run either way.
import { register } from 'node:module';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { freshBuild } from '../../../tools/buildStamp.mjs';

const built = freshBuild('apps/trainer/dist/main.js');
if (built !== null) {
  await import(pathToFileURL(built).href);
} else {
  // tsx resolved from here (not from the working directory), so the bin works from any directory.
  await import(pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href);
  register(new URL('./sourceCondition.mjs', import.meta.url));
  await import(new URL('../src/main.ts', import.meta.url).href);
}
