import { describe, expect, it } from 'vitest';
import { betaSchedule } from './betaSchedule';
import { parseControllerConfig, type KlPriorControllerConfig } from './config';
import type { ControllerState } from './controllerState';
import { createKlPriorController, type ControllerSignals, type KlPriorController } from './createKlPriorController';
import { resolveVariant, VARIANT_PRESETS } from './variants';

const taskNames = ['cp-a', 'cp-b', 'cp-c', 'cp-d'];
const layerNames = ['actor.0', 'actor.1', 'critic.0'];
const opts = { numTasks: 4, taskNames, layerNames, totalUpdates: 200 };

/**
 * Deterministic synthetic signals: R above the band, then below it, then inside it (ups at updates
 * 19…79, downs at 119 and 139 with the defaults); task c has the largest loss gap.
 */
function signals(c: KlPriorController, state: ControllerState, update: number): ControllerSignals {
  const rRaw = (update < 70 ? 0.35 : update < 150 ? 0.01 : 0.12) + 0.01 * (1 + Math.sin(update));
  if (!c.wantsLossGap(state, update)) return { update, rRaw };
  const lAdapt = taskNames.map((_, m) => 1 + 0.1 * Math.cos(update + m));
  const lShared = lAdapt.map((l, m) => l + [0.1, 0.2, 1.5, 0.15][m]! * (1 + 0.3 * Math.sin(update / 13 + m)));
  return { update, rRaw, lShared, lAdapt };
}

interface Row {
  readonly used: ReturnType<KlPriorController['beforeUpdate']>;
  readonly logs: Record<string, number>;
}

function runRange(c: KlPriorController, state: ControllerState, from: number, to: number): { state: ControllerState; rows: Row[] } {
  const rows: Row[] = [];
  for (let t = from; t < to; t++) {
    const used = c.beforeUpdate(state, t);
    state = c.afterUpdate(state, signals(c, state, t));
    rows.push({ used, logs: c.logs(state, t) });
  }
  return { state, rows };
}

const variantNames = [...Object.keys(VARIANT_PRESETS), 'exp3-ratio-controller+exp4-loss-gap-prior', 'exp2-beta-anneal+exp5-empirical-bayes'];

describe('createKlPriorController: checkpoint round-trip', () => {
  it.each(variantNames)('%s: JSON.stringify/parse mid-run then continuing gives identical outputs', (name) => {
    const c = createKlPriorController(resolveVariant(name).config, opts);
    const straight = runRange(c, c.init(), 0, 200);
    const first = runRange(c, c.init(), 0, 77);
    const text = JSON.stringify(first.state);
    const restored = c.restore(JSON.parse(text));
    expect(restored).toEqual(first.state);
    const second = runRange(c, restored, 77, 200);
    expect([...first.rows, ...second.rows]).toEqual(straight.rows);
    expect(JSON.stringify(second.state)).toBe(JSON.stringify(straight.state));
    if (name.startsWith('exp3')) {
      // The synthetic R crosses both band edges, so both trigger directions are exercised across the cut.
      const last = straight.rows.at(-1)!.logs;
      expect(last['controller/trigger_up_count']).toBeGreaterThan(0);
      expect(last['controller/trigger_down_count']).toBeGreaterThan(0);
    }
  });

  it('restore rejects a state of another variant, a wrong task count and malformed JSON', () => {
    const exp3 = createKlPriorController(resolveVariant('exp3-ratio-controller').config, opts);
    const exp4 = createKlPriorController(resolveVariant('exp4-loss-gap-prior').config, opts);
    const s3 = JSON.parse(JSON.stringify(runRange(exp3, exp3.init(), 0, 5).state));
    expect(() => exp4.restore(s3)).toThrow(/beta.kind 'ratio' but the config says 'fixed'/);
    const exp1 = createKlPriorController(resolveVariant('exp1-fixed-prior').config, opts);
    expect(() => exp4.restore(exp1.init())).toThrow(/prior.kind 'fixed' but the config says 'loss-gap'/);
    const exp4Three = createKlPriorController(resolveVariant('exp4-loss-gap-prior').config, {
      ...opts, numTasks: 3, taskNames: taskNames.slice(0, 3),
    });
    expect(() => exp4Three.restore(exp4.init())).toThrow(/sigmaPrior has 4 entries but numTasks is 3/);
    expect(() => exp3.restore({ ...s3, beta: { kind: 'ratio', state: { ...s3.beta.state, rEma: 'x' } } })).toThrow(
      /state\.beta\.state\.rEma/,
    );
    expect(() => exp3.restore({ ...s3, nextUpdate: 9 })).toThrow(/last.update must be nextUpdate − 1/);
    expect(() => exp3.restore(null)).toThrow(/Invalid controller state/);
  });
});

