import { describe, expect, it } from 'vitest';
import { MetricsConfigSchema } from './config';

describe('MetricsConfigSchema', () => {
  it('fills documented defaults', () => {
    expect(MetricsConfigSchema.parse({})).toEqual({
      tensorboard: true,
      fsyncEachAppend: false,
      bootstrapReps: 2000,
      ciAlpha: 0.05,
      bootstrapSeed: 0,
    });
  });

  it('rejects out-of-range values, naming the key', () => {
    const bad = MetricsConfigSchema.safeParse({ ciAlpha: 0.7 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['ciAlpha']);
    expect(MetricsConfigSchema.safeParse({ bootstrapReps: 10 }).success).toBe(false);
    expect(MetricsConfigSchema.safeParse({ bootstrapSeed: -1 }).success).toBe(false);
    expect(MetricsConfigSchema.safeParse({ tensorboard: 'yes' }).success).toBe(false);
  });
});
