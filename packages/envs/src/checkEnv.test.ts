import { describe, expect, it } from 'vitest';
import { CartPoleEnv } from './cartPole';
import { EnvCheckError, checkEnv } from './checkEnv';
import type { JsonObject } from './env';
import { createTaskEnv, listSuites } from './registry';

/** PD controller that balances every cartpole-mt task long enough to reach short time limits. */
const balance = (o: Float32Array): number => ((o[2] ?? 0) + 0.3 * (o[3] ?? 0) + 0.01 * (o[0] ?? 0) + 0.05 * (o[1] ?? 0) > 0 ? 1 : 0);

describe('checkEnv on every task of every suite', () => {
  const variants = [
    { suite: 'cartpole-mt', options: {} },
    { suite: 'lunarlander-mt', options: { continuous: false } },
    { suite: 'lunarlander-mt', options: { continuous: true } },
  ] as const;
  for (const { suite, options } of variants) {
    const tasks = listSuites().find((s) => s.name === suite)?.tasks ?? [];
    it(`${suite} ${JSON.stringify(options)}: ${tasks.length} tasks pass, and truncation happens at the time limit`, () => {
      expect(tasks.length).toBe(10);
      tasks.forEach((_, i) => {
        const report = checkEnv(createTaskEnv(suite, i, options), { seed: i, contractSteps: 600 });
        expect(report.checks).toEqual(
          expect.arrayContaining(['spaces', 'reset', 'step', 'seeding', 'seed-sensitivity', 'contract', 'state']),
        );
        expect(report.episodes).toBeGreaterThan(0);
        // Short time limit so truncation is exercised on every task.
        const short = checkEnv(createTaskEnv(suite, i, { ...options, maxEpisodeSteps: 15 }), {
          seed: i,
          contractSteps: 150,
          requireTimeLimit: true,
          ...(suite === 'cartpole-mt' ? { policy: balance } : {}),
        });
        expect(short.truncatedEpisodes).toBeGreaterThan(0);
      });
    });
  }
  it('the full cartpole-mt time limit (500) is reached with a balancing policy', () => {
    const report = checkEnv(createTaskEnv('cartpole-mt', 0), { policy: balance, contractSteps: 1000, requireTimeLimit: true });
    expect(report.truncatedEpisodes).toBeGreaterThanOrEqual(1);
  });
});

/** CartPole with one defect switched on, to show each check can fail. */
class BrokenCartPole extends CartPoleEnv {
  constructor(private readonly defect: 'nondeterministic' | 'both-flags' | 'out-of-bounds' | 'lossy-state' | 'late-truncation') {
    super({ maxEpisodeSteps: 10 });
  }
  private calls = 0;
  override reset(options?: { seed?: number }) {
    const r = super.reset(options);
    this.calls += 1;
    if (this.defect === 'nondeterministic') r.observation[0] = this.calls * 1e-3;
    if (this.defect === 'out-of-bounds') r.observation[0] = 100;
    return r;
  }
  override step(action: number) {
    const r = super.step(action);
    if (this.defect === 'both-flags' && r.truncated) return { ...r, terminated: true };
    if (this.defect === 'late-truncation' && r.truncated) return { ...r, truncated: false };
    return r;
  }
  override getState(): JsonObject {
    const s = super.getState();
    return this.defect === 'lossy-state' ? { ...s, core: { ...(s.core as JsonObject), thetaDot: 0 } } : s;
  }
}

describe('checkEnv failures name the failed check', () => {
  it.each([
    ['nondeterministic', 'seeding'],
    ['both-flags', 'seeding'],
    ['out-of-bounds', 'reset'],
    ['lossy-state', 'state'],
    ['late-truncation', 'contract'],
  ] as const)('%s → [%s]', (defect, check) => {
    let caught: unknown;
    try {
      checkEnv(new BrokenCartPole(defect), { policy: balance });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EnvCheckError);
    expect((caught as EnvCheckError).check).toBe(check);
    expect((caught as Error).message).toMatch(new RegExp(`^checkEnv \\[${check}\\]`));
  });
});
