import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AnnealBetaSchema,
  FixedBetaSchema,
  FixedPriorSchema,
  KlPriorControllerConfigSchema,
  LearnedPriorSchema,
  LossGapPriorSchema,
  parseControllerConfig,
  RatioBetaSchema,
} from './config';

/** The object schema under optional superRefine/transform wrappers. */
function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  if (schema instanceof z.ZodPipe) return shapeOf(schema.in as z.ZodType);
  if (schema instanceof z.ZodObject) return schema.shape as Record<string, z.ZodType>;
  throw new Error('not an object schema');
}

describe('config schemas', () => {
  it.each([
    ['fixed β', FixedBetaSchema],
    ['anneal β', AnnealBetaSchema],
    ['ratio β', RatioBetaSchema],
    ['fixed prior', FixedPriorSchema],
    ['loss-gap prior', LossGapPriorSchema],
    ['learned prior', LearnedPriorSchema],
  ] as const)('%s: every field has a description', (_name, schema) => {
    const shape = shapeOf(schema);
    expect(Object.keys(shape).length).toBeGreaterThan(1);
    for (const [key, field] of Object.entries(shape)) {
      expect(field.description, key).toMatch(/\S/);
      if (key !== 'kind' && !(field instanceof z.ZodOptional)) expect(field.description, key).toMatch(/Defaults to/);
    }
  });

  it('defaults are the spec values', () => {
    expect(FixedBetaSchema.parse({ kind: 'fixed' })).toEqual({ kind: 'fixed', beta1: 0.01 });
    // β2 = 2β1 follows β1 when β2 is not given.
    expect(AnnealBetaSchema.parse({ kind: 'anneal' })).toEqual({ kind: 'anneal', beta1: 0.01, beta2: 0.02, warmFrac: 0.1, rampStartFrac: 0.8 });
    expect(AnnealBetaSchema.parse({ kind: 'anneal', beta1: 0.3 }).beta2).toBeCloseTo(0.6, 15);
    expect(FixedPriorSchema.parse({ kind: 'fixed' })).toEqual({ kind: 'fixed', sigma: 1 });
    expect(LearnedPriorSchema.parse({ kind: 'learned' })).toEqual({
      kind: 'learned', init: 0.1, lrScale: 0.5, hyperLambda: 1e-2, target: 0.1, detachSigma: true,
    });
  });

  it('parsing is idempotent (a resolved config written to config.json parses to itself)', () => {
    for (const input of [
      {},
      { beta: { kind: 'anneal' }, prior: { kind: 'learned' } },
      { beta: { kind: 'ratio', beta1: 0.5 }, prior: { kind: 'loss-gap', kappa: 2 } },
    ]) {
      const once = parseControllerConfig(input);
      expect(parseControllerConfig(JSON.parse(JSON.stringify(once)))).toEqual(once);
    }
  });

  it.each([
    [{ beta: { kind: 'anneal', warmFrac: 0.5, rampStartFrac: 0.4 } }, /beta\.rampStartFrac: must be >= warmFrac/],
    [{ beta: { kind: 'anneal', beta1: 0.02, beta2: 0.01 } }, /beta\.beta2: must be >= beta1/],
    [{ beta: { kind: 'anneal', warmFrac: 1.5 } }, /beta\.warmFrac/],
    [{ beta: { kind: 'ratio', rMin: 0.3 } }, /beta\.rMin: must be < rMax/],
    [{ beta: { kind: 'ratio', betaMin: 0.05 } }, /beta\.betaMin: must be <= beta1/],
    [{ beta: { kind: 'ratio', betaMax: 0.001 } }, /beta\.betaMax: must be >= beta1/],
    [{ beta: { kind: 'ratio', gammaUp: 0.9 } }, /beta\.gammaUp/],
    [{ beta: { kind: 'ratio', K: 2.5 } }, /beta\.K/],
    [{ beta: { kind: 'ratio', alpha: 0 } }, /beta\.alpha/],
    [{ beta: { kind: 'ratio', beta1: 0 } }, /beta\.beta1/],
    [{ beta: { kind: 'ratio', rEmaInit: 'zero' } }, /beta\.rEmaInit/],
    [{ prior: { kind: 'loss-gap', sigmaMin: 0.5 } }, /prior\.sigmaMin: must be <= sigmaMax/],
    [{ prior: { kind: 'loss-gap', eps: 0 } }, /prior\.eps/],
    [{ prior: { kind: 'fixed', sigma: 0 } }, /prior\.sigma/],
    [{ prior: { kind: 'learned', detachSigma: 'yes' } }, /prior\.detachSigma/],
    [{ prior: { kind: 'fixed', sigma: 0.1, sigmaa: 1 } }, /prior: unknown key\(s\) "sigmaa"/],
    [{ prior: { kind: 'gaussian' } }, /prior\.kind/],
    [{ beta: { kind: 'fixed' }, gamma: 1 }, /\(root\): unknown key\(s\) "gamma"/],
  ])('rejects %j naming the field', (input, message) => {
    expect(() => parseControllerConfig(input)).toThrow(message);
    expect(KlPriorControllerConfigSchema.safeParse(input).success).toBe(false);
  });
});
