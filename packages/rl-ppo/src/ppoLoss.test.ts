import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@varshare/core';
import { categoricalLogProbEntropy } from './distributions';
import { fusedPpoLoss, ppoLoss, ppoLossValues, type LossConfig } from './ppoLoss';

beforeAll(async () => {
  await initBackend('wasm');
});

// Three rows, ε = 0.2:
//   row 0: π_old = 0.5, π = 0.75 → r = 1.5, A = +1   (clipped: no credit beyond 1 + ε)
//   row 1: π_old = 0.5, π = 0.25 → r = 0.5, A = −2   (clipped: the pessimistic side)
//   row 2: π_old = 0.5, π = 0.55 → r = 1.1, A = +0.5 (inside the clip range)
// Values: R = [1, 0, 2], V_old = [0.5, 0.5, 2], V = [1.5, 0.2, 2.1].
const rows = {
  oldLogProbs: [Math.log(0.5), Math.log(0.5), Math.log(0.5)],
  logProb: [Math.log(0.75), Math.log(0.25), Math.log(0.55)],
  advantages: [1, -2, 0.5],
  returns: [1, 0, 2],
  oldValues: [0.5, 0.5, 2],
  value: [1.5, 0.2, 2.1],
  entropy: [0.6, 0.7, 0.8],
};
const config: LossConfig = { clipCoef: 0.2, clipVloss: true, normAdv: false, entCoef: 0.01, vfCoef: 0.5, klWeight: 0.001 };

function evaluate(cfg: LossConfig, over: Partial<typeof rows> = {}, regulariser = true) {
  const r = { ...rows, ...over };
  return tf.tidy(() => {
    const p = ppoLoss(
      { oldLogProbs: tf.tensor1d(r.oldLogProbs), advantages: tf.tensor1d(r.advantages), returns: tf.tensor1d(r.returns), oldValues: tf.tensor1d(r.oldValues) },
      {
        logProb: tf.tensor1d(r.logProb),
        entropy: tf.tensor1d(r.entropy),
        value: tf.tensor1d(r.value),
        ...(regulariser ? { klTotal: tf.scalar(3), hyperprior: tf.scalar(0.002) } : {}),
      },
      cfg,
    );
    return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, (v as tf.Scalar).dataSync()[0] as number]));
  });
}

