import { describe, expect, it } from 'vitest';
import { composeVariants, listVariants, mergeControllerPatches, resolveVariant, VARIANT_PRESETS } from './variants';

const fixedBeta = { kind: 'fixed', beta1: 0.01 };
const unitPrior = { kind: 'fixed', sigma: 1 };
const anneal = { kind: 'anneal', beta1: 0.01, beta2: 0.02, warmFrac: 0.1, rampStartFrac: 0.8 };
const ratio = {
  kind: 'ratio', beta1: 0.01, alpha: 0.05, K: 20, rMin: 0.05, rMax: 0.2, gammaUp: 1.1, gammaDown: 1.1,
  betaMin: 1e-4, betaMax: 100, eps: 1e-8, rEmaInit: 'first',
};
const lossGap = { kind: 'loss-gap', K: 20, alpha: 0.05, sigmaMin: 0.01, sigmaMax: 0.1, kappa: 1, eps: 1e-8, deltaEmaInit: 'debiased' };
const learned = { kind: 'learned', init: 0.1, lrScale: 0.5, hyperLambda: 1e-2, target: 0.1, detachSigma: true };

describe('built-in variants', () => {
  it('are the six CONTRACTS.md names, each with a one-line description', () => {
    const list = listVariants();
    expect(list.map((v) => v.name)).toEqual([
      'baseline', 'exp1-fixed-prior', 'exp2-beta-anneal', 'exp3-ratio-controller', 'exp4-loss-gap-prior', 'exp5-empirical-bayes',
    ]);
    for (const v of list) {
      expect(v.builtin).toBe(true);
      expect(v.description).toMatch(/\S/);
      expect(v.description).not.toMatch(/\n/);
    }
  });

  it.each([
    ['baseline', fixedBeta, unitPrior],
    ['exp1-fixed-prior', fixedBeta, { kind: 'fixed', sigma: 0.01 }],
    ['exp2-beta-anneal', anneal, unitPrior],
    ['exp3-ratio-controller', ratio, unitPrior],
    ['exp4-loss-gap-prior', fixedBeta, lossGap],
    ['exp5-empirical-bayes', fixedBeta, learned],
  ])('%s resolves to the spec configuration, one toggle away from the baseline', (name, beta, prior) => {
    const v = resolveVariant(name);
    expect(v.name).toBe(name);
    expect(v.config).toEqual({ beta, prior });
    expect(v.description).toBe(VARIANT_PRESETS[name as keyof typeof VARIANT_PRESETS].description);
  });

  it('compose with "+" (left to right) or composeVariants', () => {
    const v = resolveVariant('exp2-beta-anneal+exp5-empirical-bayes');
    expect(v.config).toEqual({ beta: anneal, prior: learned });
    expect(v.description).toContain(' + ');
    expect(composeVariants(['exp2-beta-anneal', 'exp5-empirical-bayes']).config).toEqual(v.config);
    expect(resolveVariant('exp3-ratio-controller+exp1-fixed-prior').config).toEqual({ beta: ratio, prior: { kind: 'fixed', sigma: 0.01 } });
    // Later wins on the same source: exp5's prior replaces exp4's.
    expect(resolveVariant('exp4-loss-gap-prior+exp5-empirical-bayes').config.prior).toEqual(learned);
    // baseline last resets both sources.
    expect(resolveVariant('exp2-beta-anneal+baseline').config).toEqual({ beta: fixedBeta, prior: unitPrior });
  });

  it('unknown variants are named together with the known ones', () => {
    expect(() => resolveVariant('exp6-magic')).toThrow(
      'Unknown variant "exp6-magic". Known variants: baseline, exp1-fixed-prior, exp2-beta-anneal, exp3-ratio-controller, exp4-loss-gap-prior, exp5-empirical-bayes',
    );
    expect(() => resolveVariant('exp2-beta-anneal+nope', { mine: {} })).toThrow(/Unknown variant "nope".*exp5-empirical-bayes, mine/);
    expect(() => resolveVariant('exp2-beta-anneal+')).toThrow(/empty part/);
    expect(() => composeVariants([])).toThrow(/at least one/);
  });
});

