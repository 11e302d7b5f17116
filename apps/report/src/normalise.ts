/**
 * Optional min–max normalisation of per-task returns, for suites whose tasks have different scales.
 * Range of task t in suite s = [min, max] of `eval/return/<t>` over EVERY evaluation record of the
 * suite (all variants, seeds and times, plus the final evals), so normalised scores lie in [0, 1]
 * and every variant is measured on the same ruler. A task whose return never varies maps to 0
 * (it carries no information and shifts every variant equally).
 * cartpole-mt's tasks share a 0–500 scale, so its headline uses raw returns (`--score raw`).
 */
import { evalReturnTask } from '@varshare/base';
import { tasksOf } from './loadRuns';
import type { LoadedRun } from './loadRuns';

/** `[min, max]` per suite, then task. */
export type TaskRanges = ReadonlyMap<string, ReadonlyMap<string, { readonly min: number; readonly max: number }>>;

/** Ranges per suite and task over every eval record and final eval of the runs (NaN values ignored). */
export function taskRanges(runs: readonly LoadedRun[]): TaskRanges {
  const out = new Map<string, Map<string, { min: number; max: number }>>();
  const see = (suite: string, record: Readonly<Record<string, number>>): void => {
    let bySuite = out.get(suite);
    if (bySuite === undefined) {
      bySuite = new Map();
      out.set(suite, bySuite);
    }
    for (const task of tasksOf(record)) {
      const x = record[evalReturnTask(task)] as number;
      if (Number.isNaN(x)) continue;
      const r = bySuite.get(task);
      if (r === undefined) bySuite.set(task, { min: x, max: x });
      else {
        r.min = Math.min(r.min, x);
        r.max = Math.max(r.max, x);
      }
    }
  };
  for (const r of runs) {
    see(r.suite, r.finalEval);
    for (const rec of r.data.evals) see(r.suite, rec);
  }
  return out;
}

/** (x − min)/(max − min) for the task's range; 0 when max = min; NaN for NaN or an unknown task. */
export function normaliseScore(ranges: TaskRanges, suite: string, task: string, x: number): number {
  const r = ranges.get(suite)?.get(task);
  if (r === undefined || Number.isNaN(x)) return Number.NaN;
  const span = r.max - r.min;
  return span > 0 ? (x - r.min) / span : 0;
}
