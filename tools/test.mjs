#!/usr/bin/env node
// `npm test`: module boundaries, embedded wasm kernels = their .wat sources, the tools' types, then typecheck + tests of every project through nx, then one
// closing line "N passed, M failed" summed from each project's vitest JSON report.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const projects = ['packages/base', 'packages/varshare-core', 'packages/controllers', 'packages/envs', 'packages/metrics', 'packages/rl-ppo', 'apps/trainer', 'apps/report'];
const REPORT = '.vitest-report.json';
for (const p of projects) rmSync(join(root, p, REPORT), { force: true });

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const step = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;

let status = step(process.execPath, ['tools/check-boundaries.mjs']);
if (status === 0) status = step(process.execPath, ['tools/wasm/build.mjs', '--check']);
// The scripts under tools/ (bench, science, soak) are type-checked too: they run from sources with tsx.
if (status === 0) status = step(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.tools.json']);
if (status === 0) status = step(process.execPath, [join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'run-many', '-t', 'typecheck', 'test', '--parallel=2', '--outputStyle=stream', '--skip-nx-cache']);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const p of projects) {
  const file = join(root, p, REPORT);
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
if (status !== 0 && failed === 0) failed = 1; // a typecheck or boundary failure counts as a failure
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
