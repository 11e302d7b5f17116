import { describe, expect, it } from 'vitest';
import { analyseDiagnostics, firstLast } from './analyseDiagnostics';
import { diagnosticRows, keptUpdates, qualifierKind } from './runTables';
import { fromRows } from './runTables';
import { fakeRun, rec } from '../test/fakeRun';

const tasks = new Set(['t1', 't2', 't3']);

function runs() {
  const ratio = { controller: { beta: { kind: 'ratio', rMin: 0.1, rMax: 0.3 }, prior: { kind: 'fixed' } } };
  return [
    // exp3: R_ema in [0.1, 0.3] at updates 2 and 3 of 4 → 50 %; up count 0 → 1 at update 3, down 0 → 1 at 4
    fakeRun({
      variant: 'exp3', seed: 1, returns: { t1: 1, t2: 1, t3: 1 }, config: ratio,
      metrics: [
        rec(1, { 'controller/beta': 0.01, 'controller/R_ema': 0.05, 'controller/trigger_up_count': 0, 'controller/trigger_down_count': 0, 'varshare/sigma_median/actor.0': 0.2 }),
        rec(2, { 'controller/beta': 0.01, 'controller/R_ema': 0.1, 'controller/trigger_up_count': 0, 'controller/trigger_down_count': 0, 'varshare/sigma_median/actor.0': 0.6 }),
        rec(3, { 'controller/beta': 0.011, 'controller/R_ema': 0.3, 'controller/trigger_up_count': 1, 'controller/trigger_down_count': 0, 'varshare/sigma_median/actor.0': 0.9 }),
        rec(4, { 'controller/beta': 0.01, 'controller/R_ema': 0.4, 'controller/trigger_up_count': 1, 'controller/trigger_down_count': 1, 'varshare/sigma_median/actor.0': 0.7 }),
      ],
    }),
    // exp4: σ_prior per task; t1 and t2 rise, t3 falls; |μ| ordered like σ_prior
    fakeRun({
      variant: 'exp4', seed: 1, returns: { t1: 100, t2: 300, t3: 200 },
      metrics: [
        rec(1, { 'controller/beta': 0.01, 'prior/sigma/t1': 0.1, 'prior/sigma/t2': 0.1, 'prior/sigma/t3': 0.1, 'varshare/mu_abs_median/t1': 0.01, 'varshare/mu_abs_median/t2': 0.01, 'varshare/mu_abs_median/t3': 0.01, 'varshare/sigma_median/actor.0': 0.1 }),
        rec(2, { 'controller/beta': 0.01, 'prior/sigma/t1': 0.2, 'prior/sigma/t2': 0.3, 'prior/sigma/t3': 0.05, 'varshare/mu_abs_median/t1': 0.02, 'varshare/mu_abs_median/t2': 0.03, 'varshare/mu_abs_median/t3': 0.001, 'varshare/sigma_median/actor.0': 0.1 }),
      ],
    }),
    // exp5: layer priors; actor.0 collapses (0.1 → 0.005), critic.0 explodes (0.1 → 2)
    fakeRun({
      variant: 'exp5', seed: 1, returns: { t1: 1, t2: 1, t3: 1 },
      metrics: [
        rec(1, { 'prior/sigma/actor.0': 0.1, 'prior/sigma/critic.0': 0.1, 'prior/hyper_penalty': 0 }),
        rec(2, { 'prior/sigma/actor.0': 0.005, 'prior/sigma/critic.0': 2, 'prior/hyper_penalty': 0.02 }),
      ],
    }),
  ];
}

function analyse() {
  const rs = runs();
  const table = fromRows(diagnosticRows(rs, tasks, 150), ['suite']);
  const finalReturns = new Map([['exp4\u0000t1', 100], ['exp4\u0000t2', 300], ['exp4\u0000t3', 200]]);
  return analyseDiagnostics('toy', rs, table, ['exp3', 'exp4', 'exp5'], finalReturns, 0.5);
}

