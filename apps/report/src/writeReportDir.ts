/**
 * Writes the report directory atomically: every file goes into a fresh sibling temp directory,
 * which is then renamed into place, so a crash leaves either the old report or the new one, never
 * a half-written one. An existing OUT is replaced only when it is empty or an earlier report
 * (its summary.json says `"generator": "varshare-report"`); anything else is refused.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Thrown when OUT exists and is not something the report may replace (CLI: exit code 2). */
export class OutDirError extends Error {
  override readonly name = 'OutDirError';
}

/** Why `outDir` may not be replaced, or undefined when it may (absent, empty directory, earlier report). */
export function outDirProblem(outDir: string): string | undefined {
  if (!existsSync(outDir)) return undefined;
  if (!statSync(outDir).isDirectory()) return `--out ${outDir} exists and is not a directory`;
  const entries = readdirSync(outDir);
  if (entries.length === 0) return undefined;
  try {
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as { generator?: unknown };
    if (summary.generator === 'varshare-report') return undefined;
  } catch {
    // fall through: not a report
  }
  return `--out ${outDir} is a non-empty directory that is not an earlier varshare-report output; refusing to replace it`;
}

/**
 * Writes `files` (relative name → content) as directory `outDir`, atomically.
 * @throws OutDirError when `outDirProblem(outDir)` finds a problem (nothing is written then)
 */
export function writeReportDir(outDir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  const target = resolve(outDir);
  const problem = outDirProblem(target);
  if (problem !== undefined) throw new OutDirError(problem);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  const old = join(parent, `.${basename(target)}.old-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(tmp);
    for (const [name, content] of files) {
      const path = join(tmp, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    if (existsSync(target)) {
      // rename(2) cannot replace a non-empty directory: move the old report aside first.
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(target) && existsSync(old)) renameSync(old, target);
    throw err;
  }
}