describe('createKlPriorController: log keys per variant', () => {
  const perTask = (prefix: string) => taskNames.map((t) => `${prefix}/${t}`);
  const expectedKeys: Record<string, { plain: string[]; meta?: string[] }> = {
    baseline: { plain: ['controller/beta', 'prior/sigma'] },
    'exp1-fixed-prior': { plain: ['controller/beta', 'prior/sigma'] },
    'exp2-beta-anneal': { plain: ['controller/beta', 'prior/sigma'] },
    'exp3-ratio-controller': {
      plain: ['controller/beta', 'controller/trigger_up_count', 'controller/trigger_down_count', 'controller/R_raw', 'controller/R_ema', 'prior/sigma'],
    },
    'exp4-loss-gap-prior': {
      plain: ['controller/beta', ...perTask('prior/sigma')],
      meta: ['controller/beta', ...perTask('prior/sigma'), ...perTask('prior/delta'), ...perTask('prior/delta_ema'), ...perTask('prior/z')],
    },
    'exp5-empirical-bayes': { plain: ['controller/beta'] },
  };

  it.each(Object.entries(expectedKeys))('%s', (name, keys) => {
    const c = createKlPriorController(resolveVariant(name).config, opts);
    const { rows } = runRange(c, c.init(), 0, 60);
    rows.forEach((row, t) => {
      const isMeta = (t + 1) % 20 === 0;
      expect(Object.keys(row.logs).sort()).toEqual([...(isMeta && keys.meta ? keys.meta : keys.plain)].sort());
      for (const v of Object.values(row.logs)) expect(Number.isFinite(v)).toBe(true);
    });
  });
});

