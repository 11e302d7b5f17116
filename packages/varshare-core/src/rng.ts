/**
 * Core's random vocabulary. The generator and the seed derivation are owned by `@varshare/base`
 * (one `Rng`, one `deriveSeed` for the whole project); they are re-exported here because core's
 * modules import them from this path. `tfSeed` is core's own: it concerns tf random ops only.
 */
export { Rng, deriveSeed } from '@varshare/base';
export type { RngState } from '@varshare/base';

/**
 * A seed that is safe to hand to tf random ops: tfjs treats a falsy seed (0) as "no seed" and then
 * draws from the global unseeded generator, silently breaking determinism. 0 is mapped to a fixed
 * non-zero value.
 */
export function tfSeed(seed: number): number {
  const s = seed >>> 0;
  return s === 0 ? 0x9e3779b9 : s;
}
