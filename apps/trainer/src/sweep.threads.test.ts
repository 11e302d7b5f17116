import { describe, expect, it } from 'vitest';
import { threadsPerJob, trainerCommand } from './sweep';

describe('threads of sweep jobs', () => {
  it('share the cores without oversubscription: ⌊cores / jobs⌋, at least 1', () => {
    expect(threadsPerJob(1, 2)).toBe(2);
    expect(threadsPerJob(2, 2)).toBe(1);
    expect(threadsPerJob(3, 8)).toBe(2);
    expect(threadsPerJob(16, 4)).toBe(1);
  });
  it('are passed to each run as --threads', () => {
    const { args } = trainerCommand({ index: 0, suite: 's', variant: 'v', seed: 1, runDir: '/nonexistent/run', args: ['--suite', 's'] }, 3);
    expect(args.slice(-2)).toEqual(['--threads', '3']);
  });
});
