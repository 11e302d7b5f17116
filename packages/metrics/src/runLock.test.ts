import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeAtomicTempFiles } from './atomicWrite';
import { RUN_LOCK_FILE, RunLockedError, acquireRunLock, isLockTempFile, lockHolderState, readRunLock } from './runLock';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'varshare-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Pid of a process that has exited (and been reaped), so nothing runs under it right now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const lockText = (fields: Record<string, unknown>) => `${JSON.stringify({ hostname: hostname(), startTime: '2020-01-01T00:00:00.000Z', command: 'varshare train', ...fields })}\n`;

describe('run lock', () => {
  it('records pid, host, start time and command, and release removes it', () => {
    const lock = acquireRunLock(dir, 'varshare train');
    const h = readRunLock(dir);
    expect(h).toMatchObject({ pid: process.pid, hostname: hostname(), command: 'varshare train' });
    expect(Number.isNaN(Date.parse(h!.startTime))).toBe(false);
    expect(lockHolderState(h!)).toBe('live');
    lock.release();
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
    lock.release(); // idempotent
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a second holder while the first is live, naming it', () => {
    const lock = acquireRunLock(dir, 'varshare train');
    let error: unknown;
    try {
      acquireRunLock(dir, 'varshare resume');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RunLockedError);
    expect((error as Error).message).toContain(`pid ${process.pid} on host ${hostname()}`);
    expect((error as Error).message).toContain("running 'varshare train' since");
    // The refused attempt leaves no temp file and does not disturb the holder's lock.
    expect(readdirSync(dir)).toEqual([RUN_LOCK_FILE]);
    expect(readRunLock(dir)?.command).toBe('varshare train');
    lock.release();
  });

  it('takes over the lock of a dead process on this host', () => {
    const pid = deadPid();
    writeFileSync(join(dir, RUN_LOCK_FILE), lockText({ pid }));
    expect(lockHolderState(readRunLock(dir)!)).toBe('dead');
    const lock = acquireRunLock(dir, 'varshare resume');
    expect(readRunLock(dir)).toMatchObject({ pid: process.pid, command: 'varshare resume' });
    lock.release();
  });

  it('takes over a lock whose pid now belongs to another process (recycled pid) or to an earlier boot', () => {
    writeFileSync(join(dir, RUN_LOCK_FILE), lockText({ pid: process.pid, procStart: '1' }));
    const procStart = readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
    if (procStart !== '1') expect(lockHolderState(readRunLock(dir)!)).toBe('dead');
    writeFileSync(join(dir, RUN_LOCK_FILE), lockText({ pid: process.pid, bootId: 'not-this-boot' }));
    expect(lockHolderState(readRunLock(dir)!)).toBe('dead');
    acquireRunLock(dir, 'varshare train').release();
  });

  it('refuses a lock held on another host (it cannot be checked from here) and says how to break it', () => {
    writeFileSync(join(dir, RUN_LOCK_FILE), lockText({ pid: 12345, hostname: 'node-elsewhere', slurmJob: '77_3' }));
    expect(() => acquireRunLock(dir, 'varshare train')).toThrow(/pid 12345 on host node-elsewhere \(Slurm job 77_3\).*if it does not, delete .*run\.lock/);
    expect(readRunLock(dir)?.hostname).toBe('node-elsewhere');
  });

  it('of many processes racing for one directory, exactly one gets the lock', async () => {
    // Each racer reports, then holds whatever it got until every racer has reported (stdin closed).
    const script = `
      const { acquireRunLock } = await import(${JSON.stringify(new URL('./runLock.ts', import.meta.url).href)});
      try { acquireRunLock(process.argv[1], 'racer'); process.stdout.write('got'); }
      catch (e) { process.stdout.write(e.name); }
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));`;
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const reports = children.map((child) => new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    const results = await Promise.all(reports);
    await Promise.all(children.map((child) => new Promise((resolve) => {
      child.on('close', resolve);
      child.stdin.end();
    })));
    expect(results.filter((r) => r === 'got')).toHaveLength(1);
    expect(results.filter((r) => r === 'RunLockedError')).toHaveLength(5);
    // The winner released at exit.
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
  });

  it('removeAtomicTempFiles removes leftovers of dead writers, and nothing else', () => {
    const dead = deadPid();
    // A live process (vitest's parent) may be writing its temp file right now: it stays.
    const live = process.ppid;
    mkdirSync(join(dir, 'checkpoints'));
    writeFileSync(join(dir, 'checkpoints', 'latest.ckpt'), 'x');
    writeFileSync(join(dir, 'checkpoints', `latest.ckpt.tmp-${dead}-4`), 'x');
    writeFileSync(join(dir, `summary.json.tmp-${dead}-1`), 'x');
    writeFileSync(join(dir, `run.lock.new-${dead}-1`), 'x');
    writeFileSync(join(dir, `run.lock.new-${live}-1`), 'x');
    writeFileSync(join(dir, `config.json.tmp-${live}-2`), 'x');
    writeFileSync(join(dir, 'metrics.jsonl'), 'x');
    const removed = removeAtomicTempFiles(dir, 1, isLockTempFile).map((p) => p.slice(dir.length + 1)).sort();
    expect(removed).toEqual([`checkpoints/latest.ckpt.tmp-${dead}-4`, `run.lock.new-${dead}-1`, `summary.json.tmp-${dead}-1`].sort());
    expect(readdirSync(dir).sort()).toEqual(['checkpoints', `config.json.tmp-${live}-2`, 'metrics.jsonl', `run.lock.new-${live}-1`].sort());
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['latest.ckpt']);
  });
});
