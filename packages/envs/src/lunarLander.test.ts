import { describe, expect, it } from 'vitest';
import { Rng, foldEnvSeed } from '@varshare/base';
import { LUNARLANDER_TASKS, LunarLanderEnv } from './lunarLander';
import type { LunarLanderTaskSpec } from './lunarLander';

const BASE = LUNARLANDER_TASKS[0] as LunarLanderTaskSpec;

/** Gymnasium-style PD heuristic (discrete), steering toward `target` in x-observation units. */
function heuristic(s: Float32Array, target: number): number {
  const x = (s[0] ?? 0) - target;
  const angleTarg = Math.max(-0.4, Math.min(0.4, x * 0.5 + (s[2] ?? 0)));
  let angleTodo = (angleTarg - (s[4] ?? 0)) * 0.5 - (s[5] ?? 0);
  let hoverTodo = (0.55 * Math.abs(x) - (s[1] ?? 0)) * 0.5 - (s[3] ?? 0) * 0.5;
  if (s[6] === 1 || s[7] === 1) {
    angleTodo = 0;
    hoverTodo = -(s[3] ?? 0) * 0.5;
  }
  if (hoverTodo > Math.abs(angleTodo) && hoverTodo > 0.05) return 2;
  if (angleTodo < -0.05) return 3;
  if (angleTodo > 0.05) return 1;
  return 0;
}

function rollout(env: LunarLanderEnv, seed: number, actions: readonly (number | Float32Array)[]): { obs: number[][]; rewards: number[] } {
  const obs = [Array.from(env.reset({ seed }).observation)];
  const rewards: number[] = [];
  for (const a of actions) {
    const r = env.step(a);
    obs.push(Array.from(r.observation));
    rewards.push(r.reward);
    if (r.terminated || r.truncated) break;
  }
  return { obs, rewards };
}