describe('analyseDiagnostics', () => {
  const d = analyse();

  it('summarises β and the ratio controller against the band from the config', () => {
    const b = d.beta.find((x) => x.variant === 'exp3');
    expect(b).toMatchObject({ betaInitial: 0.01, betaFinal: 0.01, betaMin: 0.01, betaMax: 0.011, triggerUp: 1, triggerDown: 1, rMin: 0.1, rMax: 0.3, rEmaFinal: 0.4 });
    expect(b?.rEmaInBand).toBe(0.5);
    // exp4 logs β but no R_ema: band share NaN, default band
    const b4 = d.beta.find((x) => x.variant === 'exp4');
    expect(b4?.rEmaInBand).toBeNaN();
    expect(b4).toMatchObject({ rMin: 0.05, rMax: 0.2 });
  });

  it('finds trigger events where the cumulative counts increase', () => {
    expect(d.triggers.map((t) => [t.variant, t.update, t.direction, t.beta])).toEqual([
      ['exp3', 3, 'up', 0.011],
      ['exp3', 4, 'down', 0.01],
    ]);
  });

  it('flags σ drift by the final layer median, with the peak over time', () => {
    const s = d.sigmaDrift.find((x) => x.variant === 'exp3');
    expect(s).toMatchObject({ layer: 'actor.0', initial: 0.2, final: 0.7, peak: 0.9, flagged: true });
    expect(d.sigmaDrift.find((x) => x.variant === 'exp4')?.flagged).toBe(false);
  });

  it('relates σ_prior per task to |μ| and return (Spearman)', () => {
    const rows = d.priorSigma.filter((p) => p.variant === 'exp4');
    expect(rows.map((r) => [r.name, r.sigmaPriorFinal, r.muAbsFinal, r.finalReturn, r.state])).toEqual([
      ['t1', 0.2, 0.02, 100, 'rose'],
      ['t2', 0.3, 0.03, 300, 'rose'],
      ['t3', 0.05, 0.001, 200, 'fell'],
    ]);
    const c = d.correlations.filter((x) => x.variant === 'exp4');
    // σ ranks [2, 3, 1] vs |μ| ranks [2, 3, 1] → 1; vs return ranks [1, 3, 2] → ρ = 0.5 (hand-worked: dx=[0,1,-1], dy=[-1,1,0] → 1/2)
    expect(c.map((x) => x.spearman)).toEqual([1, 0.5]);
  });

  it('marks exp5 layer priors that collapse or explode', () => {
    const rows = d.priorSigma.filter((p) => p.variant === 'exp5');
    expect(rows.map((r) => [r.name, r.state])).toEqual([['actor.0', 'collapse'], ['critic.0', 'explosion']]);
    expect(d.finals.find((f) => f.variant === 'exp5' && f.key === 'prior/hyper_penalty')?.mean).toBe(0.02);
  });

  it('series average over seeds per env step', () => {
    const beta = d.series.filter((s) => s.variant === 'exp3' && s.key === 'controller/beta');
    expect(beta.map((s) => [s.env_steps, s.mean])).toEqual([[100, 0.01], [200, 0.01], [300, 0.011], [400, 0.01]]);
  });
});

describe('helpers', () => {
  it('firstLast skips records without the key', () => {
    const r = fakeRun({ variant: 'a', seed: 1, returns: { t: 1 }, metrics: [rec(1, {}), rec(2, { k: 3 }), rec(3, { k: 5 }), rec(4, {})] });
    expect(firstLast(r, 'k')).toEqual({ first: 3, last: 5 });
    expect(firstLast(r, 'missing').first).toBeNaN();
  });
  it('keptUpdates keeps first and last and at most maxPoints', () => {
    const r = fakeRun({ variant: 'a', seed: 1, returns: { t: 1 }, metrics: Array.from({ length: 100 }, (_, i) => rec(i + 1, {})) });
    const kept = [...keptUpdates([r], 10)].sort((a, b) => a - b);
    expect(kept.length).toBe(10);
    expect(kept[0]).toBe(1);
    expect(kept.at(-1)).toBe(100);
  });
  it('qualifierKind prefers known task names over the layer-name shape', () => {
    expect(qualifierKind('actor.0', new Set())).toBe('layer');
    expect(qualifierKind('actor.0', new Set(['actor.0']))).toBe('task');
    expect(qualifierKind('reach', new Set())).toBe('task');
    expect(qualifierKind(undefined, new Set())).toBe('global');
  });
});
