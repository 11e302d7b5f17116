// The build stamp: which sources the built dist/ directories were made from, so the bins can run the
// build (start-up ~0.8 s) instead of the TypeScript sources through tsx (~2.3 s, and as much again in
// every worker thread) exactly when the build is of the sources in the checkout. Plain JavaScript
// with Node built-ins only: the bins import it before tsx is loaded.
//
// `npm run build` (tools/build.mjs) removes the stamp, hashes the sources, builds every package, and
// writes the stamp with that hash. A bin compares the stamp with the sources' hash now: any edit,
// added or removed source file (or a build that did not finish) means the sources run.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The stamp's file, at the repository root (gitignored). */
export const STAMP_FILE = '.build-stamp.json';

/** The repository root (this file is in tools/). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Directories holding workspace packages; each package's src/, package.json and tsup config are inputs. */
const WORKSPACES = ['packages', 'apps'];

function walk(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    // Tests are not part of any bundle: editing one keeps the build current.
    else if (e.isFile() && !/\.test\.[cm]?[jt]s$/.test(e.name)) out.push(p);
  }
}

/** The files a build is made from, sorted: every package's src/ (tests excluded), package.json, tsup config, and the shared tsup settings. */
export function buildInputs(root = REPO_ROOT) {
  const files = [];
  for (const ws of WORKSPACES) {
    const wsDir = join(root, ws);
    if (!existsSync(wsDir)) continue;
    for (const pkg of readdirSync(wsDir, { withFileTypes: true })) {
      if (!pkg.isDirectory()) continue;
      const dir = join(wsDir, pkg.name);
      if (existsSync(join(dir, 'src'))) walk(join(dir, 'src'), files);
      for (const f of ['package.json', 'tsup.config.ts']) if (existsSync(join(dir, f))) files.push(join(dir, f));
    }
  }
  if (existsSync(join(root, 'tsup.shared.ts'))) files.push(join(root, 'tsup.shared.ts'));
  return files.map((f) => relative(root, f).split('\\').join('/')).sort();
}

/** SHA-256 over the inputs' paths and contents (hex). */
export function sourceHash(root = REPO_ROOT) {
  const h = createHash('sha256');
  for (const f of buildInputs(root)) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Removes the stamp (before a build: a build that does not finish leaves none). */
export function clearStamp(root = REPO_ROOT) {
  rmSync(join(root, STAMP_FILE), { force: true });
}

/** Records that the dist/ directories are built from sources with `hash`. */
export function writeStamp(hash, root = REPO_ROOT) {
  writeFileSync(join(root, STAMP_FILE), `${JSON.stringify({ sourceHash: hash, builtAt: new Date().toISOString() })}\n`);
}

/**
 * The built entry `entry` (a path relative to the root, e.g. `apps/trainer/dist/main.js`) when it
 * exists and the stamp's hash equals the sources' hash now; null otherwise, and always with
 * VARSHARE_FROM_SOURCE=1 in the environment.
 */
export function freshBuild(entry, root = REPO_ROOT, env = process.env) {
  if (env.VARSHARE_FROM_SOURCE === '1') return null;
  const path = join(root, entry);
  const stampPath = join(root, STAMP_FILE);
  if (!existsSync(path) || !existsSync(stampPath)) return null;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return null;
  }
  return typeof stamp?.sourceHash === 'string' && stamp.sourceHash === sourceHash(root) ? path : null;
}