describe('user presets (data, no code edits)', () => {
  const user = {
    'strong-beta': { description: 'baseline with β1 = 0.1', beta: { beta1: 0.1 } },
    'late-anneal': { extends: 'exp2-beta-anneal', beta: { rampStartFrac: 0.9, beta2: 0.05 } },
    'strong-anneal': { extends: ['strong-beta', 'exp2-beta-anneal'] },
    'loose-loss-gap': { extends: 'exp4-loss-gap-prior', prior: { sigmaMax: 1.0, kappa: 2 } },
  };

  it('are listed after the built-ins', () => {
    const list = listVariants(user);
    expect(list.slice(6).map((v) => [v.name, v.builtin, v.description])).toEqual([
      ['strong-beta', false, 'baseline with β1 = 0.1'],
      ['late-anneal', false, 'user preset'],
      ['strong-anneal', false, 'user preset'],
      ['loose-loss-gap', false, 'user preset'],
    ]);
  });

  it('merge field-wise over what they extend; β1 carries over when the β kind changes', () => {
    expect(resolveVariant('strong-beta', user).config).toEqual({ beta: { kind: 'fixed', beta1: 0.1 }, prior: unitPrior });
    expect(resolveVariant('late-anneal', user).config.beta).toEqual({ ...anneal, rampStartFrac: 0.9, beta2: 0.05 });
    // fixed β1 = 0.1 → anneal keeps β1 = 0.1, so β2 defaults to 0.2.
    expect(resolveVariant('strong-anneal', user).config.beta).toEqual({ ...anneal, beta1: 0.1, beta2: 0.2 });
    expect(resolveVariant('strong-beta+exp3-ratio-controller', user).config.beta).toMatchObject({
      kind: 'ratio', beta1: 0.1, betaMin: expect.closeTo(1e-3, 15), betaMax: expect.closeTo(1e3, 9),
    });
    expect(resolveVariant('loose-loss-gap+late-anneal', user).config).toEqual({
      beta: { ...anneal, rampStartFrac: 0.9, beta2: 0.05 },
      prior: { ...lossGap, sigmaMax: 1, kappa: 2 },
    });
  });

  it('prior fields do not carry across prior kinds', () => {
    const p = { tight: { prior: { sigma: 0.05 } } };
    expect(resolveVariant('tight+exp5-empirical-bayes', p).config.prior).toEqual(learned);
  });

  it.each([
    ['bad', { bad: { beta: { kind: 'ratio', gammaUp: 0.5 } } }, /Invalid preset "bad": beta\.gammaUp/],
    ['bad', { bad: { extends: 'exp2-beta-anneal', beta: { warmfrac: 0.2 } } }, /Invalid preset "bad": beta: unknown key\(s\) "warmfrac"/],
    ['bad', { bad: { betta: { kind: 'fixed' } } }, /Invalid preset "bad": \(root\): unknown key\(s\) "betta"/],
    ['bad', { bad: { prior: { kind: 'loss-gap', sigmaMin: 2 } } }, /Invalid preset "bad": prior\.sigmaMin: must be <= sigmaMax/],
    ['bad', { bad: { prior: 0.01 } }, /Invalid preset "bad": prior:/],
    ['bad', { bad: { beta: { kind: 'cosine' } } }, /Invalid preset "bad": beta\.kind/],
    ['bad', { bad: { extends: 'exp9' } }, /Unknown variant "exp9"/],
    ['bad', { bad: { extends: 'bad' } }, /Preset cycle: bad → bad/],
    ['bad', { bad: { extends: 'worse' }, worse: { extends: 'bad' } }, /Preset cycle: bad → worse → bad/],
    ['baseline', { baseline: { beta: { beta1: 1 } } }, /"baseline" is a built-in variant name/],
    ['baseline', { 'a+b': {} }, /Preset name "a\+b" is invalid/],
  ])('resolving %s with %j fails with a message naming the preset and field', (name, presets, message) => {
    expect(() => resolveVariant(name, presets)).toThrow(message);
  });

  it('a preset that is only invalid when composed is reported with the composed name', () => {
    // anneal β1 = 0.5 with β2 = 0.05 from late-anneal: β2 < β1.
    const p = { ...user, big: { beta: { beta1: 0.5 } } };
    expect(() => resolveVariant('late-anneal+big', p)).toThrow(/Invalid variant "late-anneal\+big": beta\.beta2: must be >= beta1/);
  });
});

describe('mergeControllerPatches', () => {
  it('same kind merges fields, another kind replaces the source (β1 carried), inputs untouched', () => {
    const base = { beta: { kind: 'anneal', beta1: 0.2, warmFrac: 0.3 }, prior: { kind: 'fixed', sigma: 0.5 } } as const;
    const out = mergeControllerPatches(base, { beta: { warmFrac: 0.05 } }, { prior: { kind: 'learned', lrScale: 0.5 } });
    expect(out).toEqual({ beta: { kind: 'anneal', beta1: 0.2, warmFrac: 0.05 }, prior: { kind: 'learned', lrScale: 0.5 } });
    expect(mergeControllerPatches(base, { beta: { kind: 'ratio' } }).beta).toEqual({ kind: 'ratio', beta1: 0.2 });
    expect(base.beta.warmFrac).toBe(0.3);
  });
});
