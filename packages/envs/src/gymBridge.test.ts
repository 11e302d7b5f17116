import { describe, expect, it } from 'vitest';
import { GymBridgeVectorEnv } from './gymBridge';
import { createSuite } from './registry';

function chain(rowsPerTask = 2, seed = 1): GymBridgeVectorEnv {
  const v = createSuite('gym:toy:ToyChain', { seed, rowsPerTask });
  expect(v).toBeInstanceOf(GymBridgeVectorEnv);
  return v as GymBridgeVectorEnv;
}

describe('Gym bridge (plain-Python toy envs)', () => {
  it('reports spaces and tasks from the Python side; one task per env id', () => {
    const v = createSuite('gym:toy:ToyChain,toy:ToyChain', { rowsPerTask: 2 });
    expect(v.numTasks).toBe(2);
    expect(v.numRows).toBe(4);
    expect(v.taskNames).toEqual(['toy:ToyChain', 'toy:ToyChain']);
    expect(v.actionKind).toBe('discrete');
    expect(v.observationSize).toBe(2);
    expect(Array.from(v.singleObservationSpace.low)).toEqual([-2, 0]);
    v.close();
    const r = createSuite('gym:toy:ToyReach', { rowsPerTask: 3 });
    expect(r.actionKind).toBe('continuous');
    expect(r.actionSize).toBe(2);
    expect(r.observationSize).toBe(4);
    r.close();
  });

  it('steps deterministically, autoresets on the same step and reports final observations', () => {
    const run = (): { obs: number[][]; episodes: string[] } => {
      const v = chain(2, 7);
      const obs: number[][] = [Array.from(v.reset().observations)];
      const episodes: string[] = [];
      const a = new Int32Array(v.numRows).fill(1);
      for (let t = 0; t < 12; t++) {
        const out = v.step(a);
        obs.push(Array.from(out.observations));
        for (let r = 0; r < v.numRows; r++) {
          if (out.terminated[r] === 1) {
            // ToyChain terminates at x = 5: final observation x/5 = 1, new episode starts at t = 0
            expect(out.hasFinalObservation[r]).toBe(1);
            expect(out.finalObservations[r * 2]).toBe(1);
            expect(out.observations[r * 2 + 1]).toBe(0);
            expect(out.success[r]).toBe(1);
            expect(out.rewards[r]).toBe(1);
          } else {
            expect(out.hasFinalObservation[r]).toBe(0);
            expect(out.finalObservations[r * 2]).toBe(0);
          }
        }
        for (const e of out.episodes) episodes.push(`${t}:${e.row}:${e.length}:${e.return.toFixed(3)}:${String(e.success)}`);
      }
      v.close();
      return { obs, episodes };
    };
    const a = run();
    const b = run();
    expect(a).toEqual(b);
    // every row walks right from x0 ∈ [−2, 2] and reaches 5 within 7 steps, then again
    expect(a.episodes.length).toBeGreaterThanOrEqual(2);
  });

  it('truncates at the time limit (maxEpisodeSteps override) with the final observation', () => {
    const v = createSuite('gym:toy:ToyChain', { rowsPerTask: 1, maxEpisodeSteps: 4 });
    v.reset({ seed: 2 });
    const a = new Int32Array(1);
    let out = v.step(a);
    for (let t = 1; t < 4; t++) out = v.step(a);
    expect(out.truncated[0]).toBe(1);
    expect(out.terminated[0]).toBe(0);
    expect(out.finalObservations[1]).toBeCloseTo(4 / 50, 6);
    expect(out.observations[1]).toBe(0);
    expect(out.episodes[0]?.length).toBe(4);
    v.close();
  });

  it('different seeds give different starts; setState re-seeds and restarts episodes', () => {
    const v = chain(4, 1);
    const first = Array.from(v.reset().observations);
    const other = Array.from(v.reset({ seed: 2 }).observations);
    expect(first).not.toEqual(other);
    const state = JSON.parse(JSON.stringify(v.getState()));
    v.step(new Int32Array(v.numRows));
    v.setState(state);
    expect(Array.from(v.observations.filter((_, i) => i % 2 === 1))).toEqual([0, 0, 0, 0]); // t = 0 everywhere
    expect(v.getState().restarts).toBe(1);
    v.close();
  });

  it('validates actions', () => {
    const v = chain(1);
    v.reset();
    expect(() => v.step(new Float32Array(1))).toThrow(/Int32Array/);
    expect(() => v.step(Int32Array.of(2))).toThrow(/\[0, 2\)/);
    v.close();
  });

  it('a Python server killed mid-run makes step throw a clear error (no hang)', () => {
    const v = chain(1);
    v.reset();
    v.step(new Int32Array(1));
    process.kill(v.pid, 'SIGKILL');
    const t0 = Date.now();
    expect(() => v.step(new Int32Array(1))).toThrow(/exited unexpectedly during step/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(() => v.step(new Int32Array(1))).toThrow(/no longer running/);
    v.close();
  });

  it('distinct errors for a missing Python, a missing Gymnasium and an unknown env id', () => {
    expect(() => new GymBridgeVectorEnv(['CartPole-v1'], { python: 'definitely-not-a-python-xyz' })).toThrow(/Python not found/);
    // No Gymnasium on this machine: a Gymnasium id fails with the install hint (if it is installed, the id is real).
    let message = '';
    try {
      createSuite('gym:CartPole-v1', { rowsPerTask: 1 }).close();
    } catch (e) {
      message = (e as Error).message;
    }
    if (message !== '') expect(message).toMatch(/gymnasium is not installed/);
    expect(() => createSuite('gym:toy:NoSuchEnv', { rowsPerTask: 1 })).toThrow(/unknown env id.*NoSuchEnv/);
    // Only the toy env classes are selectable: not imported modules, helper classes or functions of toy_envs.py.
    for (const name of ['math', 'random', 'Box', 'Discrete']) {
      expect(() => createSuite(`gym:toy:${name}`, { rowsPerTask: 1 }), name).toThrow(new RegExp(`unknown env id.*has no env '${name}' \\(toy envs: ToyChain, ToyReach\\)`));
    }
    expect(() => createSuite('gym:toy:ToyChain', { taskSampling: 'uniform' })).toThrow(/round-robin/);
  });
});
