import { describe, expect, it } from 'vitest';
import { createRng, createRngFromState } from './rng';

describe('xoshiro128**', () => {
  it('matches a hand-stepped reference from state [1, 2, 3, 4]', () => {
    // Output = rotl(s1·5, 7)·9, then the state update (t = s1<<9; s2^=s0; s3^=s1; s1^=s2; s0^=s3; s2^=t; s3=rotl(s3,11)).
    // 1st: s1=2 → rotl(10,7)=1280, ·9 = 11520.  New state: s2=3^1=2, s3=4^2=6, s1=2^2=0, s0=1^6=7, s2=2^1024=1026, s3=6<<11=12288.
    // 2nd: s1=0 → 0.  New state: s2=1026^7=1029, s3=12288^0=12288, s1=0^1029=1029, s0=7^12288=12295, s2=1029^0, s3=rotl(12288,11)=25165824.
    // 3rd: s1=1029 → 1029·5=5145, rotl(5145,7)=658560, ·9 = 5927040.
    const rng = createRngFromState([1, 2, 3, 4]);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([11520, 0, 5927040]);
    // 3rd step's state update (hex): t = 1029<<9 = 0x80A00; s2 = 0x405^0x3007 = 0x3402; s3 = 0x1800000^0x405 = 0x1800405;
    // s1 = 0x405^0x3402 = 0x3007; s0 = 0x3007^0x1800405 = 0x1803402; s2 = 0x3402^0x80A00 = 0x83E02;
    // s3 = rotl(0x1800405, 11) = 0x00202800 | (0x1800405 >>> 21 = 0xC) = 0x20280C.
    expect(rng.getState()).toEqual([0x1803402, 0x3007, 0x83e02, 0x20280c]);
  });

  it('continues the same stream after getState/createRngFromState', () => {
    const a = createRng(42);
    for (let i = 0; i < 10; i++) a.nextUint32();
    const b = createRngFromState(a.getState());
    const xs = Array.from({ length: 20 }, () => a.nextUint32());
    const ys = Array.from({ length: 20 }, () => b.nextUint32());
    expect(ys).toEqual(xs);
  });

  it('is reproducible per seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const r = createRng(seed);
      return Array.from({ length: 8 }, () => r.nextUint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(() => createRngFromState([0, 0, 0, 0])).toThrow(/all zero/);
    expect(() => createRng(Number.NaN)).toThrow();
  });

  it('nextFloat is in [0, 1) with mean ≈ 0.5 and nextInt is uniform on [0, n)', () => {
    const r = createRng(123);
    let sum = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = r.nextFloat();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    // sd of the mean = sqrt(1/12/n) ≈ 0.002; 0.01 is 5 sd.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);

    const counts = new Array<number>(3).fill(0);
    for (let i = 0; i < 30000; i++) {
      const k = r.nextInt(3);
      counts[k] = (counts[k] as number) + 1;
    }
    // expected 10000 each, sd ≈ sqrt(30000·(1/3)(2/3)) ≈ 82; allow 5 sd.
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(410);
    expect(r.nextInt(1)).toBe(0);
    expect(() => r.nextInt(0)).toThrow(RangeError);
    expect(() => r.nextInt(2.5)).toThrow(RangeError);
  });
});
