import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, networkConfigSchema, weightModesConfigSchema } from '@varshare/core';
import { MultiTaskAgent } from './agent';
import { actingForward, actingSnapshots, weightOptions } from './policy';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('actingForward: one network or both', () => {
  const agent = () =>
    new MultiTaskAgent({ obsDim: 3, action: { kind: 'continuous', dim: 2 }, numTasks: 3, network: networkConfigSchema.parse({ hiddenSizes: [8, 8], sigmaInit: 0.3 }), sigmaPrior: { kind: 'global', value: 1 }, seed: 4 });
  // a mixed-task batch: rows of tasks 2, 0, 2, 1, 0
  const ids = Int32Array.from([2, 0, 2, 1, 0]);
  const obs = Float32Array.from({ length: ids.length * 3 }, (_, i) => Math.sin(1.7 * i));

  for (const [mode, noise] of [['mean', 'frozen'], ['sample', 'frozen'], ['sample', 'local']] as const) {
    it(`the actor alone gives the head of both, the critic alone their values (${mode} weights, ${noise} noise)`, () => {
      const a = agent();
      const weights = weightModesConfigSchema.parse({ noise });
      const opts = weightOptions(weights, mode, 17);
      const both = actingSnapshots(a, weights, mode, opts);
      const actorOnly = actingSnapshots(a, weights, mode, opts, 'actor');
      expect(both === null).toBe(noise === 'local' && mode === 'sample');
      if (actorOnly) expect(actorOnly[1]).toBeNull();
      const full = actingForward(a, obs, ids, both, opts, 99);
      const head = actingForward(a, obs, ids, actorOnly, opts, 99, 'actor');
      const values = actingForward(a, obs, ids, both, opts, 99, 'critic');
      expect(Array.from(head.head)).toEqual(Array.from(full.head));
      expect(head.values.length).toBe(0);
      expect(Array.from(values.values)).toEqual(Array.from(full.values));
      expect(values.head.length).toBe(0);
      expect(full.head.length).toBe(ids.length * 2);
      // the noise acts: another seed moves sampled weights' outputs, not the means'
      const opts18 = weightOptions(weights, mode, 18);
      const snaps18 = actingSnapshots(a, weights, mode, opts18, 'actor');
      const other = actingForward(a, obs, ids, snaps18, opts18, 100, 'actor');
      expect(Array.from(other.head).some((x, i) => x !== full.head[i])).toBe(mode === 'sample');
      if (actorOnly) expect(() => actingForward(a, obs, ids, actorOnly, opts, 99)).toThrow(/critic snapshot/);
      for (const s of [both, actorOnly, snaps18]) s?.forEach((x) => x?.dispose());
      a.dispose();
    });
  }
});
