import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, networkConfigSchema, tf, withGradientSink, type GradientSink } from '@varshare/core';
import type { SigmaPriorSpec } from '@varshare/base';
import { hyperpriorPenalty } from '@varshare/controllers';
import { MultiTaskAgent } from './agent';
import { hyperpriorPenaltyTensor, klRegulariser, klRegulariserWithoutTape } from './regulariser';

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

describe('klRegulariserWithoutTape', () => {
  /** Every gradient the sink receives, summed per parameter (copies: the views are call-scoped). */
  function collectingSink(anchor: tf.Variable): { sink: GradientSink; got: Map<string, Float32Array> } {
    const got = new Map<string, Float32Array>();
    const sink: GradientSink = {
      anchor,
      accept(param, grad) {
        const prev = got.get(param.name);
        if (!prev) got.set(param.name, grad.slice());
        else for (let i = 0; i < grad.length; i++) prev[i] = (prev[i] as number) + (grad[i] as number);
      },
    };
    return { sink, got };
  }
  const agentWith = (sigmaPrior: SigmaPriorSpec, residual: 'full' | 'low-rank' = 'full') =>
    new MultiTaskAgent({ obsDim: 3, action: { kind: 'discrete', n: 2 }, numTasks: 4, network: networkConfigSchema.parse({ hiddenSizes: [8, 8], residual, rank: 2, sigmaInit: 0.05 }), sigmaPrior, seed: 5 });

  it("gives the tape path's KL_total and μ/ρ gradients bit for bit (global and per-task priors, full and low-rank residuals)", () => {
    const cases: [string, SigmaPriorSpec, 'full' | 'low-rank'][] = [
      ['global', { kind: 'global', value: 0.1 }, 'full'],
      ['per-task', { kind: 'per-task', values: [0.01, 0.1, 0.3, 1] }, 'full'],
      ['low-rank', { kind: 'global', value: 0.05 }, 'low-rank'],
    ];
    for (const [name, prior, residual] of cases) {
      const agent = agentWith(prior, residual);
      // move μ off zero so the gradients are not trivially equal
      tf.tidy(() => [...agent.parameterGroups().posterior.values()].forEach((v, i) => v.name.includes('/mu') && v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', i + 1))));
      const klVars = [...agent.parameterGroups().posterior.values()];
      const anchor = tf.tidy(() => tf.variable(tf.scalar(0), true));
      const weight = 3.7e-4;
      const tape = collectingSink(anchor);
      let tapeTotal = 0;
      const { value, grads } = withGradientSink(tape.sink, () =>
        tf.variableGrads(() => {
          const r = klRegulariser(agent, weight, null);
          tapeTotal = r.klTotal.dataSync()[0] as number;
          return r.loss;
        }, [...klVars, anchor]),
      );
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      const direct = collectingSink(anchor);
      const r = klRegulariserWithoutTape(agent, weight, null, direct.sink);
      expect(r, name).not.toBeNull();
      expect(r!.klTotal, `${name}: KL_total`).toBe(tapeTotal);
      expect(r!.hyperprior).toBe(0);
      expect([...direct.got.keys()].sort(), `${name}: the parameters`).toEqual([...tape.got.keys()].sort());
      expect(tape.got.size).toBe(klVars.length);
      for (const [k, g] of tape.got) expect(direct.got.get(k), `${name}: ∂/∂${k}`).toEqual(g);
      anchor.dispose();
      agent.dispose();
    }
  });

  it("leaves exp5's learned prior (and its hyperprior) to the tape", () => {
    const agent = agentWith({ kind: 'learned-per-layer', init: 0.1, lrScale: 0.1, hyperLambda: 0.01, target: 0.1, detachSigma: true, layerNames: ['actor.0', 'actor.1', 'actor.2', 'critic.0', 'critic.1', 'critic.2'] });
    const anchor = tf.tidy(() => tf.variable(tf.scalar(0), true));
    const { sink, got } = collectingSink(anchor);
    expect(klRegulariserWithoutTape(agent, 1e-3, null, sink)).toBeNull();
    expect(klRegulariserWithoutTape(agentWith({ kind: 'global', value: 0.1 }), 1e-3, { lrScale: 1, hyperLambda: 0.01, target: 0.1 }, sink)).toBeNull();
    expect(got.size).toBe(0); // nothing delivered when the tape is needed
    anchor.dispose();
    agent.dispose();
  });
});
