import type { SigmaPriorSpec } from '@varshare/base';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { SigmaPrior } from './sigmaPrior';

beforeAll(async () => {
  await initBackend('wasm');
});

const learnedSpec: SigmaPriorSpec = {
  kind: 'learned-per-layer',
  init: 0.1,
  lrScale: 0.5,
  hyperLambda: 1e-2,
  target: 0.1,
  detachSigma: true,
  layerNames: ['actor.0', 'actor.1', 'critic.0'],
};

describe('SigmaPrior from the shared σ_prior spec', () => {
  it("builds each form, and the constant forms' state is the spec itself", () => {
    const g = SigmaPrior.fromSpec({ kind: 'global', value: 0.01 });
    expect(g.kind).toBe('global');
    expect(g.constantValue(3)).toBe(0.01);
    expect(g.getState()).toEqual({ kind: 'global', value: 0.01 });

    const perTask: SigmaPriorSpec = { kind: 'per-task', values: [0.05, 0.1, 0.2] };
    const p = SigmaPrior.fromSpec(perTask);
    expect(p.kind).toBe('per-task');
    expect(p.constantValue(3)).toEqual([0.05, 0.1, 0.2]);
    expect(p.getState()).toEqual(perTask);

    const l = SigmaPrior.fromSpec(learnedSpec);
    expect(l.kind).toBe('learned-per-layer');
    expect(l.detachSigma).toBe(true);
    expect(l.constantValue(3)).toBeNull();
    expect([...l.logSigmaByLayer().keys()]).toEqual(['actor.0', 'actor.1', 'critic.0']);
    const state = l.getState();
    expect(state.kind).toBe('learned-per-layer');
    if (state.kind === 'learned-per-layer') for (const v of Object.values(state.logSigma)) expect(v).toBeCloseTo(Math.log(0.1), 6);
    l.dispose();
  });

  it('follows a spec between updates; a learned prior keeps its trained values', () => {
    const g = SigmaPrior.fromSpec({ kind: 'global', value: 1 });
    g.applySpec({ kind: 'global', value: 0.3 });
    expect(g.constantValue(2)).toBe(0.3);

    const p = SigmaPrior.fromSpec({ kind: 'per-task', values: [0.1, 0.1] });
    p.applySpec({ kind: 'per-task', values: [0.02, 0.09] });
    expect(p.constantValue(2)).toEqual([0.02, 0.09]);

    const l = SigmaPrior.fromSpec(learnedSpec);
    const v = l.trainableVariables()[0] as tf.Variable;
    v.assign(tf.scalar(-1.5));
    l.applySpec({ ...learnedSpec, init: 0.5 });
    expect(v.dataSync()[0]).toBeCloseTo(-1.5, 6);
    l.dispose();
  });

  it('refuses a spec of another kind', () => {
    const g = SigmaPrior.fromSpec({ kind: 'global', value: 1 });
    expect(() => g.applySpec({ kind: 'per-task', values: [0.1] })).toThrow(/setPerTask on a global prior/);
    expect(() => g.applySpec(learnedSpec)).toThrow(/learned-per-layer spec for a global prior/);
    const p = SigmaPrior.fromSpec({ kind: 'per-task', values: [0.1, 0.1] });
    expect(() => p.applySpec({ kind: 'global', value: 0.1 })).toThrow(/setGlobal on a per-task prior/);
    expect(() => p.applySpec({ kind: 'per-task', values: [0.1] })).toThrow(/expected 2 per-task values/);
    expect(() => SigmaPrior.fromSpec({ kind: 'global', value: 0 })).toThrow(/finite number > 0/);
  });

  it('a learned prior leaves no tensor behind: create, save, restore, dispose', () => {
    const before = tf.memory().numTensors;
    const l = SigmaPrior.fromSpec(learnedSpec);
    const state = l.getState();
    l.setState(state);
    l.setState(state);
    l.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
