import { describe, expect, it } from 'vitest';
import { Rng, foldEnvSeed } from '@varshare/base';
import { CARTPOLE_TASKS, CartPoleEnv } from './cartPole';
import type { CartPoleTaskSpec } from './cartPole';

/** Puts an env into a chosen physical state through the public state API. */
function placeAt(env: CartPoleEnv, taskIndex: number, s: readonly [number, number, number, number]): void {
  env.setTask(taskIndex);
  env.reset({ seed: 0 });
  const state = env.getState() as { core: Record<string, unknown> } & Record<string, unknown>;
  env.setState({ ...state, core: { x: s[0], xDot: s[1], theta: s[2], thetaDot: s[3], terminated: false } } as never);
}

/**
 * Independent reference: solve the two equations of motion as a 2×2 linear system (Cramer's rule)
 *   (M+m)·ẍ + m·l·cosθ·θ̈ = F + m·l·θ̇²·sinθ
 *   cosθ·ẍ + (4/3)·l·θ̈   = g·sinθ
 * and take one explicit Euler step of 0.02 s.
 */
function referenceStep(t: CartPoleTaskSpec, s: readonly number[], action: number): number[] {
  const [x, xd, th, thd] = s as [number, number, number, number];
  const F = action === 1 ? t.forceMag : -t.forceMag;
  const M = t.massCart + t.massPole;
  const ml = t.massPole * t.halfPoleLength;
  const a11 = M;
  const a12 = ml * Math.cos(th);
  const a21 = Math.cos(th);
  const a22 = (4 / 3) * t.halfPoleLength;
  const b1 = F + ml * thd * thd * Math.sin(th);
  const b2 = t.gravity * Math.sin(th);
  const det = a11 * a22 - a12 * a21;
  const xacc = (b1 * a22 - a12 * b2) / det;
  const thacc = (a11 * b2 - a21 * b1) / det;
  return [x + 0.02 * xd, xd + 0.02 * xacc, th + 0.02 * thd, thd + 0.02 * thacc];
}

describe('CartPoleEnv physics', () => {
  it('matches a hand-worked Euler step from rest (baseline, push right)', () => {
    // State (0,0,0,0), action 1 → F = +10, M = 1.1, m·l = 0.05, sinθ = 0, cosθ = 1:
    //   temp = (10 + 0)/1.1                      = 100/11
    //   θ̈   = (9.8·0 − 1·100/11) / (0.5·(4/3 − 0.1/1.1)) = −(100/11)/(41/66) = −600/41 ≈ −14.634146
    //   ẍ   = 100/11 − 0.05·(−600/41)·1/1.1      = 100/11 + 300/451 = 400/41 ≈ 9.756098
    // Euler (positions use the old velocities): x = 0, ẋ = 0.02·400/41 = 8/41 ≈ 0.195122,
    //   θ = 0, θ̇ = 0.02·(−600/41) = −12/41 ≈ −0.292683.
    const env = new CartPoleEnv();
    placeAt(env, 0, [0, 0, 0, 0]);
    const { observation, reward, terminated, truncated } = env.step(1);
    expect(observation[0]).toBe(0);
    expect(observation[1]).toBeCloseTo(8 / 41, 6);
    expect(observation[2]).toBe(0);
    expect(observation[3]).toBeCloseTo(-12 / 41, 6);
    expect(reward).toBe(1);
    expect(terminated).toBe(false);
    expect(truncated).toBe(false);
    // Float64 internal state is exact to ~1e-15 (the observation is float32-rounded).
    const core = (env.getState() as { core: { xDot: number; thetaDot: number } }).core;
    expect(core.xDot).toBeCloseTo(8 / 41, 14);
    expect(core.thetaDot).toBeCloseTo(-12 / 41, 14);
  });

  it('matches the linear-system reference on every task from random states', () => {
    const env = new CartPoleEnv();
    const rng = new Rng(foldEnvSeed(5));
    CARTPOLE_TASKS.forEach((task, i) => {
      for (let k = 0; k < 20; k++) {
        const s = [rng.uniform(-0.5, 0.5), rng.uniform(-1, 1), rng.uniform(-0.05, 0.05), rng.uniform(-1, 1)] as const;
        const a = rng.nextIntUnbiased(2);
        placeAt(env, i, s);
        env.step(a);
        const core = (env.getState() as { core: { x: number; xDot: number; theta: number; thetaDot: number } }).core;
        const ref = referenceStep(task, s, a);
        expect(core.x).toBeCloseTo(ref[0] ?? Number.NaN, 12);
        expect(core.xDot).toBeCloseTo(ref[1] ?? Number.NaN, 12);
        expect(core.theta).toBeCloseTo(ref[2] ?? Number.NaN, 12);
        expect(core.thetaDot).toBeCloseTo(ref[3] ?? Number.NaN, 12);
      }
    });
  });

  it('resets uniformly within ±0.05 and terminates just past the limits of each task', () => {
    const env = new CartPoleEnv();
    for (let seed = 0; seed < 50; seed++) {
      const { observation } = env.reset({ seed });
      for (const v of observation) expect(Math.abs(v)).toBeLessThanOrEqual(0.05);
    }
    CARTPOLE_TASKS.forEach((task, i) => {
      // x just inside the limit moving outward by 0.02·ẋ = 0.002: crosses the threshold.
      placeAt(env, i, [task.xThreshold - 0.001, 0.1, 0, 0]);
      expect(env.step(1).terminated).toBe(true);
      placeAt(env, i, [task.xThreshold - 0.01, 0.1, 0, 0]);
      expect(env.step(1).terminated).toBe(false);
      placeAt(env, i, [0, 0, -task.thetaThreshold + 0.001, -0.1]);
      expect(env.step(0).terminated).toBe(true);
    });
  });
});

