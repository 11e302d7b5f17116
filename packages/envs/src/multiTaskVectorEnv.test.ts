import { describe, expect, it } from 'vitest';
import { Rng, deriveEnvSeed, foldEnvSeed } from '@varshare/base';
import { CartPoleEnv } from './cartPole';
import { LunarLanderEnv } from './lunarLander';
import { MultiTaskVectorEnv } from './multiTaskVectorEnv';
import type { VectorStepResult } from './multiTaskVectorEnv';

const cartpole = (maxEpisodeSteps?: number) => (taskIndex: number) =>
  new CartPoleEnv({ taskIndex, ...(maxEpisodeSteps !== undefined ? { maxEpisodeSteps } : {}) });

function copyResult(r: VectorStepResult) {
  return {
    observations: Array.from(r.observations),
    rewards: Array.from(r.rewards),
    terminated: Array.from(r.terminated),
    truncated: Array.from(r.truncated),
    success: Array.from(r.success),
    finalObservations: Array.from(r.finalObservations),
    hasFinalObservation: Array.from(r.hasFinalObservation),
    taskIds: Array.from(r.taskIds),
    episodes: r.episodes.map((e) => ({ ...e })),
  };
}

describe('MultiTaskVectorEnv', () => {
  it('has M×N rows with round-robin task ids and consistent buffer lengths', () => {
    const venv = new MultiTaskVectorEnv(cartpole(), { rowsPerTask: 3, seed: 1 });
    expect(venv.numTasks).toBe(10);
    expect(venv.numRows).toBe(30);
    expect(venv.taskNames[1]).toBe('short-light-pole');
    expect(venv.singleObservationSpace.shape).toEqual([4]);
    expect(venv.singleActionSpace).toEqual({ kind: 'discrete', n: 2 });
    const { observations, taskIds } = venv.reset();
    expect(observations).toHaveLength(30 * 4);
    expect(Array.from(taskIds)).toEqual(Array.from({ length: 30 }, (_, r) => r % 10));
    for (let t = 0; t < 10; t++) expect(Array.from(taskIds).filter((x) => x === t)).toHaveLength(3);
    const out = venv.step(new Int32Array(30).fill(1));
    expect(out.rewards).toHaveLength(30);
    expect(out.terminated).toHaveLength(30);
    expect(out.truncated).toHaveLength(30);
    expect(out.success).toHaveLength(30);
    expect(out.finalObservations).toHaveLength(120);
    expect(out.hasFinalObservation).toHaveLength(30);
    expect(out.observations).toBe(observations); // buffers are reused
  });

  it('row r matches a single env seeded with deriveEnvSeed(deriveEnvSeed(seed, 0), r), including autoreset', () => {
    const seed = 17;
    const venv = new MultiTaskVectorEnv(cartpole(), { rowsPerTask: 2, seed });
    const rows = venv.numRows;
    const refs = Array.from({ length: rows }, (_, r) => new CartPoleEnv({ taskIndex: r % 10 }));
    const refObs = refs.map((env, r) => env.reset({ seed: deriveEnvSeed(deriveEnvSeed(seed, 0), r) }).observation);
    const first = venv.reset();
    for (let r = 0; r < rows; r++) expect(Array.from(first.observations.subarray(r * 4, r * 4 + 4))).toEqual(Array.from(refObs[r] ?? []));
    const rng = new Rng(foldEnvSeed(4));
    const actions = new Int32Array(rows);
    let ended = 0;
    for (let t = 0; t < 120; t++) {
      for (let r = 0; r < rows; r++) actions[r] = rng.nextIntUnbiased(2);
      const out = venv.step(actions);
      for (let r = 0; r < rows; r++) {
        const ref = refs[r] as CartPoleEnv;
        const s = ref.step(actions[r] ?? 0);
        expect(out.rewards[r]).toBe(s.reward);
        expect(out.terminated[r]).toBe(s.terminated ? 1 : 0);
        expect(out.truncated[r]).toBe(s.truncated ? 1 : 0);
        const done = s.terminated || s.truncated;
        expect(out.hasFinalObservation[r]).toBe(done ? 1 : 0);
        if (done) {
          ended += 1;
          // Final observation = the single env's terminal observation; observation = its next reset.
          expect(Array.from(out.finalObservations.subarray(r * 4, r * 4 + 4))).toEqual(Array.from(s.observation));
          const next = ref.reset().observation;
          expect(Array.from(out.observations.subarray(r * 4, r * 4 + 4))).toEqual(Array.from(next));
        } else {
          expect(Array.from(out.observations.subarray(r * 4, r * 4 + 4))).toEqual(Array.from(s.observation));
          expect(Array.from(out.finalObservations.subarray(r * 4, r * 4 + 4))).toEqual([0, 0, 0, 0]);
        }
      }
    }
    expect(ended).toBeGreaterThan(20);
  });

  it('reports episode statistics with the ended task, and truncation vs termination', () => {
    const venv = new MultiTaskVectorEnv(cartpole(8), { rowsPerTask: 1, seed: 2 });
    venv.reset();
    const returns = new Float64Array(venv.numRows);
    const lengths = new Int32Array(venv.numRows);
    const records = [];
    // Alternate pushes keep every pole up for 8 steps: all rows truncate together at step 8.
    for (let t = 0; t < 8; t++) {
      const out = venv.step(new Int32Array(venv.numRows).fill(t % 2));
      for (let r = 0; r < venv.numRows; r++) {
        returns[r] = (returns[r] ?? 0) + (out.rewards[r] ?? 0);
        lengths[r] = (lengths[r] ?? 0) + 1;
      }
      records.push(...out.episodes);
      if (t < 7) expect(out.episodes).toHaveLength(0);
      else {
        expect(Array.from(out.truncated)).toEqual(new Array(10).fill(1));
        expect(Array.from(out.terminated)).toEqual(new Array(10).fill(0));
        expect(Array.from(out.success)).toEqual(new Array(10).fill(1));
      }
    }
    expect(records).toHaveLength(10);
    for (const e of records) {
      expect(e.length).toBe(8);
      expect(e.return).toBe(8);
      expect(e.success).toBe(true);
      expect(e.terminated).toBe(false);
      expect(e.taskId).toBe(e.row % 10);
      expect(e.taskName).toBe(venv.taskNames[e.taskId]);
    }
    // Now always push left: every row terminates (before 8 steps) and is not a success.
    const terminations = [];
    for (let t = 0; t < 8; t++) {
      const out = venv.step(new Int32Array(venv.numRows).fill(0));
      for (let r = 0; r < venv.numRows; r++) expect((out.terminated[r] ?? 0) + (out.truncated[r] ?? 0)).toBeLessThanOrEqual(1);
      terminations.push(...out.episodes.filter((e) => e.terminated));
    }
    expect(terminations.length).toBeGreaterThan(0);
    for (const e of terminations) {
      expect(e.success).toBe(false);
      expect(e.return).toBe(e.length);
    }
  });

  it("'uniform' redraws each row's task at every reset from a seed-only stream", () => {
    const run = (actionSeed: number): number[][] => {
      const venv = new MultiTaskVectorEnv(cartpole(), { rowsPerTask: 2, seed: 5, taskSampling: 'uniform' });
      venv.reset();
      const rng = new Rng(foldEnvSeed(actionSeed));
      const perRow: number[][] = Array.from({ length: venv.numRows }, (_, r) => [venv.taskIds[r] ?? -1]);
      const a = new Int32Array(venv.numRows);
      for (let t = 0; t < 300; t++) {
        for (let r = 0; r < a.length; r++) a[r] = rng.nextIntUnbiased(2);
        const out = venv.step(a);
        for (const e of out.episodes) perRow[e.row]?.push(out.taskIds[e.row] ?? -1);
      }
      return perRow;
    };
    const a = run(1);
    const b = run(2);
    const all = a.flat();
    expect(new Set(all).size).toBe(10);
    // The k-th episode of row r gets the same task whatever the actions (compare common prefixes).
    for (let r = 0; r < a.length; r++) {
      const n = Math.min(a[r]?.length ?? 0, b[r]?.length ?? 0);
      expect(n).toBeGreaterThan(3);
      expect(a[r]?.slice(0, n)).toEqual(b[r]?.slice(0, n));
    }
    // Rows do not share one sequence.
    expect(a[0]).not.toEqual(a[1]);
  });

  it('getState/setState restores exactly mid-run (cartpole, uniform; lunarlander continuous)', () => {
    const cases = [
      { make: () => new MultiTaskVectorEnv(cartpole(), { rowsPerTask: 2, seed: 3, taskSampling: 'uniform' }), continuous: false, steps: [40, 60] },
      {
        make: () => new MultiTaskVectorEnv((i) => new LunarLanderEnv({ taskIndex: i, continuous: true }), { rowsPerTask: 1, seed: 3 }),
        continuous: true,
        steps: [30, 50],
      },
    ];
    for (const c of cases) {
      const venv = c.make();
      venv.reset();
      const rng = new Rng(foldEnvSeed(8));
      const draw = () => {
        if (c.continuous) {
          const a = new Float32Array(venv.numRows * 2);
          for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-1, 1);
          return a;
        }
        const a = new Int32Array(venv.numRows);
        for (let i = 0; i < a.length; i++) a[i] = rng.nextIntUnbiased(2);
        return a;
      };
      for (let t = 0; t < (c.steps[0] ?? 0); t++) venv.step(draw());
      const saved = JSON.parse(JSON.stringify(venv.getState()));
      const obsAtSave = Array.from(venv.observations);
      const actions = Array.from({ length: c.steps[1] ?? 0 }, draw);
      const expected = actions.map((a) => copyResult(venv.step(a)));
      const fresh = c.make();
      fresh.setState(saved);
      expect(Array.from(fresh.observations)).toEqual(obsAtSave);
      const got = actions.map((a) => copyResult(fresh.step(a)));
      expect(got).toEqual(expected);
      expect(expected.some((r) => r.episodes.length > 0)).toBe(true);
    }
  });

  it('validates actions and call order', () => {
    const venv = new MultiTaskVectorEnv(cartpole(), { rowsPerTask: 1 });
    expect(() => venv.step(new Int32Array(10))).toThrow(/before reset/);
    venv.reset();
    expect(() => venv.step(new Int32Array(9))).toThrow(/expected 10 actions/);
    expect(() => venv.step(new Float32Array(10))).toThrow(/Int32Array/);
    expect(() => venv.step(new Int32Array(10).fill(2))).toThrow(/integer in \[0, 2\)/);
    expect(() => new MultiTaskVectorEnv(cartpole(), { rowsPerTask: 0 })).toThrow(/rowsPerTask/);
    const other = new MultiTaskVectorEnv(cartpole(), { rowsPerTask: 2 });
    expect(() => other.setState(venv.getState())).toThrow(/rowsPerTask/);
  });
});
