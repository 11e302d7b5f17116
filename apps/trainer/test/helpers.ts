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
