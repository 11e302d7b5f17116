import { describe, expect, it } from 'vitest';
import type { MetricRecord, RunData } from '@varshare/metrics';
import { checkLearnedPrior, checkLossGapPrior, checkPressureKeys, checkRatioController, checkSigmaInflation, checkTightPrior } from './scienceChecks';

const run = (metrics: Record<string, number>[], config: Record<string, unknown> = {}): RunData =>
  ({ dir: '/r', config, meta: {}, metrics: metrics.map((m, i) => ({ update: i + 1, env_steps: 100 * (i + 1), ...m }) as MetricRecord), evals: [], summary: {}, warnings: [] }) as unknown as RunData;

const ratioConfig = { controller: { beta: { kind: 'ratio', K: 2, rMin: 0.05, rMax: 0.2, betaMin: 1e-4, betaMax: 100 } } };

describe('scienceChecks', () => {
  it('σ inflation: every layer must grow by the factor', () => {
    const ok = run([{ 'varshare/sigma_median/actor.0': 0.02, 'varshare/sigma_median/critic.0': 0.02 }, { 'varshare/sigma_median/actor.0': 0.05, 'varshare/sigma_median/critic.0': 0.04 }]);
    expect(checkSigmaInflation(ok).pass).toBe(true);
    expect(checkSigmaInflation(ok).measured).toBe('2/2 layers ≥ 2×: actor.0 ×2.5, critic.0 ×2');
    const one = run([{ 'varshare/sigma_median/actor.0': 0.02, 'varshare/sigma_median/critic.0': 0.02 }, { 'varshare/sigma_median/actor.0': 0.05, 'varshare/sigma_median/critic.0': 0.039 }]);
    expect(checkSigmaInflation(one).pass).toBe(false);
  });

  it('tight prior: exp1 final σ at most half the baseline\'s in every layer', () => {
    const base = run([{ 'varshare/sigma_median/actor.0': 0.1 }]);
    expect(checkTightPrior(run([{ 'varshare/sigma_median/actor.0': 0.05 }]), base).pass).toBe(true);
    expect(checkTightPrior(run([{ 'varshare/sigma_median/actor.0': 0.051 }]), base).pass).toBe(false);
  });

  it('ratio controller: changes only at decision updates, in the rule\'s direction, none missed', () => {
    // K = 2: decisions after 0-based updates 1, 3, 5 (their R_ema), visible in rows 2, 4, 6.
    const rows = [
      { 'controller/beta': 0.01, 'controller/R_ema': 0.1 },
      { 'controller/beta': 0.01, 'controller/R_ema': 0.3 }, // decision: up
      { 'controller/beta': 0.011, 'controller/R_ema': 0.3 },
      { 'controller/beta': 0.011, 'controller/R_ema': 0.01 }, // decision: down
      { 'controller/beta': 0.01, 'controller/R_ema': 0.01 },
      { 'controller/beta': 0.01, 'controller/R_ema': 0.3 }, // decision: up
      { 'controller/beta': 0.011, 'controller/R_ema': 0.3 },
    ];
    const [acts, band] = checkRatioController(run(rows, ratioConfig));
    expect(acts!.pass).toBe(true);
    expect(acts!.measured).toContain('3 changes');
    expect(band!.pass).toBe(true); // 0.1 (in) → 0.3 (out) → …
    // a change off the decision grid, and a missed decision, are both caught
    const off = rows.map((r, i) => (i === 1 ? { ...r, 'controller/beta': 0.0105 } : r));
    expect(checkRatioController(run(off, ratioConfig))[0]!.pass).toBe(false);
    const missed = rows.map((r, i) => (i === 2 ? { ...r, 'controller/beta': 0.01 } : r));
    expect(checkRatioController(run(missed, ratioConfig))[0]!.measured).toContain('update 1: R_ema 0.3 → expected up, β went none');
    // a rising β against the rule (R_ema below the band) fails too
    const wrong = rows.map((r, i) => (i === 3 ? { ...r, 'controller/R_ema': 0.1 } : r));
    expect(checkRatioController(run(wrong, ratioConfig))[0]!.pass).toBe(false);
    // R_ema never leaving the band: no crossing
    const flat = rows.map((r) => ({ ...r, 'controller/R_ema': 0.1, 'controller/beta': 0.01 }));
    expect(checkRatioController(run(flat, ratioConfig))[1]!.pass).toBe(false);
  });

  it('loss-gap prior: per-task priors must differ; learned prior: layer spread and the penalty in every row', () => {
    const exp4 = run([{ 'prior/sigma/a': 0.07, 'prior/sigma/b': 0.07, 'prior/z/a': 0 }, { 'prior/sigma/a': 0.03, 'prior/sigma/b': 0.09, 'varshare/mu_abs_median/a': 0.001, 'varshare/mu_abs_median/b': 0.01, 'prior/z/a': 1 }]);
    const c4 = checkLossGapPrior(exp4, ['a', 'b']);
    expect(c4.pass).toBe(true);
    expect(c4.measured).toBe('2 meta-updates; final σ_prior,m 0.03–0.09 (max/min 3); Spearman(σ_prior,m, |μ_m|) = 1 over 2 tasks');
    const layer = (a: number, b: number, hyper = true) => ({ 'varshare/sigma_median/actor.0': 0.1, 'varshare/sigma_median/actor.1': 0.1, 'prior/sigma/actor.0': a, 'prior/sigma/actor.1': b, ...(hyper ? { 'prior/hyper_penalty': 0.01 } : {}) });
    expect(checkLearnedPrior(run([layer(0.1, 0.1), layer(0.05, 0.0552)])).pass).toBe(true); // spread 10.4 %
    expect(checkLearnedPrior(run([layer(0.1, 0.1), layer(0.05, 0.0549)])).pass).toBe(false); // 9.8 %
    expect(checkLearnedPrior(run([layer(0.1, 0.1, false), layer(0.05, 0.06)])).pass).toBe(false);
  });

  it('pressure keys: every row of every run', () => {
    const keys = { 'grad/kl_norm/theta': 0, 'grad/kl_norm/mu': 1, 'grad/kl_norm/rho': 1, 'grad/ppo_norm/theta': 1, 'grad/ppo_norm/mu': 1, 'grad/ppo_norm/rho': 1, 'step/rho_abs_median': 1, 'grad/kl_rms/rho': 2 };
    expect(checkPressureKeys([run([keys, keys])]).pass).toBe(true);
    expect(checkPressureKeys([run([keys, { ...keys, 'step/rho_abs_median': undefined as unknown as number }])]).pass).toBe(false);
  });
});
