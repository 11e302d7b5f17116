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

  it('builds the extra diagnostics keys rl-ppo writes, with the timing keys among them', () => {
    expect([
      names.LOSSES_OLD_APPROX_KL,
      names.LOSSES_KL_TERM,
      names.LOSSES_TOTAL,
      names.CHARTS_ROLLOUT_S,
      names.CHARTS_UPDATE_S,
      names.CHARTS_MINIBATCH_UPDATES,
      names.EVAL_EPISODES_PER_TASK,
      names.GRAD_TOTAL_NORM,
      names.GRAD_CLIP_FRACTION,
      names.STEP_RHO_ABS_MEDIAN,
      names.varshareKlLayer('actor.0'),
      names.gradPpoNorm('mu'),
      names.gradKlNorm('rho'),
      names.gradPpoRms('theta'),
      names.gradKlRms('prior'),
    ]).toEqual([
      'losses/old_approx_kl',
      'losses/kl_term',
      'losses/total',
      'charts/rollout_s',
      'charts/update_s',
      'charts/minibatch_updates',
      'eval/episodes_per_task',
      'grad/total_norm',
      'grad/clip_fraction',
      'step/rho_abs_median',
      'varshare/kl_layer/actor.0',
      'grad/ppo_norm/mu',
      'grad/kl_norm/rho',
      'grad/ppo_rms/theta',
      'grad/kl_rms/prior',
    ]);
    expect(names.TIMING_KEYS).toEqual(['wall_s', 'charts/SPS', 'charts/rollout_s', 'charts/update_s']);
  });

  it('every qualified key builder splits back into its base constant and qualifier', () => {
    const built: Array<[string, string]> = [
      [names.trainReturnTask('reach'), names.TRAIN_RETURN],
      [names.trainSuccessTask('reach'), names.TRAIN_SUCCESS],
      [names.evalReturnTask('reach'), names.EVAL_RETURN],
      [names.evalSuccessTask('reach'), names.EVAL_SUCCESS],
      [names.varshareKlTask('reach'), names.VARSHARE_KL],
      [names.varshareMuAbsMedianTask('reach'), names.VARSHARE_MU_ABS_MEDIAN],
      [names.varshareSigmaMedianTask('reach'), names.VARSHARE_SIGMA_MEDIAN],
      [names.varshareSigmaMeanTask('reach'), names.VARSHARE_SIGMA_MEAN],
      [names.varshareLogSigmaMeanTask('reach'), names.VARSHARE_LOG_SIGMA_MEAN],
      [names.varshareRatioRLayer('reach'), names.VARSHARE_RATIO_R],
      [names.priorSigmaTask('reach'), names.PRIOR_SIGMA],
      [names.priorLogSigmaLayer('reach'), names.PRIOR_LOG_SIGMA],
      [names.priorDeltaTask('reach'), names.PRIOR_DELTA],
      [names.priorDeltaEmaTask('reach'), names.PRIOR_DELTA_EMA],
      [names.priorZTask('reach'), names.PRIOR_Z],
      [names.gradPpoNorm('mu'), names.GRAD_PPO_NORM],
      [names.gradKlNorm('mu'), names.GRAD_KL_NORM],
      [names.gradPpoRms('mu'), names.GRAD_PPO_RMS],
      [names.gradKlRms('mu'), names.GRAD_KL_RMS],
    ];
    for (const [key, base] of built) expect(splitMetricKey(key), key).toMatchObject({ base, qualifier: key.slice(base.length + 1) });
    expect(new Set(built.map(([, base]) => base))).toEqual(new Set(names.QUALIFIED_PREFIXES));
    expect(splitMetricKey(names.varshareKlLayer('actor.0'))).toMatchObject({ base: 'varshare/kl_layer/actor.0', qualifier: undefined });
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
