import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@varshare/core';
import { hyperpriorPenalty } from '@varshare/controllers';
import { hyperpriorPenaltyTensor } from './regulariser';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('hyperpriorPenaltyTensor', () => {
  it('equals the reference hyperpriorPenalty (controllers) and has its gradient 2λ(log σ − log target)', () => {
    const logs = [Math.log(0.1), Math.log(0.03), Math.log(0.5)].map((v) => tf.variable(tf.scalar(v)));
    const settings = { hyperLambda: 0.01, target: 0.1 };
    const reference = hyperpriorPenalty(logs.map((l) => l.dataSync()[0] as number), settings);
    const { value, grads } = tf.variableGrads(() => hyperpriorPenaltyTensor(logs, settings), logs);
    // λ·[(0)² + (ln 0.3)² + (ln 5)²] = 0.01·(1.4495 + 2.5903) = 0.040398
    expect(value.dataSync()[0]).toBeCloseTo(reference, 6);
    expect(reference).toBeCloseTo(0.01 * (Math.log(0.3) ** 2 + Math.log(5) ** 2), 7); // log σ held in float32
    logs.forEach((l, i) => expect(grads[l.name]!.dataSync()[0]).toBeCloseTo(2 * 0.01 * ([0, Math.log(0.3), Math.log(5)][i] as number), 6));
    expect(hyperpriorPenaltyTensor([], settings).dataSync()[0]).toBe(0);
    logs.forEach((l) => l.dispose());
  });
});
