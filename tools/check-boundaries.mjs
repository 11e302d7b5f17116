#!/usr/bin/env node
// Module-boundary rules (HOUSE-STYLE.md §2), enforced on source imports:
//   apps/trainer → rl-ppo → {varshare-core, controllers, envs, metrics}; apps/report → metrics.
//   Leaf packages do not import each other. `@tensorflow/*` only in varshare-core and rl-ppo.
//   packages/base sits below the leaves: it imports no @varshare package, every project may import it
//   (the vocabulary the leaves share: seeded RNG, median, metric keys, σ_prior values, spec defaults).
//   Relative imports stay inside their project, with one exception: the apps' bins (and the test of
//   that choice) import tools/buildStamp.mjs, which decides between a project's build and its sources
//   from the whole checkout — a property of the repository, not of any package.
// Exit code 1 with one line per violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Which @varshare/* packages each project may import. */
const allowed = {
  'packages/base': [],
  'packages/varshare-core': ['@varshare/base'],
  'packages/controllers': ['@varshare/base'],
  'packages/envs': ['@varshare/base'],
  'packages/metrics': ['@varshare/base'],
  'packages/rl-ppo': ['@varshare/base', '@varshare/core', '@varshare/controllers', '@varshare/envs', '@varshare/metrics'],
  'apps/trainer': ['@varshare/base', '@varshare/rl-ppo', '@varshare/core', '@varshare/controllers', '@varshare/envs', '@varshare/metrics'],
  'apps/report': ['@varshare/base', '@varshare/metrics'],
};
const tfAllowed = new Set(['packages/varshare-core', 'packages/rl-ppo']);

function* tsFiles(dir) {
  let entries = [];
  try { entries = readdirSync(dir); } catch { return; }
  for (const e of entries) {
    if (e === 'node_modules' || e === 'dist') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (/\.(ts|mts|js|mjs)$/.test(e)) yield p;
  }
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const violations = [];
for (const [project, deps] of Object.entries(allowed)) {
  for (const file of tsFiles(join(root, project))) {
    // Comments (JSDoc examples) are not imports.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      const rel = relative(root, file);
      if (spec.startsWith('@tensorflow/') && !tfAllowed.has(project)) {
        violations.push(`${rel}: imports ${spec}, but @tensorflow/* is allowed only in varshare-core and rl-ppo`);
      }
      if (spec.startsWith('@varshare/')) {
        const pkg = spec.split('/').slice(0, 2).join('/');
        if (!deps.includes(pkg)) violations.push(`${rel}: imports ${pkg}, not allowed from ${project}`);
      }
      // Build/test config files may import the shared root settings (tsup.shared.ts, vitest.shared.ts).
      const isConfigFile = /\.config\.(ts|mjs|js)$/.test(file);
      const target = relative(root, join(file, '..', spec));
      const stampUser = /^apps\/[^/]+\/(bin\/[^/]+\.mjs|test\/buildStamp\.test\.ts)$/.test(rel);
      if (stampUser && target === 'tools/buildStamp.mjs') continue;
      if (!isConfigFile && spec.startsWith('../') && relative(root, join(file, '..', spec)).split('/').slice(0, 2).join('/') !== project) {
        violations.push(`${rel}: relative import ${spec} leaves its project`);
      }
    }
  }
}
if (violations.length > 0) {
  console.error(`module boundaries: ${violations.length} violation(s)\n${violations.join('\n')}`);
  process.exit(1);
}
console.log('module boundaries: ok');