describe('createKlPriorController: values and timing', () => {
  it('measures R_raw with exp3\'s configured ε (noiseToWeightRatio), and the default ε elsewhere', () => {
    const exp3 = createKlPriorController(parseControllerConfig({ beta: { kind: 'ratio', eps: 0.5 } }), opts);
    expect(exp3.noiseToWeightRatio(0.1, 0.5)).toBe(0.1); // 0.1 / (0.5 + 0.5)
    const base = createKlPriorController(resolveVariant('baseline').config, opts);
    expect(base.noiseToWeightRatio(0.1, 0.5)).toBe(0.1 / (0.5 + 1e-8));
  });

  it('baseline and exp1 use fixed β1 = 0.01 and their global σ_prior', () => {
    for (const [name, sigma] of [['baseline', 1], ['exp1-fixed-prior', 0.01]] as const) {
      const c = createKlPriorController(resolveVariant(name).config, opts);
      const { rows } = runRange(c, c.init(), 0, 30);
      for (const row of rows) {
        expect(row.used).toEqual({ beta: 0.01, sigmaPrior: { kind: 'global', value: sigma } });
        expect(row.logs['controller/beta']).toBe(0.01);
        expect(row.logs['prior/sigma']).toBe(sigma);
      }
    }
  });

  it('exp2: update t uses β(t) of the schedule with T = totalUpdates and logs that value', () => {
    const c = createKlPriorController(resolveVariant('exp2-beta-anneal').config, opts);
    const { rows } = runRange(c, c.init(), 0, 200);
    const params = { beta1: 0.01, beta2: 0.02, warmFrac: 0.1, rampStartFrac: 0.8 };
    rows.forEach((row, t) => {
      expect(row.used.beta).toBe(betaSchedule(t, 200, params));
      expect(row.logs['controller/beta']).toBe(row.used.beta);
    });
    // T = 200: update 10 → 0.01·10/20 = 0.005; update 180 → 0.01 + 0.01·20/40 = 0.015.
    expect(rows[10]!.used.beta).toBeCloseTo(0.005, 15);
    expect(rows[180]!.used.beta).toBeCloseTo(0.015, 15);
  });

  it('exp3: β used in update t changes only at t = K, 2K, …; the row shows β used, R after the update', () => {
    const c = createKlPriorController(resolveVariant('exp3-ratio-controller').config, opts);
    let state = c.init();
    const betas: number[] = [];
    for (let t = 0; t < 200; t++) {
      const { beta } = c.beforeUpdate(state, t);
      betas.push(beta);
      // Above the band for 100 updates, below it afterwards.
      state = c.afterUpdate(state, { update: t, rRaw: t < 100 ? 0.5 : 0.01 });
      const logs = c.logs(state, t);
      expect(logs['controller/beta']).toBe(beta);
      expect(logs['controller/R_raw']).toBe(t < 100 ? 0.5 : 0.01);
    }
    for (let t = 1; t < 200; t++) if (t % 20 !== 0) expect(betas[t]).toBe(betas[t - 1]);
    // Ups at the ends of updates 19…99 (5×); R_ema then decays 0.5 → below 0.05 after
    // n updates with 0.01 + 0.49·0.95ⁿ < 0.05 ⇔ n > ln(0.04/0.49)/ln(0.95) = 48.8, i.e. from update 148 on:
    // decision at 119 and 139 in band (R_ema 0.19 and 0.074), downs at 159, 179, 199.
    expect(betas[20]).toBeCloseTo(0.011, 15);
    expect(betas[100]).toBeCloseTo(0.01 * 1.1 ** 5, 15);
    expect(betas[140]).toBe(betas[100]);
    expect(betas[160]).toBeCloseTo(0.01 * 1.1 ** 4, 15);
    expect(betas[199]).toBeCloseTo(0.01 * 1.1 ** 3, 15);
    const logs = c.logs(state, 199);
    expect(logs['controller/trigger_up_count']).toBe(5);
    expect(logs['controller/trigger_down_count']).toBe(3);
  });

  it('exp4: σ_prior per task starts at the midpoint, is held between meta-updates, outlier task largest', () => {
    const c = createKlPriorController(resolveVariant('exp4-loss-gap-prior').config, opts);
    const { rows } = runRange(c, c.init(), 0, 100);
    const values = rows.map((r) => (r.used.sigmaPrior.kind === 'per-task' ? r.used.sigmaPrior.values : []));
    for (let t = 0; t < 20; t++) expect(values[t]).toEqual(Array(4).fill(Math.sqrt((0.01 ** 2 + 0.1 ** 2) / 2)));
    for (let t = 1; t < 100; t++) if (t % 20 !== 0) expect(values[t]).toEqual(values[t - 1]);
    for (let t = 20; t < 100; t += 20) {
      expect(values[t]).not.toEqual(values[t - 1]);
      const v = values[t]!;
      expect(Math.max(...v)).toBe(v[2]); // task cp-c has the largest gap
      for (const s of v) expect(s >= 0.01 && s <= 0.1).toBe(true);
    }
    // The meta row (update 19) logs the σ used (midpoint) and the Δ/z that produce the next σ.
    expect(rows[19]!.logs['prior/sigma/cp-c']).toBe(values[19]![2]);
    expect(rows[19]!.logs['prior/z/cp-c']).toBeGreaterThan(0);
    expect(rows[20]!.logs['prior/sigma/cp-c']).toBe(values[20]![2]);
  });

  it('exp5: the spec carries the learned-prior settings and layer names; composition keeps exp2 β', () => {
    const c = createKlPriorController(resolveVariant('exp2-beta-anneal+exp5-empirical-bayes').config, opts);
    const used = c.beforeUpdate(c.init(), 0);
    expect(used).toEqual({
      beta: 0,
      sigmaPrior: { kind: 'learned-per-layer', init: 0.1, lrScale: 0.5, hyperLambda: 1e-2, target: 0.1, detachSigma: true, layerNames },
    });
  });

  it('wantsLossGap is true only for exp4 after every K-th update', () => {
    const exp4 = createKlPriorController(resolveVariant('exp4-loss-gap-prior').config, opts);
    const base = createKlPriorController(resolveVariant('baseline').config, opts);
    const s = exp4.init();
    expect([0, 18, 19, 20, 39].map((u) => exp4.wantsLossGap(s, u))).toEqual([false, false, true, false, true]);
    expect(base.wantsLossGap(base.init(), 19)).toBe(false);
  });
});

