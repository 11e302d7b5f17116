import { describe, expect, it } from 'vitest';
import { Rng, deriveEnvSeed, deriveSeed, foldEnvSeed } from './rng';

/** Plain BigInt reference of one xoshiro128** step (independent of the Math.imul implementation). */
function referenceNext(s: bigint[]): bigint {
  const M = 0xffffffffn;
  const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;
  const [s0, s1, s2, s3] = s as [bigint, bigint, bigint, bigint];
  const result = (rotl((s1 * 5n) & M, 7n) * 9n) & M;
  const t = (s1 << 9n) & M;
  let n2 = s2 ^ s0;
  let n3 = s3 ^ s1;
  const n1 = s1 ^ n2;
  const n0 = s0 ^ n3;
  n2 ^= t;
  n3 = rotl(n3, 11n);
  s[0] = n0;
  s[1] = n1;
  s[2] = n2;
  s[3] = n3;
  return result;
}

const take = (n: number, f: () => number): number[] => Array.from({ length: n }, f);
const envRng = (seed: number): Rng => new Rng(foldEnvSeed(seed));

/**
 * Outputs of the three generators this module replaced, recorded from their last versions
 * (packages/varshare-core/src/rng.ts, packages/envs/src/rng.ts, packages/metrics/src/rng.ts at
 * 4e0bc65). The golden PPO metrics, env episodes and the report's bootstrap depend on these streams.
 */
describe('streams equal the replaced generators', () => {
  it("core's Rng: seeding, nextUint32, nextFloat, nextInt, normal, nextSeed, state; deriveSeed", () => {
    const r = new Rng(12345);
    expect(take(4, () => r.nextUint32())).toEqual([518667457, 440444462, 4232892992, 3757857622]);
    expect(take(3, () => r.nextFloat())).toEqual([0.9171242855954915, 0.31075522652827203, 0.8836059633176774]);
    expect(take(4, () => r.nextInt(1000))).toEqual([487, 658, 181, 248]);
    expect(take(3, () => r.normal())).toEqual([0.03284286473291008, 0.7653440001577316, -0.7563475578739648]);
    expect(r.nextSeed()).toBe(690092826);
    expect(r.getState()).toEqual({ algorithm: 'xoshiro128**', s: [845985439, 794023510, 911627523, 4075417669], spare: 0.46273050372646307 });
    const zero = new Rng(0);
    expect(take(2, () => zero.nextUint32())).toEqual([3809008728, 1133695204]);
    expect([deriveSeed(0, 0), deriveSeed(1, 0), deriveSeed(1, 1), deriveSeed(12345, 13), deriveSeed(4294967295, 7)]).toEqual([
      520022130, 3955302380, 1605550031, 3294679180, 3642320146,
    ]);
  });

  it("envs' Rng (folded seed): nextUint32, nextFloat, unbiased ints, uniform, normal, reseed, state; deriveEnvSeed", () => {
    const r = envRng(12345);
    expect(take(4, () => r.nextUint32())).toEqual([1603689063, 961396028, 3884907255, 4232687519]);
    expect(take(2, () => r.nextFloat())).toEqual([0.7732368097640574, 0.10319249774329364]);
    expect(take(4, () => r.nextIntUnbiased(1000))).toEqual([846, 306, 492, 473]);
    expect([r.uniform(-1, 1), r.uniform(-0.05, 0.05)]).toEqual([0.7343563665635884, 0.03304027714766562]);
    expect(take(3, () => r.normalOneMinusU())).toEqual([1.0815699648714083, 0.5007360168079826, 0.9224421040707975]);
    expect(r.getState()).toEqual({ algorithm: 'xoshiro128**', s: [3486230998, 3554213381, 771903633, 1624688440], spare: -0.3473153671919347 });
    const big = envRng(2 ** 40 + 3);
    expect(take(2, () => big.nextUint32())).toEqual([2329502123, 3625194731]);
    const reseeded = envRng(0);
    reseeded.reseed(foldEnvSeed(77));
    expect(take(2, () => reseeded.nextUint32())).toEqual([347405509, 4239829836]);
    expect([deriveEnvSeed(0, 0), deriveEnvSeed(1, 0), deriveEnvSeed(1, 1), deriveEnvSeed(12345, 13), deriveEnvSeed(2 ** 40 + 3, 2 ** 33 + 1)]).toEqual([
      1597417776, 3013372845, 1585205917, 2430218199, 2399870749,
    ]);
  });

  it("metrics' createRng (the report's bootstrap): same seeding as core, unbiased ints", () => {
    const r = new Rng(12345);
    expect(take(4, () => r.nextUint32())).toEqual([518667457, 440444462, 4232892992, 3757857622]);
    // The recorded run drew three 53-bit floats (two words each) before these.
    for (let i = 0; i < 6; i++) r.nextUint32();
    expect(take(4, () => r.nextIntUnbiased(1000))).toEqual([152, 106, 279, 813]);
    expect(take(4, () => r.nextIntUnbiased(3))).toEqual([0, 0, 1, 2]);
    const s = new Rng(2463534242);
    expect(take(4, () => s.nextIntUnbiased(7))).toEqual([4, 4, 1, 3]);
  });
});

