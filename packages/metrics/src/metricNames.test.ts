import { describe, expect, it } from 'vitest';
import * as names from './metricNames';
import { isTimingKey, looksLikeLayerName, metricFamily, splitMetricKey } from './metricNames';

describe('metric names', () => {
  it('builds the CONTRACTS.md keys', () => {
    expect(names.trainReturnTask('reach')).toBe('train/return/reach');
    expect(names.trainSuccessTask('reach')).toBe('train/success/reach');
    expect(names.evalReturnTask('push')).toBe('eval/return/push');
    expect(names.evalSuccessTask('push')).toBe('eval/success/push');
    expect(names.varshareKlTask('t0')).toBe('varshare/kl/t0');
    expect(names.varshareMuAbsMedianTask('t0')).toBe('varshare/mu_abs_median/t0');
    expect(names.varshareSigmaMedianTask('t0')).toBe('varshare/sigma_median/t0');
    expect(names.varshareSigmaMeanTask('t0')).toBe('varshare/sigma_mean/t0');
    expect(names.varshareLogSigmaMeanTask('t0')).toBe('varshare/log_sigma_mean/t0');
    expect(names.varshareRatioRLayer('actor.0')).toBe('varshare/ratio_R/actor.0');
    expect(names.varshareMuAbsMedianLayer('critic.2')).toBe('varshare/mu_abs_median/critic.2');
    expect(names.varshareSigmaMedianLayer('critic.2')).toBe('varshare/sigma_median/critic.2');
    expect(names.priorSigmaTask('t1')).toBe('prior/sigma/t1');
    expect(names.priorDeltaTask('t1')).toBe('prior/delta/t1');
    expect(names.priorDeltaEmaTask('t1')).toBe('prior/delta_ema/t1');
    expect(names.priorZTask('t1')).toBe('prior/z/t1');
    expect(names.priorSigmaLayer('actor.1')).toBe('prior/sigma/actor.1');
    expect(names.priorLogSigmaLayer('actor.1')).toBe('prior/log_sigma/actor.1');
    expect([
      names.TRAIN_RETURN_MEAN,
      names.TRAIN_SUCCESS_RATE,
      names.EVAL_RETURN_MEAN,
      names.EVAL_SUCCESS_RATE,
      names.LOSSES_POLICY_LOSS,
      names.LOSSES_VALUE_LOSS,
      names.LOSSES_ENTROPY,
      names.LOSSES_APPROX_KL,
      names.LOSSES_CLIPFRAC,
      names.LOSSES_EXPLAINED_VARIANCE,
      names.CHARTS_LEARNING_RATE,
      names.CHARTS_SPS,
      names.VARSHARE_KL_TOTAL,
      names.VARSHARE_RATIO_R,
      names.CONTROLLER_BETA,
      names.CONTROLLER_TRIGGER_UP_COUNT,
      names.CONTROLLER_TRIGGER_DOWN_COUNT,
      names.CONTROLLER_R_RAW,
      names.CONTROLLER_R_EMA,
      names.PRIOR_SIGMA,
      names.PRIOR_HYPER_PENALTY,
    ]).toEqual([
      'train/return_mean',
      'train/success_rate',
      'eval/return_mean',
      'eval/success_rate',
      'losses/policy_loss',
      'losses/value_loss',
      'losses/entropy',
      'losses/approx_kl',
      'losses/clipfrac',
      'losses/explained_variance',
      'charts/learning_rate',
      'charts/SPS',
      'varshare/kl_total',
      'varshare/ratio_R',
      'controller/beta',
      'controller/trigger_up_count',
      'controller/trigger_down_count',
      'controller/R_raw',
      'controller/R_ema',
      'prior/sigma',
      'prior/hyper_penalty',
    ]);
  });

  it('classifies keys into families', () => {
    expect(metricFamily('update')).toBe('run');
    expect(metricFamily('env_steps')).toBe('run');
    expect(metricFamily('wall_s')).toBe('run');
    expect(metricFamily('train/return/reach')).toBe('train');
    expect(metricFamily('eval/success_rate')).toBe('eval');
    expect(metricFamily('losses/approx_kl')).toBe('losses');
    expect(metricFamily('charts/SPS')).toBe('charts');
    expect(metricFamily('varshare/ratio_R/actor.0')).toBe('varshare');
    expect(metricFamily('controller/beta')).toBe('controller');
    expect(metricFamily('prior/hyper_penalty')).toBe('prior');
    expect(metricFamily('custom/thing')).toBe('other');
    expect(metricFamily('trainer')).toBe('other');
  });

  it('splits qualified keys and leaves aggregate keys whole', () => {
    expect(splitMetricKey('varshare/kl/reach')).toEqual({ key: 'varshare/kl/reach', family: 'varshare', base: 'varshare/kl', qualifier: 'reach' });
    expect(splitMetricKey('varshare/kl_total')).toMatchObject({ base: 'varshare/kl_total', qualifier: undefined });
    expect(splitMetricKey('prior/delta_ema/t3')).toMatchObject({ base: 'prior/delta_ema', qualifier: 't3' });
    expect(splitMetricKey('prior/delta/t3')).toMatchObject({ base: 'prior/delta', qualifier: 't3' });
    expect(splitMetricKey('prior/sigma')).toMatchObject({ base: 'prior/sigma', qualifier: undefined });
    expect(splitMetricKey('prior/log_sigma/actor.0')).toMatchObject({ base: 'prior/log_sigma', qualifier: 'actor.0' });
    expect(splitMetricKey('train/return/ALE/Pong-v5')).toMatchObject({ base: 'train/return', qualifier: 'ALE/Pong-v5' });
    expect(splitMetricKey('train/return_mean')).toMatchObject({ base: 'train/return_mean', qualifier: undefined });
    expect(splitMetricKey('varshare/ratio_R')).toMatchObject({ qualifier: undefined });
    expect(splitMetricKey('varshare/ratio_R/critic.1')).toMatchObject({ base: 'varshare/ratio_R', qualifier: 'critic.1' });
  });

  it('knows timing keys and layer-like names', () => {
    expect(isTimingKey('wall_s')).toBe(true);
    expect(isTimingKey('charts/SPS')).toBe(true);
    expect(isTimingKey('charts/learning_rate')).toBe(false);
    expect(looksLikeLayerName('actor.0')).toBe(true);
    expect(looksLikeLayerName('critic.12')).toBe(true);
    expect(looksLikeLayerName('reach')).toBe(false);
    expect(looksLikeLayerName('pick-place')).toBe(false);
  });
});