describe('CartPoleEnv tasks', () => {
  it('has 10 tasks including the five ComplexCartPole ones, all distinct', () => {
    const names = CARTPOLE_TASKS.map((t) => t.name);
    expect(names).toHaveLength(10);
    expect(new Set(names).size).toBe(10);
    for (const n of ['baseline', 'short-light-pole', 'long-heavy-pole', 'low-gravity', 'tight-limits']) expect(names).toContain(n);
    expect(CARTPOLE_TASKS[0]).toMatchObject({ gravity: 9.8, massCart: 1, massPole: 0.1, halfPoleLength: 0.5, forceMag: 10, xThreshold: 2.4 });
    expect(CARTPOLE_TASKS[0]?.thetaThreshold).toBeCloseTo((12 * 2 * Math.PI) / 360, 12);
  });

  it('every pair of tasks differs in next state or termination from some common state and action', () => {
    const env = new CartPoleEnv();
    // A probe set: a tilted, moving state under both actions, plus a state near the tight limits
    // (tasks differing only in limits are told apart by termination).
    const probes: [readonly [number, number, number, number], number][] = [
      [[0.3, 0.5, 0.08, -0.4], 1],
      [[0.3, 0.5, 0.08, -0.4], 0],
      [[1.25, 0.1, 0, 0], 1],
      [[0, 0, 0.2, 0.1], 1],
      [[2.45, 0.1, 0, 0], 1],
    ];
    const signature = (i: number): number[] =>
      probes.flatMap(([s, a]) => {
        placeAt(env, i, s);
        const r = env.step(a);
        return [...r.observation, r.terminated ? 1 : 0];
      });
    const sigs = CARTPOLE_TASKS.map((_, i) => signature(i));
    for (let i = 0; i < sigs.length; i++) {
      for (let j = i + 1; j < sigs.length; j++) {
        const diff = Math.max(...(sigs[i] ?? []).map((v, k) => Math.abs(v - (sigs[j]?.[k] ?? Number.NaN))));
        expect(diff, `${CARTPOLE_TASKS[i]?.name} vs ${CARTPOLE_TASKS[j]?.name}`).toBeGreaterThan(1e-4);
      }
    }
  });
});

describe('CartPoleEnv episode contract', () => {
  it('throws before reset and after the episode ends; truncates at 500 with success', () => {
    const env = new CartPoleEnv();
    expect(() => env.step(0)).toThrow(/before reset/);
    env.reset({ seed: 1 });
    let r = env.step(0);
    while (!r.terminated) r = env.step(0);
    expect(r.info.success).toBe(false);
    expect(() => env.step(0)).toThrow(/after the episode ended/);

    // A balancing controller keeps the baseline pole up for the full 500 steps.
    let obs = env.reset({ seed: 2 }).observation;
    let steps = 0;
    for (;;) {
      const a = (obs[2] ?? 0) + 0.3 * (obs[3] ?? 0) + 0.01 * (obs[0] ?? 0) + 0.05 * (obs[1] ?? 0) > 0 ? 1 : 0;
      r = env.step(a);
      obs = r.observation;
      steps += 1;
      if (r.terminated || r.truncated) break;
      expect(r.info.success).toBe(false);
    }
    expect(steps).toBe(500);
    expect(r.truncated).toBe(true);
    expect(r.terminated).toBe(false);
    expect(r.info.success).toBe(true);
  });

  it('rejects invalid actions', () => {
    const env = new CartPoleEnv();
    env.reset();
    expect(() => env.step(2)).toThrow(/integer in \[0, 2\)/);
    expect(() => env.step(-1)).toThrow(RangeError);
    expect(() => env.step(new Float32Array([1]))).toThrow(TypeError);
    expect(() => new CartPoleEnv({ taskIndex: 10 })).toThrow(/task index/);
    expect(() => new CartPoleEnv({ maxEpisodeSteps: 0 })).toThrow(/maxEpisodeSteps/);
    expect(() => new CartPoleEnv({ tasks: [{ ...CARTPOLE_TASKS[0]!, massPole: -1 }] })).toThrow(/massPole/);
  });

  it('setTask applies at the next reset only', () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 3 });
    env.setTask(8);
    expect(env.taskIndex).toBe(0);
    env.step(1);
    expect(env.taskIndex).toBe(0);
    const r = env.reset();
    expect(env.taskIndex).toBe(8);
    expect(r.info.taskName).toBe('high-gravity');
  });

  it('getState/setState continues exactly on a fresh instance', () => {
    const a = new CartPoleEnv({ taskIndex: 2 });
    a.reset({ seed: 11 });
    for (let t = 0; t < 5; t++) a.step(t % 2);
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const rest = [1, 1, 0, 1, 0, 0, 1];
    const expected = rest.map((x) => a.step(x));
    const b = new CartPoleEnv();
    b.setState(saved);
    expect(b.taskIndex).toBe(2);
    expect(b.elapsedSteps).toBe(5);
    for (const [i, x] of rest.entries()) expect(b.step(x)).toEqual(expected[i]);
    expect(() => b.setState({ ...saved, env: 'other' })).toThrow(/state of env other/);
  });
});