describe('LunarLanderEnv', () => {
  it('observation is 8-d, starts near the top centre, and the legs start off the ground', () => {
    const env = new LunarLanderEnv();
    const { observation } = env.reset({ seed: 0 });
    expect(observation).toHaveLength(8);
    // Start at (10 m, 13.33 m): x ≈ 0, y = (13.33 − (3.33 + 0.6)) / 6.67 ≈ 1.41 (moved by one step of push).
    expect(Math.abs(observation[0] ?? 1)).toBeLessThan(0.02);
    expect(observation[1]).toBeGreaterThan(1.35);
    expect(observation[1]).toBeLessThan(1.45);
    expect(observation[6]).toBe(0);
    expect(observation[7]).toBe(0);
    expect(env.actionSpace).toEqual({ kind: 'discrete', n: 4 });
    expect(new LunarLanderEnv({ continuous: true }).actionSpace.kind).toBe('box');
  });

  it('with engines off, higher gravity falls faster (and the world really uses the task gravity)', () => {
    const tasks: LunarLanderTaskSpec[] = [-3, -6, -10, -14].map((g) => ({ ...BASE, name: `g${g}`, gravity: g }));
    const env = new LunarLanderEnv({ tasks });
    const vy: number[] = [];
    tasks.forEach((_, i) => {
      env.setTask(i);
      env.reset({ seed: 4 });
      expect(env.physicsWorld?.getGravity().y).toBe(tasks[i]?.gravity);
      let o: Float32Array = new Float32Array(8);
      for (let t = 0; t < 30; t++) o = env.step(0).observation;
      expect((o[6] ?? 1) + (o[7] ?? 1)).toBe(0); // still airborne
      vy.push(o[3] ?? 0);
    });
    for (let i = 1; i < vy.length; i++) expect(vy[i]).toBeLessThan((vy[i - 1] ?? 0) - 0.1);
    // Same for the suite's own gravity tasks: high-gravity < baseline < low-gravity.
    const suite = new LunarLanderEnv();
    const fall = (task: number): number => {
      suite.setTask(task);
      suite.reset({ seed: 4 });
      let o: Float32Array = new Float32Array(8);
      for (let t = 0; t < 30; t++) o = suite.step(0).observation;
      return o[3] ?? 0;
    };
    expect(fall(2)).toBeLessThan(fall(0));
    expect(fall(0)).toBeLessThan(fall(1));
  });

  it('wind pushes the lander sideways (engines off, same seed, wind-only task vs calm)', () => {
    const tasks: LunarLanderTaskSpec[] = [
      { ...BASE, name: 'calm' },
      { ...BASE, name: 'wind', windPower: 20 },
    ];
    const env = new LunarLanderEnv({ tasks });
    const drift = (task: number): { x: number; vx: number; vy: number } => {
      env.setTask(task);
      env.reset({ seed: 9 });
      let o: Float32Array = new Float32Array(8);
      for (let t = 0; t < 40; t++) o = env.step(0).observation;
      return { x: o[0] ?? 0, vx: o[2] ?? 0, vy: o[3] ?? 0 };
    };
    const calm = drift(0);
    const windy = drift(1);
    // Wind is a horizontal force: it changes x and vx, and leaves vy alone (no turbulence torque, no contact yet).
    expect(Math.abs(windy.x - calm.x)).toBeGreaterThan(0.005);
    expect(Math.abs(windy.vx - calm.vx)).toBeGreaterThan(0.02);
    expect(windy.vy).toBeCloseTo(calm.vy, 4);
    // The suite's windy task drifts too.
    const suite = new LunarLanderEnv();
    const xs = [0, 3].map((task) => {
      suite.setTask(task);
      suite.reset({ seed: 9 });
      let o: Float32Array = new Float32Array(8);
      for (let t = 0; t < 40; t++) o = suite.step(0).observation;
      return o[0] ?? 0;
    });
    expect(Math.abs((xs[1] ?? 0) - (xs[0] ?? 0))).toBeGreaterThan(0.005);
  });

  it('same seed ⇒ identical trajectory; different seeds differ (both action variants)', () => {
    for (const continuous of [false, true]) {
      const env = new LunarLanderEnv({ continuous, taskIndex: 3 });
      const rng = new Rng(foldEnvSeed(1));
      const actions = Array.from({ length: 120 }, () => (continuous ? new Float32Array([rng.uniform(-1, 1), rng.uniform(-1, 1)]) : rng.nextIntUnbiased(4)));
      const a = rollout(env, 5, actions);
      const b = rollout(new LunarLanderEnv({ continuous, taskIndex: 3 }), 5, actions);
      const c = rollout(env, 6, actions);
      expect(a).toEqual(b);
      expect(a.obs[0]).not.toEqual(c.obs[0]);
    }
  });

  it('every pair of tasks gives different trajectories or rewards from the same seed and actions', () => {
    const rng = new Rng(foldEnvSeed(2));
    // Main engine and both side engines all fire within the first steps.
    const actions = Array.from({ length: 25 }, (_, t) => (t < 4 ? 2 : rng.nextIntUnbiased(4)));
    const env = new LunarLanderEnv();
    const runs = LUNARLANDER_TASKS.map((_, i) => {
      env.setTask(i);
      const r = rollout(env, 3, actions);
      return [...r.obs.flat(), ...r.rewards];
    });
    for (let i = 0; i < runs.length; i++) {
      for (let j = i + 1; j < runs.length; j++) {
        const a = runs[i] ?? [];
        const b = runs[j] ?? [];
        const n = Math.min(a.length, b.length);
        let diff = a.length === b.length ? 0 : Infinity;
        for (let k = 0; k < n; k++) diff = Math.max(diff, Math.abs((a[k] ?? 0) - (b[k] ?? 0)));
        expect(diff, `${LUNARLANDER_TASKS[i]?.name} vs ${LUNARLANDER_TASKS[j]?.name}`).toBeGreaterThan(1e-3);
      }
    }
  });

  it('engines: main fires up along the hull axis, side engines rotate in opposite directions, fuel is charged', () => {
    const env = new LunarLanderEnv();
    const step = (a: number): { vy: number; w: number; r: number } => {
      env.reset({ seed: 12 });
      const r = env.step(a);
      return { vy: r.observation[3] ?? 0, w: r.observation[5] ?? 0, r: r.reward };
    };
    const noop = step(0);
    const main = step(2);
    const left = step(1);
    const right = step(3);
    expect(main.vy).toBeGreaterThan(noop.vy + 0.01);
    expect(Math.sign(left.w - noop.w)).toBe(-Math.sign(right.w - noop.w));
    expect(Math.abs(left.w - noop.w)).toBeGreaterThan(1e-3);
    // Continuous: main ≤ 0 and |lateral| ≤ 0.5 is a no-op, identical to discrete 0.
    const cont = new LunarLanderEnv({ continuous: true });
    cont.reset({ seed: 12 });
    const idle = cont.step(new Float32Array([-0.3, 0.4]));
    expect(idle.observation[3]).toBe(noop.vy);
    expect(idle.reward).toBe(noop.r);
    // Out-of-range actions are clipped: 5 behaves as 1.
    cont.reset({ seed: 12 });
    const big = cont.step(new Float32Array([5, 0]));
    cont.reset({ seed: 12 });
    const one = cont.step(new Float32Array([1, 0]));
    expect(big).toEqual(one);
    expect(() => cont.step(new Float32Array([Number.NaN, 0]))).toThrow(/NaN/);
  });

  it('a heuristic pilot lands on the pad: +100, both legs down, success; landing off the pad is not success', () => {
    let successes = 0;
    let offPadLandings = 0;
    for (const [task, target, expectSuccess] of [
      [0, 0, true],
      [7, -0.4, true],
      [8, 0.4, true],
      [0, -0.45, false], // aims at x = 5.5 m, the pad is [8, 12] m
    ] as const) {
      const env = new LunarLanderEnv({ taskIndex: task });
      for (let seed = 0; seed < 6; seed++) {
        let o = env.reset({ seed }).observation;
        for (;;) {
          const r = env.step(heuristic(o, target));
          o = r.observation;
          if (!(r.terminated || r.truncated)) {
            expect(r.info.success).toBe(false);
            continue;
          }
          if (r.info.success) {
            expect(expectSuccess).toBe(true);
            expect(r.terminated).toBe(true);
            expect(r.reward).toBe(100);
            expect([o[6], o[7]]).toEqual([1, 1]);
            const [x1, x2] = env.pad;
            expect(((o[0] ?? 0) * 10 + 10 >= x1 && (o[0] ?? 0) * 10 + 10 <= x2)).toBe(true);
            successes += 1;
          } else if (r.reward === 100 && !expectSuccess) {
            offPadLandings += 1;
          }
          break;
        }
      }
    }
    expect(successes).toBeGreaterThanOrEqual(6);
    expect(offPadLandings).toBeGreaterThanOrEqual(1);
  });

  it('getState mid-episode → fresh env + setState continues bit-identically (discrete and continuous, windy)', () => {
    for (const continuous of [false, true]) {
      const rng = new Rng(foldEnvSeed(7));
      const act = (): number | Float32Array => (continuous ? new Float32Array([rng.uniform(-1, 1), rng.uniform(-1, 1)]) : rng.nextIntUnbiased(4));
      const a = new LunarLanderEnv({ continuous, taskIndex: 9 });
      let o = a.reset({ seed: 21 }).observation;
      // Fly with the heuristic so the lander touches down with contacts during the window.
      for (let t = 0; t < 60; t++) o = a.step(continuous ? act() : heuristic(o, -0.2)).observation;
      const saved = JSON.parse(JSON.stringify(a.getState()));
      const actions = Array.from({ length: 80 }, () => act());
      const expected = [];
      for (const x of actions) {
        const r = a.step(x);
        expected.push(r);
        if (r.terminated || r.truncated) break;
      }
      const b = new LunarLanderEnv({ continuous });
      b.setState(saved);
      const got = [];
      for (const x of actions.slice(0, expected.length)) got.push(b.step(x));
      expect(got).toEqual(expected);
      // The snapshot is verified: a tampered state is refused.
      const bad = JSON.parse(JSON.stringify(saved));
      bad.core.physics.hull[0] += 1e-9;
      expect(() => new LunarLanderEnv({ continuous }).setState(bad)).toThrow(/did not reproduce/);
      expect(() => new LunarLanderEnv({ continuous: !continuous }).setState(saved)).toThrow(/state of env/);
    }
  });

  it('validates task specs', () => {
    expect(() => new LunarLanderEnv({ tasks: [{ ...BASE, gravity: 1 }] })).toThrow(/gravity must be negative/);
    expect(() => new LunarLanderEnv({ tasks: [{ ...BASE, padChunk: 9 }] })).toThrow(/padChunk/);
    expect(() => new LunarLanderEnv({ tasks: [{ ...BASE, windPower: -1 }] })).toThrow(/windPower/);
  });
});
