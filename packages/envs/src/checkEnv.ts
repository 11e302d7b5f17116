/**
 * `checkEnv`: one conformance check for any {@link Env} (in the spirit of Gymnasium's `check_env`),
 * run on every task of every suite by the tests. Throws an {@link EnvCheckError} naming the failed
 * check, or returns a report of what was exercised.
 */
import { Rng, deriveEnvSeed, foldEnvSeed } from '@varshare/base';
import type { Action, Env, StepResult } from './env';
import { boxSize, describeSpaceProblem, sampleSpace, spaceContains } from './spaces';

/** Options of {@link checkEnv}. */
export interface CheckEnvOptions {
  /** Seed of the checks (env seeds and the action generator). Defaults to 0. */
  readonly seed?: number;
  /** Steps in the seeding/trajectory reproducibility checks. Defaults to 50. */
  readonly trajectorySteps?: number;
  /** Total steps of the contract run (episodes with `policy`). Defaults to 1000. */
  readonly contractSteps?: number;
  /** Action chooser for the contract run. Defaults to uniform random actions from a seeded generator. */
  readonly policy?: (observation: Float32Array, rng: Rng) => Action;
  /** Fail unless some episode of the contract run reached the time limit. Defaults to false. */
  readonly requireTimeLimit?: boolean;
  /** Fail when two different seeds give identical first observations and trajectories. Defaults to true. */
  readonly requireSeedSensitivity?: boolean;
}

/** What {@link checkEnv} exercised. */
export interface CheckEnvReport {
  readonly checks: readonly string[];
  readonly episodes: number;
  readonly steps: number;
  /** Episodes that ended by the time limit. */
  readonly truncatedEpisodes: number;
  readonly terminatedEpisodes: number;
}

/** Thrown by {@link checkEnv}; `check` names the failed check. */
export class EnvCheckError extends Error {
  readonly check: string;
  constructor(check: string, message: string) {
    super(`checkEnv [${check}]: ${message}`);
    this.name = 'EnvCheckError';
    this.check = check;
  }
}

interface Transition {
  readonly observation: Float32Array;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly success: unknown;
}

