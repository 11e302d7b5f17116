import { Rng, deriveSeed } from '@varshare/base';
import type { WeightModesConfig } from '@varshare/core';
import { createSuite, type SuiteOptionsInput, type VectorEnv } from '@varshare/envs';
import * as M from '@varshare/base';
import type { MultiTaskAgent } from './agent';
import type { EvalConfig } from './config';
import { actingForward, actingSnapshots, selectActions, weightOptions, type PolicyActions } from './policy';
import type { ObservationNormalizer } from './runningStats';

/** What an evaluation needs. Nothing here changes: the run generator is restored afterwards. */
export interface EvaluationContext {
  readonly agent: MultiTaskAgent;
  readonly actions: PolicyActions;
  readonly obsNorm: ObservationNormalizer;
  /** The run generator: stochastic action sampling draws from it and it is restored afterwards. */
  readonly rng: Rng;
  readonly weights: WeightModesConfig;
  readonly eval: EvalConfig;
  readonly suite: string;
  readonly suiteOptions: Omit<SuiteOptionsInput, 'seed' | 'rowsPerTask'>;
  /** The run seed. */
  readonly seed: number;
  readonly taskNames: readonly string[];
  /**
   * A vector env of the suite with `eval.episodes` rows per task, kept across evaluations and reset
   * with each evaluation's seed (equal to a fresh env seeded so). Null: a fresh env per evaluation.
   */
  readonly env: VectorEnv | null;
}

/**
 * Deterministic evaluation (spec: posterior means, greedy actions unless configured otherwise): a
 * fresh vector env with `eval.episodes` rows per task, seeded from the run seed and the evaluation
 * index; each row runs exactly one episode (and is not stepped after it). Observation statistics
 * are used, not updated.
 * @param evalIndex 1-based index of this evaluation in the run (seeds the env and the noise)
 * @returns `eval/*` keys: per-task return and success, their means over tasks, `eval/episodes_per_task`
 */
export function evaluatePolicy(ctx: EvaluationContext, evalIndex: number): Record<string, number> {
  const e = ctx.eval;
  const envSeed = deriveSeed(deriveSeed(ctx.seed, 13), evalIndex);
  const env = ctx.env ?? createSuite(ctx.suite, { ...ctx.suiteOptions, seed: envSeed, rowsPerTask: e.episodes });
  const evalRng = new Rng(deriveSeed(deriveSeed(ctx.seed, 14), evalIndex));
  const mode = ctx.weights.eval;
  const opts = weightOptions(ctx.weights, mode, evalRng.nextSeed());
  // The actor only: an evaluation needs no values.
  const snaps = actingSnapshots(ctx.agent, ctx.weights, mode, opts, 'actor');
  const rows = env.numRows;
  const done = new Uint8Array(rows);
  const returns = new Float64Array(rows);
  const success = new Uint8Array(rows);
  const rowTask = new Int32Array(rows);
  // A row whose one episode is over is no longer stepped (the envs of finished rows would otherwise
  // run until the longest episode ends). The policy still acts on every row, so a stochastic
  // evaluation draws from the generator exactly as before; rows are independent, so the active
  // rows' steps are unchanged.
  const active = new Uint8Array(rows).fill(1);
  let remaining = rows;
  try {
    let { observations, taskIds } = env.reset({ seed: envSeed });
    const savedRng = ctx.rng.getState();
    while (remaining > 0) {
      const obsN = ctx.obsNorm.normalize(observations, taskIds, false);
      const { head } = actingForward(ctx.agent, obsN, taskIds, snaps, opts, snaps ? 0 : evalRng.nextSeed(), 'actor');
      const { envActions } = selectActions(ctx.agent, ctx.actions, head, taskIds, ctx.rng, e.deterministic);
      const ids = Int32Array.from(taskIds);
      const res = env.step(envActions, active);
      for (const ep of res.episodes) {
        if (done[ep.row]) continue;
        done[ep.row] = 1;
        active[ep.row] = 0;
        returns[ep.row] = ep.return;
        success[ep.row] = ep.success ? 1 : 0;
        rowTask[ep.row] = ids[ep.row] as number;
        remaining -= 1;
      }
      observations = res.observations;
      taskIds = res.taskIds;
    }
    // Stochastic evaluation draws from the run generator; restore it so evaluation never changes training.
    ctx.rng.setState(savedRng);
  } finally {
    snaps?.forEach((s) => s?.dispose());
    if (!ctx.env) env.close();
  }
  const out: Record<string, number> = {};
  const taskRet: number[] = [];
  const taskSuc: number[] = [];
  ctx.taskNames.forEach((name, t) => {
    let r = 0;
    let s = 0;
    let c = 0;
    for (let i = 0; i < rows; i++) {
      if (rowTask[i] !== t) continue;
      r += returns[i] as number;
      s += success[i] as number;
      c += 1;
    }
    out[M.evalReturnTask(name)] = r / c;
    out[M.evalSuccessTask(name)] = s / c;
    taskRet.push(r / c);
    taskSuc.push(s / c);
  });
  out[M.EVAL_RETURN_MEAN] = taskRet.reduce((a, b) => a + b, 0) / taskRet.length;
  out[M.EVAL_SUCCESS_RATE] = taskSuc.reduce((a, b) => a + b, 0) / taskSuc.length;
  out[M.EVAL_EPISODES_PER_TASK] = e.episodes;
  return out;
}
