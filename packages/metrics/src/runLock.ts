/**
 * One writer per run directory (CONTRACTS.md: "One process writes a run directory at a time").
 *
 * The lock is the file `RUN_DIR/run.lock`, holding who owns it (pid, host, start time, command).
 * It is created atomically and complete: the holder record is written to a private temp file that
 * is then hard-linked to `run.lock` (link(2) fails when the name exists), so no reader ever sees a
 * half-written lock. A lock whose holder is a dead process on this host (or a process of an earlier
 * boot, or a recycled pid) is stale and taken over; a live holder, or one on another host whose
 * state cannot be checked from here, makes {@link acquireRunLock} throw {@link RunLockedError}.
 */
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Lock file inside the run directory. */
export const RUN_LOCK_FILE = 'run.lock';

/** Who holds a run lock. */
export interface RunLockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** ISO 8601 time the lock was taken. */
  readonly startTime: string;
  /** What the holder is doing, e.g. `varshare train`. */
  readonly command: string;
  /** Linux: start time of the process in clock ticks since boot (`/proc/<pid>/stat` field 22); tells a recycled pid apart. */
  readonly procStart?: string;
  /** Linux: `/proc/sys/kernel/random/boot_id` when the lock was taken; a lock of an earlier boot is stale. */
  readonly bootId?: string;
  /** Slurm job (array task) of the holder, for the message. */
  readonly slurmJob?: string;
}

/** The run directory is locked by another live process (or one this host cannot check). */
export class RunLockedError extends Error {
  override readonly name = 'RunLockedError';
  constructor(
    readonly dir: string,
    readonly holder: RunLockHolder,
    /** True when the holder is on another host, so whether it still runs is unknown here. */
    readonly otherHost: boolean,
  ) {
    super(describeLockedRun(dir, holder, otherHost));
  }
}

/** A held lock. `release()` is idempotent and also runs at process exit. */
export interface RunLock {
  readonly path: string;
  readonly holder: RunLockHolder;
  release(): void;
}

function describeLockedRun(dir: string, h: RunLockHolder, otherHost: boolean): string {
  const who = `pid ${h.pid} on host ${h.hostname}${h.slurmJob ? ` (Slurm job ${h.slurmJob})` : ''}, running '${h.command}' since ${h.startTime}`;
  return otherHost
    ? `${dir} is locked by ${who}; this host cannot tell whether that process still runs: if it does not, delete ${join(dir, RUN_LOCK_FILE)}`
    : `${dir} is being written by another process: ${who}; wait for it to finish or stop it`;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Field 22 of `/proc/<pid>/stat` (start time in ticks since boot), undefined off Linux. */
function procStartOf(pid: number): string | undefined {
  const stat = readOptional(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is parenthesised and may contain spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

function bootId(): string | undefined {
  return readOptional('/proc/sys/kernel/random/boot_id')?.trim();
}

function slurmJob(): string | undefined {
  const env = process.env;
  if (env['SLURM_ARRAY_JOB_ID'] && env['SLURM_ARRAY_TASK_ID']) return `${env['SLURM_ARRAY_JOB_ID']}_${env['SLURM_ARRAY_TASK_ID']}`;
  return env['SLURM_JOB_ID'] || undefined;
}

/** The holder record of this process. */
function selfHolder(command: string): RunLockHolder {
  const procStart = procStartOf(process.pid);
  const boot = bootId();
  const job = slurmJob();
  return {
    pid: process.pid,
    hostname: hostname(),
    startTime: new Date().toISOString(),
    command,
    ...(procStart !== undefined ? { procStart } : {}),
    ...(boot !== undefined ? { bootId: boot } : {}),
    ...(job !== undefined ? { slurmJob: job } : {}),
  };
}

function parseHolder(text: string): RunLockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<RunLockHolder>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.hostname === 'string' && typeof v.startTime === 'string') {
      return { command: 'unknown', ...v } as RunLockHolder;
    }
  } catch {
    // not a lock record
  }
  return undefined;
}

/** The holder recorded in `dir/run.lock`, or undefined when there is no (readable) lock. */
export function readRunLock(dir: string): RunLockHolder | undefined {
  const text = readOptional(join(dir, RUN_LOCK_FILE));
  return text === undefined ? undefined : parseHolder(text);
}

/**
 * Whether the holder of a lock still runs: `live`, `dead` (stale lock), or `other-host` (cannot be
 * checked from here; treated as live).
 */
export function lockHolderState(h: RunLockHolder): 'live' | 'dead' | 'other-host' {
  if (h.hostname !== hostname()) return 'other-host';
  const boot = bootId();
  if (h.bootId !== undefined && boot !== undefined && h.bootId !== boot) return 'dead';
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    // EPERM: the pid exists but belongs to another user — alive.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
  }
  if (h.procStart !== undefined) {
    const now = procStartOf(h.pid);
    if (now !== undefined && now !== h.procStart) return 'dead'; // the pid was recycled
  }
  return 'live';
}

/** Sleeps without an event loop (the lock is taken synchronously, before any async work). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A takeover mutex older than this was left by a process that died inside a microsecond-long critical section. */
const TAKEOVER_STALE_MS = 30_000;

let tempCounter = 0;

/**
 * Takes the lock of run directory `dir` (which must exist) for `command` (for messages, e.g.
 * `varshare train`).
 * @throws RunLockedError when another live process (or one on another host) holds it
 */
export function acquireRunLock(dir: string, command: string): RunLock {
  const path = join(dir, RUN_LOCK_FILE);
  const holder = selfHolder(command);
  const text = `${JSON.stringify(holder)}\n`;
  tempCounter += 1;
  const tmp = `${path}.new-${process.pid}-${tempCounter}`;
  const writeTemp = () => {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  };
  writeTemp();
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 200) throw new Error(`${path}: could not take the lock (other processes keep taking it over)`);
      try {
        linkSync(tmp, path);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && existsSync(dir)) {
          writeTemp(); // our record was removed (a cleanup that judged it stale): write it again
          continue;
        }
        if (code !== 'EEXIST') throw err;
      }
      const current = readOptional(path);
      if (current === undefined) continue; // released between link and read: try again
      const other = parseHolder(current);
      if (other !== undefined) {
        const state = lockHolderState(other);
        if (state !== 'dead') throw new RunLockedError(dir, other, state === 'other-host');
      }
      // Stale (or unreadable, i.e. not written by this code): take it over under a mutex, so two
      // processes that both found it stale cannot both remove it and each create a fresh lock.
      if (takeOver(path, current, tmp)) break;
      pause(10);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    // Only remove the lock if it is still ours (someone may have deleted a lock they judged stale).
    const now = readOptional(path);
    if (now !== undefined && now === text) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { path, holder, release };
}

/** Replaces the stale lock whose content was `stale` by the lock in `tmp`. False when another process got there first. */
function takeOver(path: string, stale: string, tmp: string): boolean {
  const mutex = `${path}.takeover`;
  try {
    mkdirSync(mutex);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(mutex).mtimeMs > TAKEOVER_STALE_MS) rmdirSync(mutex);
    } catch {
      // removed meanwhile
    }
    return false;
  }
  try {
    if (readOptional(path) !== stale) return false; // changed since judged stale
    unlinkSync(path);
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false; // a fresh lock appeared: re-evaluate it
      throw err;
    }
    return true;
  } finally {
    rmdirSync(mutex);
  }
}

/** Leftover of an {@link acquireRunLock} that died between writing its record and linking it. */
export function isLockTempFile(name: string): boolean {
  return name.startsWith(`${RUN_LOCK_FILE}.new-`);
}
