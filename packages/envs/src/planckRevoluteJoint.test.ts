import { afterAll, describe, expect, it } from 'vitest';
import { RevoluteJoint } from 'planck';
import { Rng } from '@varshare/base';
import { fastSolveVelocityConstraints, fastSolverMatchesPlanck, installFastRevoluteJointSolver, planckSolveVelocityConstraints } from './planckRevoluteJoint';
import { createSuite } from './registry';

const proto = RevoluteJoint.prototype as unknown as { solveVelocityConstraints: (this: { m_limitState: number }, step: { dt: number }) => void };
afterAll(() => installFastRevoluteJointSolver());

/** Every output of `steps` random steps of lunarlander-mt (all tasks), and the env state at the end. */
function trajectory(continuous: boolean, steps: number): { outputs: number[][]; state: unknown } {
  const env = createSuite('lunarlander-mt', { seed: 12, rowsPerTask: 2, continuous, maxEpisodeSteps: 120 });
  try {
    const rng = new Rng(5);
    const outputs: number[][] = [Array.from(env.reset().observations)];
    for (let t = 0; t < steps; t++) {
      const a = continuous ? Float32Array.from({ length: env.numRows * env.actionSize }, () => rng.nextFloat() * 2 - 1) : Int32Array.from({ length: env.numRows }, () => rng.nextInt(4));
      const r = env.step(a);
      outputs.push([...r.observations, ...r.rewards, ...r.terminated, ...r.truncated, ...r.finalObservations]);
    }
    return { outputs, state: env.getState() };
  } finally {
    env.close();
  }
}

describe('the allocation-free RevoluteJoint solver', () => {
  it("transcribes the installed planck's method, and is installed", () => {
    expect(fastSolverMatchesPlanck, 'planck changed: transcribe RevoluteJoint.solveVelocityConstraints again and update its digest').toBe(true);
    expect(installFastRevoluteJointSolver()).toBe(true);
    expect(proto.solveVelocityConstraints).toBe(fastSolveVelocityConstraints);
  });

  for (const continuous of [false, true]) {
    it(`gives planck's trajectories bit for bit (${continuous ? 'continuous' : 'discrete'} lunarlander-mt, inactive, lower and upper limits)`, () => {
      installFastRevoluteJointSolver(false);
      expect(proto.solveVelocityConstraints).toBe(planckSolveVelocityConstraints);
      const reference = trajectory(continuous, 250);
      // The fast solver, noting which limit states it solved (0 inactive, 1 lower, 2 upper, 3 equal).
      const seen = new Set<number>();
      proto.solveVelocityConstraints = function (step) {
        seen.add(this.m_limitState);
        fastSolveVelocityConstraints.call(this as never, step);
      };
      const fast = trajectory(continuous, 250);
      installFastRevoluteJointSolver();
      expect(fast.outputs.length).toBe(reference.outputs.length);
      fast.outputs.forEach((o, t) => expect(o, `step ${t}`).toEqual(reference.outputs[t]));
      expect(fast.state).toEqual(reference.state);
      // no limit, the lower and the upper one (the legs' limits differ: never 'equal')
      expect([...seen].sort()).toEqual([0, 1, 2]);
    });
  }
});
