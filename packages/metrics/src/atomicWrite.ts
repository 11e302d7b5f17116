/**
 * Atomic file replacement (CONTRACTS.md: checkpoints and summary.json are "written atomically
 * (temp file + rename)"). Readers see either the old file or the complete new one, never a prefix.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync, type Dirent } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringifyJson } from './jsonl';

/** Marker in temp file names: `<name>.tmp-<pid>-<n>`. Anything matching `isAtomicTempFile` is a leftover of a crashed write. */
export const ATOMIC_TEMP_MARKER = '.tmp-';

let tempCounter = 0;

/** Temp path used for writing `path`: same directory (so rename is atomic), unique per process and call. */
export function atomicTempPath(path: string): string {
  tempCounter += 1;
  return join(dirname(path), `${basename(path)}${ATOMIC_TEMP_MARKER}${process.pid}-${tempCounter}`);
}

/** True for file names produced by `atomicTempPath` (e.g. for cleaning up after a crash). */
export function isAtomicTempFile(name: string): boolean {
  return /\.tmp-\d+-\d+$/.test(name);
}

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /** fsync the file before rename and the directory after. Defaults to true. */
  readonly fsync?: boolean;
  /** File mode of the new file. Defaults to 0o644. */
  readonly mode?: number;
}

/**
 * Writes `data` to `path` atomically: write a temp file in the same directory, fsync it, rename it
 * over `path`, fsync the directory. On any error the temp file is removed and `path` is untouched.
 * The directory must exist.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const doSync = options.fsync ?? true;
  const tmp = atomicTempPath(path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', options.mode ?? 0o644);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (doSync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  if (doSync) syncDir(dirname(path));
}

/** fsync a directory so a rename in it survives power loss. Some platforms cannot open directories; that is not an error. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows and some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * `writeFileAtomic` of `value` as JSON (2-space indent, trailing newline; non-finite numbers as
 * `"NaN"`/`"Infinity"`/`"-Infinity"` like the JSONL files).
 */
export function writeJsonAtomic(path: string, value: unknown, options: AtomicWriteOptions = {}): void {
  writeFileAtomic(path, `${stringifyJson(value, 2)}\n`, options);
}

/** Whether the process that named a temp file `<name>-<pid>-<n>` is gone (or is this one), so the file is a leftover. */
function writerGone(name: string): boolean {
  const pid = Number(/-(\d+)-\d+$/.exec(name)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes the temp files of interrupted atomic writes (`isAtomicTempFile`, plus names `alsoRemove`
 * accepts) in `dir` and its sub-directories up to `depth` levels down; returns their paths. Only
 * for the holder of the directory's writer lock, and only files whose writer (the pid in the name)
 * is gone: a process that is being refused the lock may still hold its own temp file there.
 */
export function removeAtomicTempFiles(dir: string, depth = 1, alsoRemove: (name: string) => boolean = () => false): string[] {
  const removed: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (depth > 0) removed.push(...removeAtomicTempFiles(path, depth - 1, alsoRemove));
    } else if ((isAtomicTempFile(e.name) || alsoRemove(e.name)) && writerGone(e.name)) {
      rmSync(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}
