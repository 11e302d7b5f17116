import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '@varshare/base';
import { createSuite } from './registry';
import { ShardedVectorEnv, shardRanges } from './shardedVectorEnv';
import type { VectorEnv, VectorStepResult } from './vectorEnv';

const open: VectorEnv[] = [];
afterAll(() => open.forEach((e) => e.close()));

function randomActions(env: VectorEnv, rng: Rng): Int32Array | Float32Array {
  if (env.actionKind === 'discrete') return Int32Array.from({ length: env.numRows }, () => rng.nextInt(2));
  return Float32Array.from({ length: env.numRows * env.actionSize }, () => rng.nextFloat() * 2 - 1);
}

/** Everything a step returns, copied (the env overwrites its buffers). */
function snapshot(r: VectorStepResult) {
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

describe('shardRanges', () => {
  it('cuts rows into contiguous, near-even ranges in order', () => {
    expect(shardRanges(10, 3)).toEqual([{ start: 0, count: 4 }, { start: 4, count: 3 }, { start: 7, count: 3 }]);
    expect(shardRanges(2, 5)).toEqual([{ start: 0, count: 1 }, { start: 1, count: 1 }]);
    expect(shardRanges(7, 1)).toEqual([{ start: 0, count: 7 }]);
  });
});

describe('ShardedVectorEnv', () => {
  for (const [suite, options, steps] of [
    ['cartpole-mt', { seed: 3, rowsPerTask: 2, taskSampling: 'uniform', maxEpisodeSteps: 25 }, 120],
    ['lunarlander-mt', { seed: 5, rowsPerTask: 1, continuous: true, maxEpisodeSteps: 40 }, 90],
  ] as const) {
    it(`${suite}: 2 and 3 threads step exactly like one, episodes and state included`, async () => {
      const single = createSuite(suite, options);
      const two = await ShardedVectorEnv.create(suite, options, 2);
      const three = await ShardedVectorEnv.create(suite, options, 3);
      open.push(single, two, three);
      expect([two.threads, three.threads, two.numRows]).toEqual([2, 3, single.numRows]);
      expect(Array.from(two.reset().observations)).toEqual(Array.from(single.reset().observations));
      three.reset();
      const rng = new Rng(9);
      let episodes = 0;
      for (let t = 0; t < steps; t++) {
        const a = randomActions(single, rng);
        const want = snapshot(single.step(a));
        expect(snapshot(two.step(a))).toEqual(want);
        expect(snapshot(three.step(a))).toEqual(want);
        episodes += want.episodes.length;
      }
      expect(episodes).toBeGreaterThan(0); // autoresets happened inside the shards
      // the state is the single env's, and restores across thread counts
      const state = three.getState();
      expect(state).toEqual(single.getState());
      const a = randomActions(single, rng);
      const next = snapshot(single.step(a));
      two.setState(state);
      expect(snapshot(two.step(a))).toEqual(next);
    });
  }

  it('leaves inactive rows unstepped and steps the active ones as without the mask (1 and 2 threads)', async () => {
    const options = { seed: 4, rowsPerTask: 1, maxEpisodeSteps: 30 } as const;
    const full = createSuite('lunarlander-mt', options);
    const masked = createSuite('lunarlander-mt', options);
    const sharded = await ShardedVectorEnv.create('lunarlander-mt', options, 2);
    open.push(full, masked, sharded);
    full.reset();
    let before = Array.from(masked.reset().observations);
    sharded.reset();
    const D = full.observationSize;
    const active = new Uint8Array(full.numRows).fill(1);
    const rng = new Rng(2);
    let idleSteps = 0;
    for (let t = 0; t < 45; t++) {
      const a = randomActions(full, rng);
      const want = snapshot(full.step(a));
      const got = snapshot(masked.step(a, active));
      expect(snapshot(sharded.step(a, active))).toEqual(got);
      for (let r = 0; r < full.numRows; r++) {
        const obs = (x: { observations: number[] }) => x.observations.slice(r * D, (r + 1) * D);
        const outs = (x: typeof want) => [x.rewards[r], x.terminated[r], x.truncated[r], x.success[r], x.taskIds[r], x.hasFinalObservation[r], x.finalObservations.slice(r * D, (r + 1) * D)];
        if (active[r]) {
          expect(obs(got)).toEqual(obs(want));
          expect(outs(got)).toEqual(outs(want));
        } else {
          idleSteps += 1;
          expect(obs(got)).toEqual(before.slice(r * D, (r + 1) * D)); // not stepped
          expect([got.rewards[r], got.terminated[r], got.truncated[r], got.success[r], got.hasFinalObservation[r]]).toEqual([0, 0, 0, 0, 0]);
        }
      }
      expect(got.episodes).toEqual(want.episodes.filter((e) => active[e.row] === 1));
      for (const e of want.episodes) active[e.row] = 0; // as an evaluation: one episode per row
      before = got.observations;
    }
    expect(idleSteps).toBeGreaterThan(0);
    expect(() => masked.step(randomActions(full, rng), new Uint8Array(3))).toThrow(/active flags/);
  });

  it("reports a shard worker's failure in the caller", async () => {
    await expect(ShardedVectorEnv.create('cartpole-mt', { seed: 1, rowsPerTask: 1, continuous: true }, 2)).rejects.toThrow(/no continuous variant/);
  });
});
