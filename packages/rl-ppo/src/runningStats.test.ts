import { describe, expect, it } from 'vitest';
import { ObservationNormalizer, RewardScaler, RunningMeanStd } from './runningStats';

describe('RunningMeanStd', () => {
  it('equals the mean and population variance of everything seen (plus the ε prior count)', () => {
    const rms = new RunningMeanStd(2);
    const data = [1, 10, 2, 20, 3, 30, 4, 40, 5, 50];
    rms.update(data, [0, 1]);
    rms.update(data, [2, 3, 4]);
    // column 0: 1..5 → mean 3, var 2; with count ε = 1e-4 the prior (0, 1) is almost gone
    expect(rms.mean[0]).toBeCloseTo(3, 3);
    expect(rms.var[0]).toBeCloseTo(2, 3);
    expect(rms.mean[1]).toBeCloseTo(30, 2);
    expect(rms.var[1]).toBeCloseTo(200, 1);
    const copy = new RunningMeanStd(2);
    copy.setState(JSON.parse(JSON.stringify(rms.getState())));
    expect(copy.mean).toEqual(rms.mean);
  });
});

describe('ObservationNormalizer', () => {
  it('keeps per-task statistics apart, pools them when shared', () => {
    const obs = Float32Array.of(0, 0, 100, 100, 2, 2, 102, 102); // rows: t0, t1, t0, t1 (dim 2)
    const ids = Int32Array.of(0, 1, 0, 1);
    const perTask = new ObservationNormalizer('per-task', 2, 2, 10);
    const out = perTask.normalize(obs, ids, true);
    // task 0 sees {0, 2} → mean 1, var 1: normalised −1, +1 (the ε-count prior (0, 1) is negligible here).
    // task 1 sees {100, 102}: the prior's pull is δ²·ε·n/(ε+n) = 101²·1e-4·2/2.0001 = 1.02005, so
    // var = (1e-4 + 2 + 1.02005)/2.0001 = 1.5100, mean = 202/2.0001 = 100.99495 (as Gymnasium's RunningMeanStd):
    // (100 − 100.99495)/√1.51 = −0.8097 and (102 − 100.99495)/√1.51 = +0.8179.
    const r = Array.from(out);
    [0, 1].forEach((j) => expect(r[j]).toBeCloseTo(-1, 3));
    [4, 5].forEach((j) => expect(r[j]).toBeCloseTo(1, 3));
    [2, 3].forEach((j) => expect(r[j]).toBeCloseTo(-0.8097, 3));
    [6, 7].forEach((j) => expect(r[j]).toBeCloseTo(0.8179, 3));
    const shared = new ObservationNormalizer('shared', 2, 2, 10);
    const s = shared.normalize(obs, ids, true);
    expect(s[0]).toBeLessThan(-0.9);
    expect(s[2]).toBeGreaterThan(0.9);
    expect(Math.abs((s[0] as number) - (s[4] as number))).toBeLessThan(0.05); // 0 and 2 look alike next to 100
    const none = new ObservationNormalizer('none', 2, 2, 10);
    expect(Array.from(none.normalize(obs, ids, true))).toEqual(Array.from(obs));
  });
});

describe('RewardScaler', () => {
  it('divides by the running std of the discounted return and resets it at episode ends', () => {
    const rs = new RewardScaler('shared', 1, 1, 0.5, 10);
    // returns: 1, then 1·0.5 + 1 = 1.5, episode ends, then 1
    rs.scale(Float32Array.of(1), Uint8Array.of(0), Int32Array.of(0));
    rs.scale(Float32Array.of(1), Uint8Array.of(1), Int32Array.of(0));
    expect(rs.getState().returns).toEqual([0]);
    const out = rs.scale(Float32Array.of(1), Uint8Array.of(0), Int32Array.of(0));
    // returns seen {1, 1.5, 1}: var = 0.0556 (pop.) ⇒ factor ≈ 1/0.2357 ≈ 4.243
    expect(out[0]).toBeCloseTo(1 / Math.sqrt(1 / 18 + 1e-8), 1);
  });
});
