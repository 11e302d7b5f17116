import { describe, expect, it } from 'vitest';
import { analysePressure } from './analysePressure';
import { pressureSummary } from './summaryText';
import type { SuiteDiagnostics } from './analyseDiagnostics';
import { fakeRun, rec } from '../test/fakeRun';

const opt = (eps: number) => ({ ppo: { learningRate: 1e-3, adamEps: 1e-5 }, optimizer: { posteriorLrScale: 1, rhoLrScale: 3, posteriorAdamEps: eps } });
const pressureKeys = (klRho: number, ppoRho: number, step: number) => ({
  'grad/kl_norm/rho': klRho * 10,
  'grad/ppo_norm/rho': ppoRho * 10,
  'grad/kl_rms/rho': klRho,
  'grad/ppo_rms/rho': ppoRho,
  'grad/kl_norm/theta': 0,
  'grad/ppo_norm/theta': 0.3,
  'grad/kl_rms/theta': 0,
  'grad/ppo_rms/theta': 0.003,
  'step/rho_abs_median': step,
});

function runs() {
  return [
    // baseline, today's old defaults: σ moves 0.2 % (actor.0) and 0.6 % (critic.0); KL per ρ 1e-7 < ε 1e-5
    fakeRun({
      variant: 'baseline', seed: 1, returns: { t1: 1 }, config: opt(1e-5),
      metrics: [
        rec(1, { 'varshare/sigma_median/actor.0': 0.001, 'varshare/sigma_median/critic.0': 0.001, 'prior/sigma': 1, 'varshare/mu_abs_median/actor.0': 0.02, 'varshare/mu_abs_median/critic.0': 0.01, 'controller/beta': 0.01, ...pressureKeys(1e-7, 2e-7, 1e-6) }),
        rec(2, { 'varshare/sigma_median/actor.0': 0.001002, 'varshare/sigma_median/critic.0': 0.001006, 'prior/sigma': 1, 'varshare/mu_abs_median/actor.0': 0.02, 'varshare/mu_abs_median/critic.0': 0.01, 'controller/beta': 0.01, ...pressureKeys(3e-7, 4e-7, 3e-6) }),
      ],
    }),
    // exp3 (β raised), ε 1e-8: σ doubles in actor.0 and stays below σ_prior = 1 → the KL pushes σ up
    fakeRun({
      variant: 'exp3', seed: 1, returns: { t1: 1 }, config: opt(1e-8),
      metrics: [
        rec(1, { 'varshare/sigma_median/actor.0': 0.02, 'varshare/sigma_median/critic.0': 0.02, 'prior/sigma': 1, 'varshare/mu_abs_median/actor.0': 0.02, 'varshare/mu_abs_median/critic.0': 0.01, 'controller/beta': 0.01, ...pressureKeys(4e-6, 2e-5, 1e-3) }),
        rec(2, { 'varshare/sigma_median/actor.0': 0.04, 'varshare/sigma_median/critic.0': 0.025, 'prior/sigma': 1, 'varshare/mu_abs_median/actor.0': 0.04, 'varshare/mu_abs_median/critic.0': 0.01, 'controller/beta': 0.011, ...pressureKeys(4e-6, 2e-5, 1e-3) }),
      ],
    }),
    // exp4: per-task priors, no β change
    fakeRun({
      variant: 'exp4', seed: 1, returns: { t1: 1, t2: 1 }, config: opt(1e-8),
      metrics: [
        rec(1, { 'prior/sigma/t1': 0.07, 'prior/sigma/t2': 0.07, 'varshare/mu_abs_median/t1': 0.01, 'varshare/mu_abs_median/t2': 0.02, 'controller/beta': 0.01 }),
        rec(2, { 'prior/sigma/t1': 0.02, 'prior/sigma/t2': 0.1, 'varshare/mu_abs_median/t1': 0.01, 'varshare/mu_abs_median/t2': 0.02, 'controller/beta': 0.01 }),
      ],
    }),
  ];
}

