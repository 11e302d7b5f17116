import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@varshare/core';
import { ppoLoss, type LossConfig } from './ppoLoss';

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
