#!/usr/bin/env node
// Runs the trainer from its TypeScript sources (no build step) in THIS process: tsx and a hook for
// the `source` export condition are registered here, then the CLI entry is imported. One process, so
// signals reach the trainer directly and `kill -9` of the bin leaves no orphan writing a run.
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

// tsx resolved from here (not from the working directory), so the bin works from any directory.
await import(pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href);
register(new URL('./sourceCondition.mjs', import.meta.url));
await import(new URL('../src/main.ts', import.meta.url).href);
