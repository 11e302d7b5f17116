/** In-memory `LoadedRun`s for unit tests (no files). */
import type { MetricRecord, RunData } from '@varshare/metrics';
import type { LoadedRun } from '../src/loadRuns';

export interface FakeRunSpec {
  readonly suite?: string;
  readonly variant: string;
  readonly seed: number;
  /** Final per-task returns. */
  readonly returns: Readonly<Record<string, number>>;
  readonly success?: Readonly<Record<string, number>>;
  readonly evals?: readonly MetricRecord[];
  readonly metrics?: readonly MetricRecord[];
  /** Merged over a default config. */
  readonly config?: Readonly<Record<string, unknown>>;
}

export function fakeRun(spec: FakeRunSpec): LoadedRun {
  const suite = spec.suite ?? 'toy';
  const finalEval: Record<string, number> = {};
  for (const [t, v] of Object.entries(spec.returns)) finalEval[`eval/return/${t}`] = v;
  for (const [t, v] of Object.entries(spec.success ?? {})) finalEval[`eval/success/${t}`] = v;
  const meta = { version: '0.1.0', gitCommit: 'abc', backend: 'wasm', actingMode: { rolloutWeights: 'sample', evalWeights: 'mean' }, startTime: `2025-01-0${spec.seed}T00:00:00Z` };
  const config = { suite, variant: spec.variant, seed: spec.seed, steps: 1000, ppo: { lr: 1 }, controller: { beta: { kind: 'fixed' }, prior: { kind: 'fixed' } }, meta, ...spec.config };
  const data = {
    dir: `/runs/${suite}/${spec.variant}/seed-${spec.seed}`,
    config,
    meta: config.meta,
    metrics: spec.metrics ?? [],
    evals: spec.evals ?? [],
    summary: { status: 'completed', wall_s: 1, updates: 1, env_steps: 1000, final_eval: finalEval },
    warnings: [],
  } as unknown as RunData;
  return { data, suite, variant: spec.variant, seed: spec.seed, finalEval, finalEvalSource: 'summary.final_eval' };
}

/** A metrics.jsonl record. */
export function rec(update: number, values: Readonly<Record<string, number>>): MetricRecord {
  return { update, env_steps: update * 100, ...values } as MetricRecord;
}
