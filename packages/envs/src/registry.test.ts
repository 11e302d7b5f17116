import { describe, expect, it } from 'vitest';
import { CartPoleEnv } from './cartPole';
import { LunarLanderEnv } from './lunarLander';
import { MultiTaskVectorEnv } from './multiTaskVectorEnv';
import { createSuite, createTaskEnv, listSuites, registerSuite, suiteNames } from './registry';

describe('registry', () => {
  it('lists the built-in suites with tasks, action kind and description', () => {
    const suites = listSuites();
    const byName = new Map(suites.map((s) => [s.name, s]));
    expect(byName.get('cartpole-mt')?.tasks).toHaveLength(10);
    expect(byName.get('cartpole-mt')?.actionKind).toBe('discrete');
    expect(byName.get('lunarlander-mt')?.tasks).toHaveLength(10);
    expect(byName.get('lunarlander-mt')?.actionKind).toBe('discrete');
    expect(byName.get('lunarlander-mt-continuous')?.actionKind).toBe('continuous');
    for (const s of suites) expect(s.description.length).toBeGreaterThan(10);
  });

  it('unknown suite → error naming it and listing the known ones', () => {
    expect(() => createSuite('nope-mt')).toThrow(/Unknown suite "nope-mt"\. Known suites: .*cartpole-mt.*lunarlander-mt/);
    expect(() => createTaskEnv('nope-mt', 0)).toThrow(/nope-mt/);
  });

  it('createSuite builds vector envs with parsed options and variants', () => {
    const cp = createSuite('cartpole-mt', { seed: 3, rowsPerTask: 2 });
    expect(cp.numRows).toBe(20);
    expect(cp.actionKind).toBe('discrete');
    const ll = createSuite('lunarlander-mt', { continuous: true, rowsPerTask: 1, maxEpisodeSteps: 7 });
    expect(ll.actionKind).toBe('continuous');
    expect(ll.singleActionSpace.kind).toBe('box');
    expect(ll).toBeInstanceOf(MultiTaskVectorEnv);
    expect((ll as MultiTaskVectorEnv).envAt(0).maxEpisodeSteps).toBe(7);
    expect(createSuite('lunarlander-mt-continuous', { rowsPerTask: 1 }).actionKind).toBe('continuous');
    expect(createSuite('lunarlander-mt-discrete', { rowsPerTask: 1 }).actionKind).toBe('discrete');
    expect(() => createSuite('lunarlander-mt-discrete', { continuous: true })).toThrow(/fixes continuous = false/);
    expect(() => createSuite('cartpole-mt', { continuous: true })).toThrow(/no continuous variant/);
    expect(() => createSuite('cartpole-mt', { rowsPerTask: 0 })).toThrow();
    expect(() => createSuite('cartpole-mt', { taskSampling: 'random' as never })).toThrow();
  });

  it('createTaskEnv builds one env of the right class and task', () => {
    const e = createTaskEnv('cartpole-mt', 4, { maxEpisodeSteps: 9 });
    expect(e).toBeInstanceOf(CartPoleEnv);
    expect(e.taskName).toBe('tight-limits');
    expect(e.maxEpisodeSteps).toBe(9);
    const l = createTaskEnv('lunarlander-mt', 8, { continuous: true });
    expect(l).toBeInstanceOf(LunarLanderEnv);
    expect(l.taskName).toBe('pad-right');
    expect(() => createTaskEnv('cartpole-mt', 10)).toThrow(/task index/);
  });

  it('registerSuite adds exact and prefix suites and refuses duplicates', () => {
    registerSuite('test-prefix:*', {
      description: 'test prefix suite: one cartpole task named after the suite',
      taskNames: (name) => [name.slice('test-prefix:'.length)],
      actionKind: () => 'discrete',
      createEnv: (taskIndex, options, name) =>
        new CartPoleEnv({ taskIndex, seed: options.seed, tasks: [{ name: name.slice(12), description: 'x', gravity: 9.8, massCart: 1, massPole: 0.1, halfPoleLength: 0.5, forceMag: 10, thetaThreshold: 0.2, xThreshold: 2.4 }] }),
    });
    expect(suiteNames()).toContain('test-prefix:*');
    const venv = createSuite('test-prefix:MyEnv-v0', { rowsPerTask: 3 });
    expect(venv.taskNames).toEqual(['MyEnv-v0']);
    expect(venv.numRows).toBe(3);
    expect(listSuites().some((s) => s.name.startsWith('test-prefix'))).toBe(false);
    expect(() => registerSuite('cartpole-mt', { description: '', taskNames: () => [], actionKind: () => 'discrete', createEnv: () => new CartPoleEnv() })).toThrow(/already registered/);
  });
});