describe('Rng', () => {
  it('matches a BigInt reference of xoshiro128** for 1000 outputs', () => {
    const rng = envRng(12345);
    const ref = rng.getState().s.map((w) => BigInt(w));
    for (let i = 0; i < 1000; i++) expect(rng.nextUint32()).toBe(Number(referenceNext(ref)));
  });

  it('matches a hand-stepped reference from state [1, 2, 3, 4]', () => {
    // Output = rotl(s1·5, 7)·9, then the state update (t = s1<<9; s2^=s0; s3^=s1; s1^=s2; s0^=s3; s2^=t; s3=rotl(s3,11)).
    // 1st: s1=2 → rotl(10,7)=1280, ·9 = 11520.  New state: s2=3^1=2, s3=4^2=6, s1=2^2=0, s0=1^6=7, s2=2^1024=1026, s3=6<<11=12288.
    // 2nd: s1=0 → 0.  New state: s2=1026^7=1029, s3=12288^0=12288, s1=0^1029=1029, s0=7^12288=12295, s2=1029^0, s3=rotl(12288,11)=25165824.
    // 3rd: s1=1029 → 1029·5=5145, rotl(5145,7)=658560, ·9 = 5927040.
    const rng = new Rng(0);
    rng.setState({ s: [1, 2, 3, 4], spare: null });
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([11520, 0, 5927040]);
    // 3rd step's state update (hex): t = 1029<<9 = 0x80A00; s2 = 0x405^0x3007 = 0x3402; s3 = 0x1800000^0x405 = 0x1800405;
    // s1 = 0x405^0x3402 = 0x3007; s0 = 0x3007^0x1800405 = 0x1803402; s2 = 0x3402^0x80A00 = 0x83E02;
    // s3 = rotl(0x1800405, 11) = 0x00202800 | (0x1800405 >>> 21 = 0xC) = 0x20280C.
    expect(rng.getState().s).toEqual([0x1803402, 0x3007, 0x83e02, 0x20280c]);
  });

  it('same seed gives the same stream, different seeds differ; reseed equals a fresh generator', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xa = take(20, () => a.nextFloat());
    expect(take(20, () => b.nextFloat())).toEqual(xa);
    expect(take(20, () => c.nextFloat())).not.toEqual(xa);
    c.normal();
    c.reseed(7);
    expect(take(20, () => c.nextFloat())).toEqual(xa);
    expect(new Rng(1).nextUint32()).not.toBe(new Rng(2).nextUint32());
  });

  it('env seeds above 2^32 keep their high word', () => {
    expect(envRng(2 ** 32 + 5).nextUint32()).not.toBe(envRng(5).nextUint32());
  });

  it('state survives a JSON round trip mid-stream, including the cached normal, with or without the tag', () => {
    const rng = new Rng(99);
    for (let i = 0; i < 10; i++) rng.nextFloat();
    rng.normal(); // leaves a spare cached
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    expect(saved.spare).not.toBeNull();
    const expected = [rng.normal(), rng.nextFloat(), rng.nextInt(10), rng.nextIntUnbiased(10), rng.normal(), rng.normalOneMinusU()];
    const replay = (state: unknown): number[] => {
      const other = new Rng(0);
      other.setState(state as Parameters<Rng['setState']>[0]);
      return [other.normal(), other.nextFloat(), other.nextInt(10), other.nextIntUnbiased(10), other.normal(), other.normalOneMinusU()];
    };
    expect(replay(saved)).toEqual(expected);
    const { algorithm: _tag, ...untagged } = saved;
    expect(replay(untagged)).toEqual(expected);
  });

  it('nextFloat lies in [0,1) with mean ≈ 1/2; both integer draws cover [0,n) evenly', () => {
    const rng = new Rng(1);
    let sum = 0;
    const unbiased = new Array<number>(6).fill(0);
    const scaled = new Array<number>(6).fill(0);
    const n = 60000;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      const k = rng.nextIntUnbiased(6);
      unbiased[k] = (unbiased[k] ?? 0) + 1;
      const j = rng.nextInt(6);
      scaled[j] = (scaled[j] ?? 0) + 1;
    }
    // sd of the mean of n uniforms = sqrt(1/12/n) ≈ 0.0012; 5 sd ≈ 0.006
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.006);
    // each count ~ Binomial(60000, 1/6): mean 10000, sd ≈ 91; allow 5 sd
    for (const c of [...unbiased, ...scaled]) expect(Math.abs(c - 10000)).toBeLessThan(456);
    expect(rng.nextIntUnbiased(1)).toBe(0);
    expect(rng.nextInt(1)).toBe(0);
  });

  it('normal() and normalOneMinusU() have mean ≈ 0 and variance ≈ 1', () => {
    for (const draw of [(r: Rng) => r.normal(), (r: Rng) => r.normalOneMinusU()]) {
      const rng = new Rng(2);
      const n = 40000;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const z = draw(rng);
        expect(Number.isFinite(z)).toBe(true);
        s += z;
        s2 += z * z;
      }
      const mean = s / n;
      // sd of mean = 1/sqrt(n) = 0.005; sd of the variance estimate ≈ sqrt(2/n) ≈ 0.007
      expect(Math.abs(mean)).toBeLessThan(0.025);
      expect(Math.abs(s2 / n - mean * mean - 1)).toBeLessThan(0.035);
    }
  });

  it('rejects bad seeds, bad integer bounds and bad states', () => {
    expect(() => new Rng(Number.NaN)).toThrow(RangeError);
    expect(() => new Rng(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => foldEnvSeed(-1)).toThrow(/non-negative/);
    expect(() => foldEnvSeed(1.5)).toThrow(/non-negative/);
    expect(() => foldEnvSeed(Number.NaN)).toThrow(/non-negative/);
    const rng = new Rng(0);
    for (const draw of [(n: number) => rng.nextIntUnbiased(n), (n: number) => rng.nextInt(n)]) {
      expect(() => draw(0)).toThrow(RangeError);
      expect(() => draw(2.5)).toThrow(RangeError);
    }
    expect(() => rng.setState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0], spare: null })).toThrow(/all-zero/);
    expect(() => rng.setState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 2 ** 32], spare: null })).toThrow(/bad state word/);
    expect(() => rng.setState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4], spare: Number.NaN })).toThrow(/spare/);
    expect(() => rng.setState({ algorithm: 'pcg32', s: [1, 2, 3, 4], spare: null } as unknown as Parameters<Rng['setState']>[0])).toThrow(TypeError);
  });
});

describe('deriveSeed', () => {
  it('is deterministic, uint32, and gives distinct children for distinct indices', () => {
    expect(deriveSeed(1, 0)).toBe(deriveSeed(1, 0));
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const s = deriveSeed(42, i);
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
      seen.add(s);
    }
    expect(seen.size).toBe(5000);
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(1, 1));
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(2, 0));
  });
});

describe('deriveEnvSeed', () => {
  it('is deterministic, uint32, and gives distinct children for distinct indices', () => {
    expect(deriveEnvSeed(42, 3)).toBe(deriveEnvSeed(42, 3));
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const s = deriveEnvSeed(42, i);
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
      seen.add(s);
    }
    expect(seen.size).toBe(5000);
  });

  it('children of different parents differ and differ from the parent; bad input throws', () => {
    expect(deriveEnvSeed(1, 0)).not.toBe(deriveEnvSeed(2, 0));
    expect(deriveEnvSeed(1, 0)).not.toBe(1);
    expect(deriveEnvSeed(0, 0)).not.toBe(0);
    expect(() => deriveEnvSeed(-1, 0)).toThrow(RangeError);
    expect(() => deriveEnvSeed(0, 0.5)).toThrow(RangeError);
  });
});
