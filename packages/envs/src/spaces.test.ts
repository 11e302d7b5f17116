import { describe, expect, it } from 'vitest';
import { Rng, foldEnvSeed } from '@varshare/base';
import { actionKindOf, actionSlots, box, boxSize, describeSpaceProblem, discrete, sampleSpace, spaceContains } from './spaces';

describe('spaces', () => {
  it('box broadcasts scalars, infers the shape and stores float32 bounds', () => {
    const b = box(-1, 1, [2, 3]);
    expect(b.kind).toBe('box');
    expect(b.low).toBeInstanceOf(Float32Array);
    expect(boxSize(b)).toBe(6);
    expect(Array.from(b.high)).toEqual([1, 1, 1, 1, 1, 1]);
    const c = box([0, -Infinity], [1, Infinity]);
    expect(c.shape).toEqual([2]);
    expect(actionSlots(c)).toBe(2);
    expect(actionKindOf(c)).toBe('continuous');
  });

  it('rejects malformed spaces with a message naming the problem', () => {
    expect(() => box([0, 1], [1], [2])).toThrow(/high has length 1/);
    expect(() => box([2], [1])).toThrow(/low\[0\] = 2 > high\[0\] = 1/);
    expect(() => box([Number.NaN], [1])).toThrow(/NaN/);
    expect(() => box(0, 1)).toThrow(/shape is required/);
    expect(() => discrete(0)).toThrow(/positive integer/);
    expect(() => discrete(2.5)).toThrow(/positive integer/);
    expect(describeSpaceProblem({ kind: 'box', low: new Float32Array(2), high: new Float32Array(2), shape: [3] })).toMatch(/needs 3/);
  });

  it('spaceContains checks type, length, bounds and NaN', () => {
    const d = discrete(3);
    expect(actionSlots(d)).toBe(1);
    expect(spaceContains(d, 2)).toBe(true);
    expect(spaceContains(d, 3)).toBe(false);
    expect(spaceContains(d, -1)).toBe(false);
    expect(spaceContains(d, 1.5)).toBe(false);
    const b = box([-1, 0], [1, Infinity]);
    expect(spaceContains(b, new Float32Array([0.5, 1e30]))).toBe(true);
    expect(spaceContains(b, new Float32Array([1.5, 0]))).toBe(false);
    expect(spaceContains(b, new Float32Array([Number.NaN, 0]))).toBe(false);
    expect(spaceContains(b, new Float32Array([0]))).toBe(false);
    expect(spaceContains(b, [0, 0])).toBe(false);
  });

  it('samples stay inside the space, including half-bounded and unbounded dims', () => {
    const rng = new Rng(foldEnvSeed(3));
    const b = box([-1, 0, -Infinity, -Infinity], [1, Infinity, 5, Infinity]);
    const d = discrete(4);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      expect(spaceContains(b, sampleSpace(b, rng))).toBe(true);
      const a = sampleSpace(d, rng) as number;
      expect(spaceContains(d, a)).toBe(true);
      seen.add(a);
    }
    expect(seen.size).toBe(4);
  });
});
