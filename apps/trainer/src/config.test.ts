import { describe, expect, it } from 'vitest';
import { listVariants } from '@varshare/controllers';
import { MAX_SEED, NUMERIC_BOUNDS, checkBounds, networkParameterEstimate, numericConfigPaths, resolveRunConfig, roundSteps } from './config';
import { UsageError } from './errors';
import { canonicalJson, configDifferences, configDigest, extendedFromTo } from './runIdentity';

const SUITES = ['cartpole-mt', 'lunarlander-mt', 'arm-mt10'];
const resolved = (suite: string, variant: string, sets: string[] = []) => resolveRunConfig({ suite, variant, seed: 1, sets }).config;

describe('numeric bounds', () => {
  it('cover every numeric key of every variant on every suite, and the defaults lie inside them', () => {
    const unbounded = new Set<string>();
    for (const suite of SUITES) {
      for (const { name } of listVariants()) {
        const config = resolved(suite, name);
        for (const [path] of numericConfigPaths(config)) if (!(path in NUMERIC_BOUNDS)) unbounded.add(path);
        expect(checkBounds(config), `${suite} ${name}`).toBeUndefined();
      }
    }
    // Optional keys absent from the defaults, set here so that they are checked too.
    for (const path of numericConfigPaths(resolved('cartpole-mt', 'baseline', ['env.maxEpisodeSteps=100', 'ppo.targetKl=0.02', 'network.residual=low-rank']))) {
      if (!(path[0] in NUMERIC_BOUNDS)) unbounded.add(path[0]);
    }
    expect([...unbounded]).toEqual([]);
  });

  it('are finite, ordered, and each rejects a value just outside it naming the key', () => {
    for (const [path, [min, max]] of Object.entries(NUMERIC_BOUNDS)) {
      expect(Number.isFinite(min) && Number.isFinite(max) && min <= max, path).toBe(true);
    }
    const base = resolved('cartpole-mt', 'exp3-ratio-controller');
    expect(checkBounds({ ...base, ppo: { ...base.ppo, clipCoef: 1e308 } })).toBe('ppo.clipCoef: 1e+308 is out of range (allowed 0.000001 … 10)');
    expect(checkBounds({ ...base, network: { ...base.network, hiddenSizes: [64, 9000] } })).toBe('network.hiddenSizes: 9000 is out of range (allowed 1 … 8192)');
    expect(checkBounds({ ...base, controller: { ...base.controller, beta: { ...base.controller.beta, gammaUp: 1e9 } } as typeof base.controller })).toMatch(/^controller\.beta\.gammaUp: 1000000000 is out of range/);
    expect(checkBounds({ ...base, steps: 1.5e12 })).toMatch(/^steps: /);
  });

  it('numericConfigPaths lists array elements as path[] and skips presets, meta and seed', () => {
    expect(numericConfigPaths({ seed: 3, a: { b: 1, c: [2, 3] }, presets: { x: { y: 4 } }, meta: { z: 5 }, s: 'x' })).toEqual([
      ['a.b', 1],
      ['a.c[]', 2],
      ['a.c[]', 3],
    ]);
  });
});

