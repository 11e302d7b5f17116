import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from './rng';

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

describe('Rng', () => {
  it('matches a BigInt reference of xoshiro128** for 1000 outputs', () => {
    const rng = new Rng(12345);
    const ref = rng.getState().s.map((w) => BigInt(w));
    for (let i = 0; i < 1000; i++) expect(rng.nextUint32()).toBe(Number(referenceNext(ref)));
  });

  it('same seed gives the same stream, different seeds differ', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xa = Array.from({ length: 20 }, () => a.nextFloat());
    const xb = Array.from({ length: 20 }, () => b.nextFloat());
    const xc = Array.from({ length: 20 }, () => c.nextFloat());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('seeds above 2^32 keep their high word', () => {
    expect(new Rng(2 ** 32 + 5).nextUint32()).not.toBe(new Rng(5).nextUint32());
  });

  it('state survives a JSON round trip mid-stream, including the cached normal', () => {
    const rng = new Rng(99);
    for (let i = 0; i < 10; i++) rng.nextFloat();
    rng.normal(); // leaves a spare cached
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    expect(saved.spare).not.toBeNull();
    const expected = [rng.normal(), rng.nextFloat(), rng.nextInt(10), rng.normal()];
    const other = new Rng(0);
    other.setState(saved);
    expect([other.normal(), other.nextFloat(), other.nextInt(10), other.normal()]).toEqual(expected);
  });

  it('nextFloat lies in [0,1) with mean ≈ 1/2; nextInt covers [0,n) evenly', () => {
    const rng = new Rng(1);
    let sum = 0;
    const counts = new Array<number>(6).fill(0);
    const n = 60000;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      const k = rng.nextInt(6);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    // sd of the mean of n uniforms = sqrt(1/12/n) ≈ 0.0012; 5 sd ≈ 0.006
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.006);
    // each count ~ Binomial(60000, 1/6): mean 10000, sd ≈ 91; allow 5 sd
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(456);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const rng = new Rng(2);
    const n = 40000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      expect(Number.isFinite(z)).toBe(true);
      s += z;
      s2 += z * z;
    }
    const mean = s / n;
    // sd of mean = 1/sqrt(n) = 0.005; sd of the variance estimate ≈ sqrt(2/n) ≈ 0.007
    expect(Math.abs(mean)).toBeLessThan(0.025);
    expect(Math.abs(s2 / n - mean * mean - 1)).toBeLessThan(0.035);
  });

  it('rejects bad seeds, bad nextInt bounds and bad states', () => {
    expect(() => new Rng(-1)).toThrow(/non-negative/);
    expect(() => new Rng(1.5)).toThrow(/non-negative/);
    expect(() => new Rng(Number.NaN)).toThrow(/non-negative/);
    const rng = new Rng(0);
    expect(() => rng.nextInt(0)).toThrow(RangeError);
    expect(() => rng.nextInt(2.5)).toThrow(RangeError);
    expect(() => rng.setState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0], spare: null })).toThrow(/all-zero/);
    expect(() => rng.setState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 2 ** 32], spare: null })).toThrow(/bad state word/);
    expect(() => rng.setState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4], spare: Number.NaN })).toThrow(/spare/);
  });
});

describe('deriveSeed', () => {
  it('is deterministic, uint32, and gives distinct children for distinct indices', () => {
    expect(deriveSeed(42, 3)).toBe(deriveSeed(42, 3));
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const s = deriveSeed(42, i);
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
      seen.add(s);
    }
    expect(seen.size).toBe(5000);
  });

  it('children of different parents differ and differ from the parent', () => {
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(2, 0));
    expect(deriveSeed(1, 0)).not.toBe(1);
    expect(deriveSeed(0, 0)).not.toBe(0);
    expect(() => deriveSeed(-1, 0)).toThrow(RangeError);
    expect(() => deriveSeed(0, 0.5)).toThrow(RangeError);
  });
});