function sameFloats(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function describe(a: Float32Array): string {
  return `[${Array.from(a, (v) => v.toPrecision(6)).join(', ')}]`;
}

/**
 * Checks, in order: spaces (`spaces`), reset output (`reset`), step output and flags (`step`),
 * seeding (`seeding`: same seed ⇒ same first observation and same trajectory under fixed actions;
 * `seed-sensitivity`: another seed differs), the episode contract over `contractSteps` steps
 * (`contract`: observations in the space, finite rewards, `terminated`/`truncated` exclusive,
 * truncation exactly at `maxEpisodeSteps` and never before, stepping a finished episode throws,
 * `info.success` boolean when present), invalid discrete actions throw (`action-validation`), and
 * `getState`/`setState` (`state`: JSON round trip, then restoring into the same env continues
 * identically).
 *
 * @throws EnvCheckError naming the failed check
 */
export function checkEnv(env: Env, options: CheckEnvOptions = {}): CheckEnvReport {
  const seed = options.seed ?? 0;
  const trajectorySteps = options.trajectorySteps ?? 50;
  const contractSteps = options.contractSteps ?? 1000;
  const checks: string[] = [];
  const fail = (check: string, message: string): never => {
    throw new EnvCheckError(check, message);
  };
  /** Runs an env call; an unexpected exception becomes a failure of `check`. */
  const guarded = <T>(check: string, call: () => T): T => {
    try {
      return call();
    } catch (e) {
      if (e instanceof EnvCheckError) throw e;
      return fail(check, `env threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  // ---- spaces ----
  const obsProblem = describeSpaceProblem(env.observationSpace);
  if (obsProblem !== null) fail('spaces', `observationSpace: ${obsProblem}`);
  if (env.observationSpace.kind !== 'box') fail('spaces', 'observationSpace must be a Box');
  const actProblem = describeSpaceProblem(env.actionSpace);
  if (actProblem !== null) fail('spaces', `actionSpace: ${actProblem}`);
  const limit = env.maxEpisodeSteps;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) fail('spaces', `maxEpisodeSteps must be a positive integer or undefined, got ${String(limit)}`);
  checks.push('spaces');
  const obsSize = boxSize(env.observationSpace);

  const checkObservation = (check: string, obs: unknown, where: string): Float32Array => {
    if (!(obs instanceof Float32Array)) return fail(check, `${where}: observation must be a Float32Array, got ${Object.prototype.toString.call(obs)}`);
    if (obs.length !== obsSize) fail(check, `${where}: observation has length ${obs.length}, observationSpace needs ${obsSize}`);
    for (let i = 0; i < obs.length; i++) {
      const v = obs[i] ?? Number.NaN;
      if (!Number.isFinite(v)) fail(check, `${where}: observation[${i}] is not finite (${v})`);
      const lo = env.observationSpace.low[i] ?? -Infinity;
      const hi = env.observationSpace.high[i] ?? Infinity;
      if (v < lo || v > hi) fail(check, `${where}: observation[${i}] = ${v} outside [${lo}, ${hi}]`);
    }
    return obs;
  };

  const checkStep = (check: string, res: StepResult, where: string): Transition => {
    if (res === null || typeof res !== 'object') return fail(check, `${where}: step must return an object`);
    const observation = checkObservation(check, res.observation, where);
    if (typeof res.reward !== 'number' || !Number.isFinite(res.reward)) fail(check, `${where}: reward must be a finite number, got ${String(res.reward)}`);
    if (typeof res.terminated !== 'boolean' || typeof res.truncated !== 'boolean') fail(check, `${where}: terminated/truncated must be booleans`);
    if (res.terminated && res.truncated) fail(check, `${where}: terminated and truncated are both true`);
    if (res.info === null || typeof res.info !== 'object') fail(check, `${where}: info must be an object`);
    if ('success' in res.info && typeof res.info.success !== 'boolean') fail(check, `${where}: info.success must be a boolean when present`);
    return { observation: Float32Array.from(observation), reward: res.reward, terminated: res.terminated, truncated: res.truncated, success: res.info.success };
  };

  // ---- reset ----
  const first = guarded('reset', () => env.reset({ seed }));
  if (first === null || typeof first !== 'object' || first.info === null || typeof first.info !== 'object') fail('reset', 'reset must return { observation, info }');
  const firstObs = Float32Array.from(checkObservation('reset', first.observation, 'reset'));
  checks.push('reset');

  // ---- one step ----
  const actionRng = new Rng(foldEnvSeed(deriveEnvSeed(seed, 0)));
  const action0 = sampleSpace(env.actionSpace, actionRng);
  if (!spaceContains(env.actionSpace, action0)) fail('step', 'a sampled action is not contained in actionSpace');
  checkStep('step', guarded('step', () => env.step(action0)), 'step 1');
  checks.push('step');

  // ---- seeding ----
  const fixedActions: Action[] = [];
  const seqRng = new Rng(foldEnvSeed(deriveEnvSeed(seed, 1)));
  for (let t = 0; t < trajectorySteps; t++) fixedActions.push(sampleSpace(env.actionSpace, seqRng));
  const rollout = (s: number): { first: Float32Array; steps: Transition[] } => {
    const r0 = guarded('seeding', () => env.reset({ seed: s }));
    const firstObservation = Float32Array.from(checkObservation('seeding', r0.observation, `reset(seed=${s})`));
    const steps: Transition[] = [];
    for (const a of fixedActions) {
      const tr = checkStep('seeding', guarded('seeding', () => env.step(a)), `seed ${s} step ${steps.length + 1}`);
      steps.push(tr);
      if (tr.terminated || tr.truncated) break;
      if (limit !== undefined && steps.length >= limit) fail('contract', `step ${steps.length} reached maxEpisodeSteps = ${limit} but truncated is false`);
    }
    return { first: firstObservation, steps };
  };
  const sameRollout = (a: { first: Float32Array; steps: Transition[] }, b: { first: Float32Array; steps: Transition[] }): string | null => {
    if (!sameFloats(a.first, b.first)) return `first observations differ: ${describe(a.first)} vs ${describe(b.first)}`;
    if (a.steps.length !== b.steps.length) return `episode lengths differ: ${a.steps.length} vs ${b.steps.length}`;
    for (let t = 0; t < a.steps.length; t++) {
      const x = a.steps[t] as Transition;
      const y = b.steps[t] as Transition;
      if (!sameFloats(x.observation, y.observation)) return `observations differ at step ${t + 1}: ${describe(x.observation)} vs ${describe(y.observation)}`;
      if (!Object.is(x.reward, y.reward) || x.terminated !== y.terminated || x.truncated !== y.truncated || x.success !== y.success) {
        return `reward/flags differ at step ${t + 1}`;
      }
    }
    return null;
  };
  const runA = rollout(seed);
  const runB = rollout(seed);
  const mismatch = sameRollout(runA, runB);
  if (mismatch !== null) fail('seeding', `same seed ${seed} under the same actions: ${mismatch}`);
  if (!sameFloats(runA.first, firstObs)) fail('seeding', `reset(seed=${seed}) gave different first observations on repeated calls`);
  checks.push('seeding');
  if (options.requireSeedSensitivity ?? true) {
    const runC = rollout(seed + 12345);
    if (sameRollout(runA, runC) === null) fail('seed-sensitivity', `seeds ${seed} and ${seed + 12345} give identical trajectories`);
    checks.push('seed-sensitivity');
  }

  // ---- episode contract ----
  const policyRng = new Rng(foldEnvSeed(deriveEnvSeed(seed, 2)));
  const policy = options.policy ?? ((_obs: Float32Array, rng: Rng) => sampleSpace(env.actionSpace, rng));
  let obs: Float32Array = Float32Array.from(guarded('contract', () => env.reset({ seed: seed + 3 })).observation);
  let t = 0;
  let episodes = 0;
  let truncatedEpisodes = 0;
  let terminatedEpisodes = 0;
  let steps = 0;
  let stepAfterEndChecked = false;
  while (steps < contractSteps) {
    const tr = checkStep('contract', guarded('contract', () => env.step(policy(obs, policyRng))), `episode ${episodes + 1} step ${t + 1}`);
    steps += 1;
    t += 1;
    obs = tr.observation;
    if (tr.truncated && limit !== undefined && t !== limit) fail('contract', `truncated at step ${t}, but maxEpisodeSteps is ${limit}`);
    if (tr.truncated && limit === undefined) fail('contract', `truncated at step ${t} without a time limit`);
    if (limit !== undefined && t >= limit && !tr.terminated && !tr.truncated) fail('contract', `step ${t} reached maxEpisodeSteps = ${limit} but truncated is false`);
    if (tr.terminated || tr.truncated) {
      episodes += 1;
      if (tr.truncated) truncatedEpisodes += 1;
      else terminatedEpisodes += 1;
      if (!stepAfterEndChecked) {
        let threw = false;
        try {
          env.step(policy(obs, policyRng));
        } catch {
          threw = true;
        }
        if (!threw) fail('contract', 'step() after the episode ended must throw (call reset first)');
        stepAfterEndChecked = true;
      }
      obs = Float32Array.from(checkObservation('contract', guarded('contract', () => env.reset()).observation, `reset after episode ${episodes}`));
      t = 0;
    }
  }
  if ((options.requireTimeLimit ?? false) && truncatedEpisodes === 0) {
    fail('contract', `no episode reached the time limit (${String(limit)}) within ${contractSteps} steps`);
  }
  checks.push('contract');

  // ---- invalid actions ----
  if (env.actionSpace.kind === 'discrete') {
    guarded('action-validation', () => env.reset({ seed }));
    for (const bad of [-1, env.actionSpace.n, 0.5, Number.NaN]) {
      let threw = false;
      try {
        env.step(bad);
      } catch {
        threw = true;
      }
      if (!threw) fail('action-validation', `step(${bad}) must throw for Discrete(${env.actionSpace.n})`);
    }
    checks.push('action-validation');
  }

  // ---- state save/restore ----
  guarded('state', () => env.reset({ seed: seed + 4 }));
  const stateRng = new Rng(foldEnvSeed(deriveEnvSeed(seed, 5)));
  const stateActions: Action[] = [];
  for (let k = 0; k < 2 * trajectorySteps; k++) stateActions.push(sampleSpace(env.actionSpace, stateRng));
  let k = 0;
  const warmup = Math.floor(trajectorySteps / 2);
  for (; k < warmup; k++) {
    const tr = guarded('state', () => env.step(stateActions[k] as Action));
    if (tr.terminated || tr.truncated) guarded('state', () => env.reset());
  }
  const saved = guarded('state', () => env.getState());
  const json = JSON.stringify(saved);
  if (JSON.stringify(JSON.parse(json)) !== json) fail('state', 'getState() is not plain JSON (does not survive a JSON round trip)');
  const continueRun = (): Transition[] => {
    const out: Transition[] = [];
    for (let j = warmup; j < stateActions.length; j++) {
      const tr = checkStep('state', guarded('state', () => env.step(stateActions[j] as Action)), `after restore step ${j - warmup + 1}`);
      out.push(tr);
      if (tr.terminated || tr.truncated) break;
    }
    return out;
  };
  const before = continueRun();
  guarded('state', () => env.setState(JSON.parse(json)));
  const after = continueRun();
  const stateMismatch = sameRollout({ first: firstObs, steps: before }, { first: firstObs, steps: after });
  if (stateMismatch !== null) fail('state', `continuation after setState(getState()) differs: ${stateMismatch}`);
  checks.push('state');

  return { checks, episodes, steps, truncatedEpisodes, terminatedEpisodes };
}
