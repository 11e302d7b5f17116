import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, foldEnvSeed } from '@varshare/base';
import { ARM_MT10_TASKS, ArmMt10Env } from './armMt10';
import { armMt10ScriptedPolicy } from './armMt10Policies';
import { checkEnv } from './checkEnv';
import { loadMujoco, mujocoHeapBytes } from './mujoco';
import { createSuite, createTaskEnv, prepareSuite } from './registry';


describe('arm-mt10 before MuJoCo is loaded', () => {
  it('createSuite explains how to load the WASM module', () => {
    expect(() => createSuite('arm-mt10', { rowsPerTask: 1 })).toThrow(/prepareSuite\('arm-mt10'\)/);
  });
});

describe('arm-mt10', () => {
  beforeAll(async () => {
    await prepareSuite('arm-mt10');
  });

  it('has Meta-World shapes: 39-d observation, 4-d action in [-1, 1], 500 steps', () => {
    const env = new ArmMt10Env();
    expect(env.observationSize).toBe(39);
    expect(env.actionSize).toBe(4);
    expect(env.maxEpisodeSteps).toBe(500);
    expect(env.taskNames).toEqual(ARM_MT10_TASKS);
    const { observation } = env.reset({ seed: 1 });
    // hand at the initial position, gripper open, previous frame = current frame at reset
    expect(Array.from(observation.slice(0, 4))).toEqual([0, Math.fround(0.6), Math.fround(0.2), 1]);
    expect(Array.from(observation.slice(18, 36))).toEqual(Array.from(observation.slice(0, 18)));
    env.close();
  });

  it('moves the hand by 1 cm per unit action and clips to the workspace', () => {
    const env = new ArmMt10Env();
    env.reset({ seed: 0 });
    const first = env.step(Float32Array.of(1, -0.5, 3, 0)).observation;
    // The hand follows its target through a 5 ms constraint: it has moved, but lags within the step.
    expect(first[0]).toBeGreaterThan(0.003);
    expect(first[0]).toBeLessThan(0.01);
    let o = first;
    for (let t = 0; t < 10; t++) o = env.step(Float32Array.of(0, 0, 0, 0)).observation;
    // settled on the target: 0 + 0.01, 0.6 − 0.005, 0.2 + 0.01 (action 3 clipped to 1)
    expect(o[0]).toBeCloseTo(0.01, 5);
    expect(o[1]).toBeCloseTo(0.595, 5);
    expect(o[2]).toBeCloseTo(0.21, 5);
    for (let t = 0; t < 60; t++) env.step(Float32Array.of(0, 0, 1, 0));
    expect(env.step(Float32Array.of(0, 0, 1, 0)).observation[2]).toBeCloseTo(0.4, 6);
    expect(() => env.step(Float32Array.of(Number.NaN, 0, 0, 0))).toThrow(/NaN/);
    env.close();
  });

  it('passes checkEnv on every task (including truncation at the time limit and exact state restore)', () => {
    for (let task = 0; task < 10; task++) {
      const env = new ArmMt10Env({ taskIndex: task, maxEpisodeSteps: 60 });
      const report = checkEnv(env, { trajectorySteps: 20, contractSteps: 130, requireTimeLimit: true });
      expect(report.checks).toContain('state');
      env.close();
    }
  });

  it('tasks differ: the same seed and action give a different next observation or reward for every pair', () => {
    const outs = ARM_MT10_TASKS.map((_, task) => {
      const env = new ArmMt10Env({ taskIndex: task });
      env.reset({ seed: 5 });
      const r = env.step(Float32Array.of(0.3, 0.5, -0.7, 1));
      env.close();
      return { obs: r.observation, reward: r.reward };
    });
    for (let i = 0; i < 10; i++) {
      for (let j = i + 1; j < 10; j++) {
        const a = outs[i];
        const b = outs[j];
        const same = a !== undefined && b !== undefined && a.reward === b.reward && a.obs.every((v, k) => Object.is(v, b.obs[k]));
        expect(same, `${ARM_MT10_TASKS[i]} vs ${ARM_MT10_TASKS[j]}`).toBe(false);
      }
    }
  });

  it('getState/setState continue bit-identically on a fresh instance, mid-episode', () => {
    for (const task of [2, 3, 7]) {
      const a = new ArmMt10Env({ taskIndex: task });
      const rng = new Rng(foldEnvSeed(9));
      const act = (): Float32Array => Float32Array.of(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1));
      a.reset({ seed: 3 });
      for (let t = 0; t < 37; t++) a.step(act());
      const state = JSON.parse(JSON.stringify(a.getState()));
      const actions = Array.from({ length: 40 }, act);
      const ref = actions.map((x) => a.step(x));
      const b = new ArmMt10Env({ taskIndex: 0 });
      b.setState(state);
      const got = actions.map((x) => b.step(x));
      for (let t = 0; t < actions.length; t++) {
        expect(Array.from(got[t]?.observation ?? [])).toEqual(Array.from(ref[t]?.observation ?? []));
        expect(got[t]?.reward).toBe(ref[t]?.reward);
        expect(got[t]?.info.success).toBe(ref[t]?.info.success);
      }
      a.close();
      b.close();
    }
  });

  it('scripted policies reach success on every task (5 seeds each, within 200 steps)', () => {
    // Measured over seeds 0–29: every seed of every task succeeds, at the latest after 95 steps (push).
    for (let task = 0; task < ARM_MT10_TASKS.length; task++) {
      const env = new ArmMt10Env({ taskIndex: task, maxEpisodeSteps: 200 });
      const policy = armMt10ScriptedPolicy(task);
      for (const seed of [0, 1, 2, 3, 4]) {
        let { observation } = env.reset({ seed });
        let success = false;
        for (let t = 0; t < 200 && !success; t++) {
          const r = env.step(policy(observation));
          observation = r.observation;
          success = r.info.success === true;
        }
        expect(success, `${ARM_MT10_TASKS[task]} seed ${seed}`).toBe(true);
      }
      env.close();
    }
  });

  it('a random policy almost never succeeds (≤ 10% of 20 episodes per task)', () => {
    const venv = createSuite('arm-mt10', { seed: 11, rowsPerTask: 2, maxEpisodeSteps: 150 });
    const rng = new Rng(foldEnvSeed(4));
    const actions = new Float32Array(venv.numRows * venv.actionSize);
    const episodes = new Map<number, { n: number; s: number }>();
    venv.reset();
    // 20 rows × 150 steps per episode: 10 episodes per row → 20 episodes per task
    for (let t = 0; t < 150 * 10; t++) {
      for (let i = 0; i < actions.length; i++) actions[i] = rng.uniform(-1, 1);
      for (const e of venv.step(actions).episodes) {
        const c = episodes.get(e.taskId) ?? { n: 0, s: 0 };
        episodes.set(e.taskId, { n: c.n + 1, s: c.s + (e.success ? 1 : 0) });
      }
    }
    for (let task = 0; task < 10; task++) {
      const c = episodes.get(task);
      expect(c?.n).toBe(20);
      expect((c?.s ?? 0) / 20, ARM_MT10_TASKS[task]).toBeLessThanOrEqual(0.1);
    }
    venv.close();
  }, 60_000);

  it('frees MuJoCo objects: creating/closing envs and many resets do not grow the WASM heap', async () => {
    await loadMujoco();
    const warm = new ArmMt10Env();
    for (let i = 0; i < 20; i++) warm.reset({ seed: i });
    warm.close();
    const before = mujocoHeapBytes();
    for (let i = 0; i < 200; i++) {
      const env = createTaskEnv('arm-mt10', i % 10);
      env.reset({ seed: i });
      env.step(Float32Array.of(0, 0, 0, 1));
      env.close();
    }
    const env = new ArmMt10Env();
    for (let i = 0; i < 2000; i++) env.reset({ seed: i });
    env.close();
    // Checked by breaking close(): leaking the 200 models grows the heap by ≈ 7.6 MB; leaking the
    // 200 MjData (each with its own arena) exhausts the WASM heap before the loop ends.
    expect(mujocoHeapBytes() - before).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(() => env.step(Float32Array.of(0, 0, 0, 0))).toThrow();
  });

  it('createSuite builds 10 tasks × rowsPerTask rows', () => {
    const venv = createSuite('arm-mt10', { seed: 1, rowsPerTask: 1 });
    expect(venv.numRows).toBe(10);
    expect(venv.actionKind).toBe('continuous');
    expect(venv.observationSize).toBe(39);
    venv.close();
  });
});