describe('createKlPriorController: misuse is reported', () => {
  const cfg = (name: string): KlPriorControllerConfig => resolveVariant(name).config;

  it('out-of-sequence updates, missing signals, logs for the wrong update', () => {
    const c3 = createKlPriorController(cfg('exp3-ratio-controller'), opts);
    const s0 = c3.init();
    expect(() => c3.beforeUpdate(s0, 1)).toThrow(/expected update 0/);
    expect(() => c3.afterUpdate(s0, { update: 0 })).toThrow(/needs signals.rRaw/);
    const s1 = c3.afterUpdate(s0, { update: 0, rRaw: 0.1 });
    expect(() => c3.afterUpdate(s1, { update: 0, rRaw: 0.1 })).toThrow(/expected update 1/);
    expect(() => c3.logs(s1, 1)).toThrow(/not the one returned by afterUpdate/);
    expect(() => c3.logs(s0, 0)).toThrow(/last update: none/);
    expect(() => c3.afterUpdate(s1, { update: 1, rRaw: Number.NaN })).toThrow(/R_raw must be a finite/);

    const c4 = createKlPriorController(cfg('exp4-loss-gap-prior'), opts);
    let s = c4.init();
    for (let t = 0; t < 19; t++) s = c4.afterUpdate(s, { update: t });
    expect(() => c4.afterUpdate(s, { update: 19 })).toThrow(/needs signals.lShared and signals.lAdapt at update 19/);
  });

  it('signals a variant does not use are ignored; inputs are never mutated', () => {
    const c = createKlPriorController(cfg('baseline'), opts);
    const s0 = Object.freeze(c.init());
    const s1 = c.afterUpdate(s0, { update: 0, rRaw: Number.NaN, lShared: [1], lAdapt: [2] });
    expect(s1.nextUpdate).toBe(1);
    expect(s0.nextUpdate).toBe(0);
  });

  it('bad options', () => {
    const c = cfg('baseline');
    expect(() => createKlPriorController(c, { ...opts, numTasks: 3 })).toThrow(/taskNames has 4 names but numTasks is 3/);
    expect(() => createKlPriorController(c, { ...opts, taskNames: ['a', 'a', 'b', 'c'] })).toThrow(/duplicate taskNames/);
    expect(() => createKlPriorController(c, { ...opts, taskNames: ['a', 'b/c', 'd', 'e'] })).toThrow(/must be non-empty without '\/'/);
    expect(() => createKlPriorController(c, { ...opts, totalUpdates: 0 })).toThrow(/totalUpdates/);
    expect(() => createKlPriorController(c, { ...opts, numTasks: 0, taskNames: [] })).toThrow(/numTasks/);
  });

  it('parseControllerConfig fills the baseline defaults', () => {
    expect(parseControllerConfig({})).toEqual({ beta: { kind: 'fixed', beta1: 0.01 }, prior: { kind: 'fixed', sigma: 1 } });
  });
});
