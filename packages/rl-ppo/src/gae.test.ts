import { describe, expect, it } from 'vitest';
import { Rng } from '@varshare/core';
import { bootstrapTruncated, computeGae, truncatedRows } from './gae';

/**
 * Independent reference: split each env's stream into episodes, and compute
 * A_t = Σ_k (γλ)^k δ_{t+k} within the episode, where δ uses V(s_{t+1}) inside the episode, the
 * given bootstrap value at a truncation, 0 after a termination, and lastValue at the buffer end.
 */
function reference(
  rewards: number[][],
  values: number[][],
  terminated: boolean[][],
  truncated: boolean[][],
  finalValues: number[][],
  lastValues: number[],
  gamma: number,
  lambda: number,
): number[][] {
  const T = rewards.length;
  const N = lastValues.length;
  const adv = rewards.map((r) => r.map(() => 0));
  for (let e = 0; e < N; e++) {
    for (let t = 0; t < T; t++) {
      let a = 0;
      let discount = 1;
      for (let k = t; k < T; k++) {
        let next: number;
        if (terminated[k]![e]) next = 0;
        else if (truncated[k]![e]) next = finalValues[k]![e]!;
        else next = k === T - 1 ? lastValues[e]! : values[k + 1]![e]!;
        const delta = rewards[k]![e]! + gamma * next - values[k]![e]!;
        a += discount * delta;
        if (terminated[k]![e] || truncated[k]![e]) break;
        discount *= gamma * lambda;
      }
      adv[t]![e] = a;
    }
  }
  return adv;
}

describe('computeGae', () => {
  it('matches a hand-worked two-step example', () => {
    // one env, γ = 0.5, λ = 1: r = [1, 2], V = [0.5, 1], last V = 4, no ends.
    // δ1 = 2 + 0.5·4 − 1 = 3; δ0 = 1 + 0.5·1 − 0.5 = 1; A1 = 3; A0 = 1 + 0.5·3 = 2.5
    const out = computeGae({
      rewards: Float32Array.of(1, 2),
      values: Float32Array.of(0.5, 1),
      episodeEnds: Uint8Array.of(0, 0),
      lastValues: Float32Array.of(4),
      numSteps: 2,
      numEnvs: 1,
      gamma: 0.5,
      lambda: 1,
    });
    expect(Array.from(out.advantages)).toEqual([2.5, 3]);
    expect(Array.from(out.returns)).toEqual([3, 4]);
  });

  it('bootstraps on truncation and not on termination (same rewards, different advantages)', () => {
    // Step 0 ends the episode. Terminated: A0 = r − V = 1 − 0.5 = 0.5.
    // Truncated with V(final) = 2, γ = 0.9: reward carries +0.9·2 = 1.8 ⇒ A0 = 2.3.
    const base = { values: Float32Array.of(0.5, 0.7), lastValues: Float32Array.of(3), numSteps: 2, numEnvs: 1, gamma: 0.9, lambda: 0.95, episodeEnds: Uint8Array.of(1, 0) };
    const term = computeGae({ ...base, rewards: Float32Array.of(1, 1) });
    const trunc = computeGae({ ...base, rewards: Float32Array.of(1 + 0.9 * 2, 1) });
    expect(term.advantages[0]).toBeCloseTo(0.5, 6);
    expect(trunc.advantages[0]).toBeCloseTo(2.3, 6);
    // the step after the end belongs to a new episode: identical in both cases
    expect(term.advantages[1]).toBeCloseTo(trunc.advantages[1] as number, 6);
  });

  it('equals the plain-loop reference on random data with terminations and truncations', () => {
    const rng = new Rng(3);
    const T = 17;
    const N = 5;
    const gamma = 0.97;
    const lambda = 0.9;
    const mk = <V>(f: () => V): V[][] => Array.from({ length: T }, () => Array.from({ length: N }, f));
    const rewards = mk(() => rng.normal());
    const values = mk(() => rng.normal());
    const terminated = mk(() => rng.nextFloat() < 0.1);
    const truncated = terminated.map((row) => row.map((term) => !term && rng.nextFloat() < 0.1));
    const finalValues = mk(() => rng.normal());
    const lastValues = Array.from({ length: N }, () => rng.normal());
    const flat = (a: number[][]) => Float32Array.from(a.flat());
    // The trainer folds γ·V(final) into the truncated step's reward.
    const folded = rewards.map((row, t) => row.map((r, e) => (truncated[t]![e] ? r + gamma * finalValues[t]![e]! : r)));
    const out = computeGae({
      rewards: flat(folded),
      values: flat(values),
      episodeEnds: Uint8Array.from(terminated.flatMap((row, t) => row.map((x, e) => (x || truncated[t]![e] ? 1 : 0)))),
      lastValues: Float32Array.from(lastValues),
      numSteps: T,
      numEnvs: N,
      gamma,
      lambda,
    });
    const ref = reference(rewards, values, terminated, truncated, finalValues, lastValues, gamma, lambda);
    ref.flat().forEach((a, i) => expect(out.advantages[i]).toBeCloseTo(a, 4));
    values.flat().forEach((v, i) => expect(out.returns[i]).toBeCloseTo((out.advantages[i] as number) + v, 5));
  });

  it('rejects mismatched lengths', () => {
    expect(() =>
      computeGae({ rewards: new Float32Array(3), values: new Float32Array(4), episodeEnds: new Uint8Array(4), lastValues: new Float32Array(2), numSteps: 2, numEnvs: 2, gamma: 1, lambda: 1 }),
    ).toThrow(/2×2/);
  });
});

describe('bootstrapTruncated', () => {
  it('adds γ·V(final) to truncated rows only; terminated and running rows keep their reward', () => {
    // rows: 0 running, 1 terminated, 2 truncated, 3 truncated; γ = 0.9, V(final) = 2 and −1
    const truncated = Uint8Array.of(0, 0, 1, 1);
    const rows = truncatedRows(truncated);
    expect(rows).toEqual([2, 3]);
    const r = Float32Array.of(1, 1, 1, 1);
    bootstrapTruncated(r, rows, [2, -1], 0.9);
    // 1 + 0.9·2 = 2.8 and 1 + 0.9·(−1) = 0.1
    expect(Array.from(r)).toEqual([1, 1, expect.closeTo(2.8, 6), expect.closeTo(0.1, 6)]);
    expect(() => bootstrapTruncated(r, rows, [1], 0.9)).toThrow(/1 values for 2 rows/);
  });
});