describe('run config checks beyond the schemas', () => {
  // A batch of 10 tasks × 4 envs × 64 steps = 2560 rows, whatever experiments/cartpole-mt.yaml says.
  const BATCH = ['envsPerTask=4', 'ppo.numSteps=64'];
  const messageOf = (sets: string[], steps?: number) => {
    try {
      resolveRunConfig({ suite: 'cartpole-mt', variant: 'baseline', seed: 1, sets: [...BATCH, ...sets], ...(steps !== undefined ? { steps } : {}) });
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    return undefined;
  };

  it('rounds steps up to whole batches and reports the rounding', () => {
    expect(roundSteps(5000, resolved('cartpole-mt', 'baseline', BATCH))).toEqual({ requested: 5000, steps: 5120, batch: 2560 });
    const r = resolveRunConfig({ suite: 'cartpole-mt', variant: 'baseline', seed: 1, steps: 5000, sets: BATCH });
    expect(r.config.steps).toBe(5120);
    expect(r.rounding).toEqual({ requested: 5000, steps: 5120, batch: 2560 });
    expect(resolveRunConfig({ suite: 'cartpole-mt', variant: 'baseline', seed: 1, steps: 5120, sets: BATCH }).rounding).toBeUndefined();
  });

  it('rejects minibatches that do not divide the batch, naming the batch size', () => {
    expect(messageOf(['ppo.numMinibatches=7'])).toMatch(/ppo\.numMinibatches \(7\) does not divide the batch of 2560 rows .*e\.g\. 2, 4, 5, 8/);
    expect(messageOf(['ppo.numMinibatches=5'])).toBeUndefined();
  });

  it('bounds seeds to 32 bits', () => {
    expect(MAX_SEED).toBe(4294967295);
    expect(() => resolveRunConfig({ suite: 'cartpole-mt', variant: 'baseline', seed: MAX_SEED + 1 })).toThrow(/--seed: expected an integer 0 … 4294967295/);
    expect(resolveRunConfig({ suite: 'cartpole-mt', variant: 'baseline', seed: MAX_SEED }).config.seed).toBe(MAX_SEED);
  });

  it('estimates the network size from below (observation and output width 1)', () => {
    // [4]: layers 1→4 and 4→1: θ+bias = 4+4 + 4+1 = 13; full residual μ,ρ for 2 tasks: 2·2·(4+4) = 32; ×2 networks.
    expect(networkParameterEstimate({ ...resolved('cartpole-mt', 'baseline').network, hiddenSizes: [4], residual: 'full' }, 2)).toBe(2 * (13 + 32));
    // low-rank r=3: per layer 2·tasks·r·(in+out) = 2·2·3·5 twice.
    expect(networkParameterEstimate({ ...resolved('cartpole-mt', 'baseline').network, hiddenSizes: [4], residual: 'low-rank', rank: 3 }, 2)).toBe(2 * (13 + 60 + 60));
  });
});

describe('run identity', () => {
  it('the digest ignores key order and meta, and changes with variant, seed or any setting', () => {
    const c = resolved('cartpole-mt', 'baseline');
    const reordered = JSON.parse(canonicalJson(c)) as typeof c;
    expect(configDigest(reordered)).toBe(configDigest(c));
    expect(configDigest({ ...c, meta: { startTime: 'x' } } as typeof c)).toBe(configDigest(c));
    expect(configDigest({ ...c, seed: 2 })).not.toBe(configDigest(c));
    expect(configDigest(resolved('cartpole-mt', 'exp1-fixed-prior'))).not.toBe(configDigest(c));
    expect(configDigest({ ...c, ppo: { ...c.ppo, learningRate: 0.002 } })).not.toBe(configDigest(c));
  });

  it('names the differing keys with both values', () => {
    const c = resolved('cartpole-mt', 'baseline');
    expect(configDifferences(c, { ...c, ppo: { ...c.ppo, gamma: 0.9 }, steps: 1 })).toEqual(['ppo.gamma: 0.99 → 0.9', `steps: ${c.steps} → 1`]);
    expect(configDifferences(c, c)).toEqual([]);
  });

  it('an extension chain leads from the checkpoint steps to config.json steps', () => {
    const ext = (fromSteps: number, toSteps: number) => ({ fromSteps, toSteps, atUpdate: 0, at: '' });
    expect(extendedFromTo([ext(100, 200), ext(200, 300)], 100, 300)).toBe(true);
    expect(extendedFromTo([ext(100, 200), ext(200, 300)], 200, 300)).toBe(true);
    expect(extendedFromTo([ext(100, 200)], 100, 300)).toBe(false);
    expect(extendedFromTo([], 100, 100)).toBe(true);
  });
});