describe('analysePressure', () => {
  const p = analysePressure('toy', runs(), ['baseline', 'exp3', 'exp4'], ['t1', 't2'], 'baseline');

  it('averages the KL-pressure keys per group over updates', () => {
    const rho = p.pressure.find((r) => r.variant === 'baseline' && r.group === 'rho')!;
    expect(rho.klRms).toBeCloseTo(2e-7, 18); // mean of 1e-7 and 3e-7
    expect(rho.ppoRms).toBeCloseTo(3e-7, 18);
    expect(rho.klToPpo).toBeCloseTo(20e-7 / 30e-7, 12); // norms: mean 2e-6 vs 3e-6
    const theta = p.pressure.find((r) => r.variant === 'baseline' && r.group === 'theta')!;
    expect(theta.klNorm).toBe(0);
    expect(p.pressure.some((r) => r.variant === 'exp4')).toBe(false); // no pressure keys logged
  });

  it('calls a KL inert when σ did not move and its gradient was below ε — and not otherwise', () => {
    const base = p.inertness.find((r) => r.variant === 'baseline')!;
    expect(base.sigmaMove).toBeCloseTo(0.006, 9); // critic.0: 0.001006 / 0.001 − 1
    expect(base.sigmaMoveLayer).toBe('critic.0');
    expect(base.eps).toBe(1e-5);
    expect(base.inert).toBe(true);
    expect(base.reason).toContain('below Adam');
    const exp3 = p.inertness.find((r) => r.variant === 'exp3')!;
    expect(exp3.sigmaMove).toBeCloseTo(1, 12); // actor.0 doubled
    expect(exp3.inert).toBe(false);
    expect(exp3.rhoLr).toBeCloseTo(3e-3, 15);
  });

  it('gives the sign of β on σ from where σ sat against σ_prior, and σ against the paired baseline', () => {
    expect(p.direction.map((d) => d.variant)).toEqual(['exp3']); // the only variant whose β changed
    const d = p.direction[0]!;
    expect(d.sigmaBelowPrior).toBe(1);
    expect(d.klSlope).toBe('negative');
    // final σ ratios to baseline: actor.0 0.04/0.001002, critic.0 0.025/0.001006; geometric mean
    expect(d.sigmaVsBaseline).toBeCloseTo(Math.sqrt((0.04 / 0.001002) * (0.025 / 0.001006)), 9);
    expect(d.pairs).toBe(1);
  });

  it('puts σ_prior against the weight scale: σ_prior ÷ median |μ| per layer or task', () => {
    const base = p.priorScale.find((r) => r.variant === 'baseline')!;
    expect(base.granularity).toBe('global');
    expect([base.ratioMin, base.ratioMax]).toEqual([50, 100]); // 1/0.02, 1/0.01
    const exp4 = p.priorScale.find((r) => r.variant === 'exp4')!;
    expect(exp4.granularity).toBe('task');
    expect(exp4.ratioMin).toBeCloseTo(2, 12); // t1: 0.02/0.01
    expect(exp4.ratioMax).toBeCloseTo(5, 12); // t2: 0.1/0.02
    expect(Number.isNaN(exp4.muVsBaseline)).toBe(true); // the baseline logs no per-task |μ| here
    const exp3 = p.priorScale.find((r) => r.variant === 'exp3')!;
    // |μ| over the baseline's: actor.0 0.04/0.02 = 2, critic.0 0.01/0.01 = 1 → geometric mean √2
    expect(exp3.muVsBaseline).toBeCloseTo(Math.SQRT2, 12);
  });

  it('says so in words', () => {
    const lines = pressureSummary({ pressure: p } as unknown as SuiteDiagnostics).join('\n');
    expect(lines).toContain('baseline: the KL was INERT — median σ moved at most 0.60 % in any layer (critic.0)');
    expect(lines).toContain("exp3: β 0.01 → 0.011; σ sat below σ_prior in every layer and update, where ∂KL/∂σ = σ/σ_p² − 1/σ < 0: more β pushes σ UP");
    expect(lines).toContain('baseline: σ_prior ÷ median |μ| = 75 (range 50–100 over 2 layers) — far above the weights');
    expect(lines).toContain('exp4: σ_prior ÷ median |μ| = 3.5 (range 2–5 over 2 tasks) — near the weight scale.');
    expect(lines).toContain("exp3: σ_prior ÷ median |μ| = 62.5 (range 25–100 over 2 layers) — far above the weights: its pull on μ, β·μ/σ_p², is negligible (median |μ| 1.41× the baseline's)");
  });
});
