import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isTimingKey } from '@varshare/metrics';

export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
export const NODE_ARGS = ['--conditions=source', '--import', 'tsx', MAIN];

/** A tiny run: 10 envs × 32 steps = 320 samples per update. */
export const TINY = ['--set', 'envsPerTask=1', '--set', 'ppo.numSteps=32', '--set', 'ppo.numMinibatches=2', '--set', 'ppo.updateEpochs=2', '--set', 'network.hiddenSizes=[16,16]', '--set', 'eval.interval=3', '--set', 'eval.episodes=2', '--set', 'env.maxEpisodeSteps=60', '--set', 'checkpoint.interval=1', '--set', 'tensorboard=false'];

const quiet = (args: string[]) => (args[0] === 'train' || args[0] === 'resume' ? [...args, '--no-progress'] : args);

export function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...quiet(args)], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Lines in a file (0 when absent). */
export function lineCount(path: string): number {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).length;
  } catch {
    return 0;
  }
}

/**
 * Starts the CLI and SIGKILLs it as soon as `file` has at least `lines` lines (polled every 5 ms),
 * i.e. at a chosen point of the update sequence whatever the machine's speed; or lets it finish.
 */
export function cliKilledAt(args: string[], file: string, lines: number): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...quiet(args)], { stdio: 'ignore' });
    const poll = setInterval(() => {
      if (lineCount(file) >= lines) child.kill('SIGKILL');
    }, 5);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ killed: signal === 'SIGKILL', code });
    });
  });
}

/** JSONL rows without timing keys. */
export function rowsWithoutTiming(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).filter(([k]) => !isTimingKey(k))));
}

/** The `varshare` bin (in-process tsx). */
export const BIN = fileURLToPath(new URL('../bin/varshare.mjs', import.meta.url));

/** Whether a process runs under `pid`. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves once `predicate()` holds, checking every 10 ms (the test's own timeout bounds the wait). */
export function waitFor(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (predicate()) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
}

/** A CLI process running in the background, with its exit as a promise. */
export function cliStart(args: string[], nodeArgs: string[] = NODE_ARGS): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [...nodeArgs, ...quiet(args)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}