describe('ppoLoss', () => {
  it('matches the hand-worked clipped surrogate, value clipping, entropy and regulariser', () => {
    const p = evaluate(config);
    // policy: max(−1.5, −1.2) = −1.2; max(1.0, 1.6) = 1.6; max(−0.55, −0.55) = −0.55 → mean −0.05
    expect(p['policy']).toBeCloseTo(-0.05, 6);
    // (V − R)² = [0.25, 0.04, 0.01]; clipped V = [0.7, 0.3, 2.1] → [0.09, 0.09, 0.01];
    // max = [0.25, 0.09, 0.01] → ½·mean = ½·0.35/3 = 0.0583333
    expect(p['value']).toBeCloseTo(0.35 / 6, 6);
    expect(p['entropy']).toBeCloseTo(0.7, 6);
    // (r − 1) − log r = [0.5 − ln 1.5, −0.5 + ln 2, 0.1 − ln 1.1] = [0.0945349, 0.1931472, 0.0046898]
    expect(p['approxKl']).toBeCloseTo(0.2923719 / 3, 6);
    // −log r = [−0.4054651, 0.6931472, −0.0953102] → mean 0.0641240
    expect(p['oldApproxKl']).toBeCloseTo(0.192372 / 3, 6);
    expect(p['clipFraction']).toBeCloseTo(2 / 3, 6); // rows 0 and 1 have |r − 1| = 0.5 > 0.2
    // ppo = −0.05 − 0.01·0.7 + 0.5·0.0583333 = −0.0278333; total = ppo + 0.001·3 + 0.002
    expect(p['ppo']).toBeCloseTo(-0.0278333, 6);
    expect(p['kl']).toBe(3);
    expect(p['hyperprior']).toBeCloseTo(0.002, 8);
    expect(p['total']).toBeCloseTo(-0.0228333, 6);
  });

  it('unclipped value loss, normalised advantages, and no regulariser', () => {
    const p = evaluate({ ...config, clipVloss: false, normAdv: true }, {}, false);
    expect(p['value']).toBeCloseTo(0.05, 6); // ½·mean(0.25, 0.04, 0.01)
    // Â = (A − mean)/(unbiased std + 1e-8): mean −1/6, std = √(5.1666667/2) = 1.6072751
    //   → [0.7258662, −1.1406469, 0.4147807]; rows: max(−1.0887993, −0.8710394) = −0.8710394,
    //   max(0.5703234, 0.9125175) = 0.9125175, −0.4562587 → mean −0.1382602
    expect(p['policy']).toBeCloseTo(-0.1382602, 6);
    expect(p['kl']).toBe(0);
    expect(p['hyperprior']).toBe(0);
    expect(p['total']).toBeCloseTo(p['ppo'] as number, 7);
  });

  it('clipping stops the gradient where the clipped term is taken', () => {
    const logProb = tf.variable(tf.tensor1d(rows.logProb));
    const value = tf.variable(tf.tensor1d(rows.value));
    const { grads } = tf.variableGrads(() =>
      ppoLoss(
        { oldLogProbs: tf.tensor1d(rows.oldLogProbs), advantages: tf.tensor1d(rows.advantages), returns: tf.tensor1d(rows.returns), oldValues: tf.tensor1d(rows.oldValues) },
        { logProb: logProb as unknown as tf.Tensor1D, entropy: tf.tensor1d(rows.entropy), value: value as unknown as tf.Tensor1D },
        config,
      ).total,
      [logProb, value],
    );
    // ∂policy/∂log π: rows 0 and 1 clipped → 0; row 2: −A·r/3 = −0.5·1.1/3
    const gLogProb = Array.from(grads[logProb.name]!.dataSync());
    expect(gLogProb[0]).toBe(0);
    expect(gLogProb[1]).toBe(0);
    expect(gLogProb[2]).toBeCloseTo(-0.55 / 3, 6);
    // ∂(0.5·value)/∂V: row 0 unclipped term wins → 0.5·½·2(V − R)/3 = 0.5·0.5/3;
    // row 1 the clipped term wins and V − V_old is outside ±ε → 0; row 2 inside: 0.5·0.1/3
    const gValue = Array.from(grads[value.name]!.dataSync());
    expect(gValue[0]).toBeCloseTo(0.25 / 3, 6);
    expect(gValue[1]).toBe(0);
    expect(gValue[2]).toBeCloseTo(0.05 / 3, 6);
    logProb.dispose();
    value.dispose();
  });

  it('leaks no tensors outside tidy', () => {
    const before = tf.memory().numTensors;
    evaluate(config);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('fused PPO loss (ppoLossValues, fusedPpoLoss) against the tfjs ops of ppoLoss', () => {
  /** A minibatch with every regime: ratios inside and beyond 1 ± ε both ways, value moves beyond ±ε. */
  function batchOf(n: number, seed: number) {
    let s = seed;
    const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const f = (g: () => number) => Float32Array.from({ length: n }, g);
    return {
      oldLogProbs: f(() => -0.7 + 0.2 * u()),
      logProb: f(() => -0.7 + 0.6 * u()),
      advantages: f(() => 2 * u()),
      returns: f(() => u()),
      oldValues: f(() => u()),
      value: f(() => u()),
      entropy: f(() => 0.6 + 0.1 * u()),
    };
  }
  const cfgs: Omit<LossConfig, 'klWeight'>[] = [
    { clipCoef: 0.2, clipVloss: true, normAdv: true, entCoef: 0.01, vfCoef: 0.5 },
    { clipCoef: 0.1, clipVloss: false, normAdv: false, entCoef: 0.05, vfCoef: 1 },
    { clipCoef: 0.3, clipVloss: true, normAdv: false, entCoef: 0, vfCoef: 0.25 },
  ];
  /** The reference: the tfjs ops' terms and ∂ppo/∂(logProb, entropy, value). */
  function reference(b: ReturnType<typeof batchOf>, cfg: Omit<LossConfig, 'klWeight'>) {
    return tf.tidy(() => {
      const lossBatch = { oldLogProbs: tf.tensor1d(b.oldLogProbs), advantages: tf.tensor1d(b.advantages), returns: tf.tensor1d(b.returns), oldValues: tf.tensor1d(b.oldValues) };
      const inputs = [tf.tensor1d(b.logProb), tf.tensor1d(b.entropy), tf.tensor1d(b.value)];
      let parts: Record<string, number> = {};
      const grads = tf.grads((lp: tf.Tensor, en: tf.Tensor, v: tf.Tensor) => {
        const p = ppoLoss(lossBatch, { logProb: lp as tf.Tensor1D, entropy: en as tf.Tensor1D, value: v as tf.Tensor1D }, { ...cfg, klWeight: 0 });
        parts = Object.fromEntries(Object.entries(p).map(([k, t]) => [k, (t as tf.Scalar).dataSync()[0] as number]));
        return p.ppo;
      })(inputs);
      return { parts, grads: grads.map((g) => Array.from(g.dataSync())) };
    });
  }
  const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
    expect(got.length, what).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs((got[i] as number) - (want[i] as number)), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(want[i] as number));
  };

  it('gives the terms and the gradients of the tfjs ops (to float32 rounding), in every clipping regime', () => {
    for (const [k, cfg] of cfgs.entries()) {
      const b = batchOf(257, 11 + k);
      const want = reference(b, cfg);
      const got = ppoLossValues(b, b.logProb, b.entropy, b.value, cfg);
      for (const key of ['policy', 'value', 'entropy', 'approxKl', 'oldApproxKl', 'clipFraction', 'ppo'] as const) close([got.stats[key]], [want.parts[key] as number], `cfg ${k} ${key}`);
      close(got.dLogProb, want.grads[0] as number[], `cfg ${k} dLogProb`);
      close(got.dEntropy, want.grads[1] as number[], `cfg ${k} dEntropy`);
      close(got.dValue, want.grads[2] as number[], `cfg ${k} dValue`);
      // the batch covers every regime (else the comparison would not test them)
      const ratios = b.logProb.map((x, i) => Math.exp(x - (b.oldLogProbs[i] as number)));
      expect(ratios.some((r) => r > 1 + cfg.clipCoef) && ratios.some((r) => r < 1 - cfg.clipCoef) && ratios.some((r) => Math.abs(r - 1) < cfg.clipCoef)).toBe(true);
      expect(got.dLogProb.some((g) => g === 0) && got.dLogProb.some((g) => g !== 0)).toBe(true);
    }
  });

  it('is one differentiable op: gradients through fusedPpoLoss equal the chain through ppoLoss upstream', () => {
    const n = 64;
    const b = batchOf(n, 5);
    const cfg = cfgs[0] as Omit<LossConfig, 'klWeight'>;
    const logits = tf.variable(tf.tensor2d(Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i)), [n, 3]));
    const w = tf.variable(tf.tensor1d(Float32Array.from({ length: n }, (_, i) => Math.cos(i))));
    const actions = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % 3), 'int32');
    const outputs = () => {
      const logP = tf.logSoftmax(logits);
      return { logProb: tf.sum(tf.mul(logP, tf.oneHot(actions, 3)), 1) as tf.Tensor1D, entropy: tf.neg(tf.sum(tf.mul(tf.exp(logP), logP), 1)) as tf.Tensor1D, value: tf.mul(w, 2) as tf.Tensor1D };
    };
    const before = tf.memory().numTensors;
    let stats: Record<string, number> = {};
    const fused = tf.variableGrads(() => {
      const r = fusedPpoLoss(b, outputs(), cfg);
      stats = { ...r.stats };
      return r.ppo;
    }, [logits, w]);
    const ref = tf.variableGrads(() => ppoLoss({ oldLogProbs: tf.tensor1d(b.oldLogProbs), advantages: tf.tensor1d(b.advantages), returns: tf.tensor1d(b.returns), oldValues: tf.tensor1d(b.oldValues) }, outputs(), { ...cfg, klWeight: 0 }).ppo, [logits, w]);
    close([fused.value.dataSync()[0] as number], [ref.value.dataSync()[0] as number], 'ppo');
    close([stats['ppo'] as number], [ref.value.dataSync()[0] as number], 'stats.ppo');
    close(fused.grads[logits.name]!.dataSync(), ref.grads[logits.name]!.dataSync(), 'd logits');
    close(fused.grads[w.name]!.dataSync(), ref.grads[w.name]!.dataSync(), 'd w');
    for (const g of [fused, ref]) {
      g.value.dispose();
      Object.values(g.grads).forEach((t) => t.dispose());
    }
    expect(tf.memory().numTensors).toBe(before);
    [logits, w, actions].forEach((t) => t.dispose());
  });

  it('takes categorical logits and actions: log π, the entropy and their gradient inside the op', () => {
    for (const k of [2, 5]) {
      const n = 97;
      const b = batchOf(n, 3 + k);
      const cfg = cfgs[0] as Omit<LossConfig, 'klWeight'>;
      const logits = tf.variable(tf.tensor2d(Float32Array.from({ length: n * k }, (_, i) => 2 * Math.sin(1.7 * i)), [n, k]));
      const w = tf.variable(tf.tensor1d(b.value));
      const actions = Int32Array.from({ length: n }, (_, i) => (i * 7) % k);
      const fused = tf.variableGrads(() => fusedPpoLoss(b, { logits: tf.mul(logits, 1) as tf.Tensor2D, actions, value: tf.mul(w, 1) as tf.Tensor1D }, cfg).ppo, [logits, w]);
      const ref = tf.variableGrads(() => {
        const { logProb, entropy } = categoricalLogProbEntropy(tf.mul(logits, 1) as tf.Tensor2D, tf.tensor1d(actions, 'int32'));
        return ppoLoss({ oldLogProbs: tf.tensor1d(b.oldLogProbs), advantages: tf.tensor1d(b.advantages), returns: tf.tensor1d(b.returns), oldValues: tf.tensor1d(b.oldValues) }, { logProb, entropy, value: tf.mul(w, 1) as tf.Tensor1D }, { ...cfg, klWeight: 0 }).ppo;
      }, [logits, w]);
      close([fused.value.dataSync()[0] as number], [ref.value.dataSync()[0] as number], `k ${k} ppo`);
      close(fused.grads[logits.name]!.dataSync(), ref.grads[logits.name]!.dataSync(), `k ${k} d logits`);
      close(fused.grads[w.name]!.dataSync(), ref.grads[w.name]!.dataSync(), `k ${k} d value`);
      for (const g of [fused, ref]) {
        g.value.dispose();
        Object.values(g.grads).forEach((t) => t.dispose());
      }
      [logits, w].forEach((t) => t.dispose());
    }
    const b = batchOf(2, 1);
    const logits = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => fusedPpoLoss(b, { logits, actions: [0, 3], value: tf.zeros([2]) as tf.Tensor1D }, cfgs[0] as Omit<LossConfig, 'klWeight'>)).toThrow(/actions\[1\] = 3 is not in \[0, 3\)/);
    logits.dispose();
  });

  it('reads rows at their slots of a padded layout (slotOfRow): the same loss and gradients, zero on the pads', () => {
    const n = 23;
    const k = 3;
    const slots = 30;
    const b = batchOf(n, 9);
    const cfg = cfgs[0] as Omit<LossConfig, 'klWeight'>;
    const actions = Int32Array.from({ length: n }, (_, i) => (i * 5) % k);
    const rowLogits = Float32Array.from({ length: n * k }, (_, i) => Math.sin(2.3 * i));
    // rows scattered over the slots in a shuffled order; the pads hold garbage that must not count
    const slotOfRow = Int32Array.from({ length: n }, (_, i) => (i * 7) % slots);
    const padded = Float32Array.from({ length: slots * k }, () => 1e3);
    const paddedValue = new Float32Array(slots).fill(-1e3);
    slotOfRow.forEach((s, i) => {
      padded.set(rowLogits.subarray(i * k, i * k + k), s * k);
      paddedValue[s] = b.value[i] as number;
    });
    const run = (logits: Float32Array, value: Float32Array, rows: number, slot?: Int32Array) => {
      const lv = tf.variable(tf.tensor2d(logits, [rows, k]));
      const vv = tf.variable(tf.tensor1d(value));
      let stats: Record<string, number> = {};
      const g = tf.variableGrads(() => {
        const r = fusedPpoLoss(b, { logits: tf.mul(lv, 1) as tf.Tensor2D, actions, value: tf.mul(vv, 1) as tf.Tensor1D, ...(slot ? { slotOfRow: slot } : {}) }, cfg);
        stats = { ...r.stats };
        return r.ppo;
      }, [lv, vv]);
      const out = { stats, dLogits: g.grads[lv.name]!.dataSync().slice(), dValue: g.grads[vv.name]!.dataSync().slice() };
      g.value.dispose();
      Object.values(g.grads).forEach((t) => t.dispose());
      [lv, vv].forEach((t) => t.dispose());
      return out;
    };
    const plain = run(rowLogits, b.value, n);
    const slotted = run(padded, paddedValue, slots, slotOfRow);
    expect(slotted.stats).toEqual(plain.stats);
    const wantLogits = new Float32Array(slots * k);
    const wantValue = new Float32Array(slots);
    slotOfRow.forEach((s, i) => {
      wantLogits.set(plain.dLogits.subarray(i * k, i * k + k), s * k);
      wantValue[s] = plain.dValue[i] as number;
    });
    expect(slotted.dLogits).toEqual(wantLogits);
    expect(slotted.dValue).toEqual(wantValue);
    const logits = tf.zeros([4, k]) as tf.Tensor2D;
    const value = tf.zeros([4]) as tf.Tensor1D;
    const two = batchOf(2, 1);
    expect(() => fusedPpoLoss(two, { logits, actions: [0, 1], value, slotOfRow: Int32Array.of(1, 1) }, cfg)).toThrow(/slotOfRow\[1\] = 1 is outside \[0, 4\) or repeated/);
    expect(() => fusedPpoLoss(two, { logits, actions: [0, 1], value, slotOfRow: Int32Array.of(0, 4) }, cfg)).toThrow(/slotOfRow\[1\] = 4/);
    expect(() => fusedPpoLoss(two, { logits, actions: [0, 1], value: tf.zeros([3]) as tf.Tensor1D }, cfg)).toThrow(/value has 3 entries, logits 4 rows/);
    [logits, value].forEach((t) => t.dispose());
  });

  it('names a mismatched input', () => {
    const b = batchOf(4, 1);
    expect(() => ppoLossValues({ ...b, returns: b.returns.subarray(0, 3) }, b.logProb, b.entropy, b.value, cfgs[0] as Omit<LossConfig, 'klWeight'>)).toThrow(/returns has 3 rows, logProb 4/);
  });
});
