import { klBreakdown, type ModelDiagnostics } from '@varshare/core';
import { hyperpriorPenalty } from '@varshare/controllers';
import * as M from '@varshare/base';
import type { MultiTaskAgent } from './agent';
import type { LearnedPriorSettings } from './regulariser';

/**
 * The spec's posterior diagnostics ("Metrics to log" B) as metric rows: KL total, per task and per
 * layer (under the σ_prior in force), median |μ|, median/mean σ and mean log σ per task, R globally
 * and per layer, median |μ| and σ per layer.
 */
export function posteriorMetrics(agent: MultiTaskAgent, taskNames: readonly string[], diag: ModelDiagnostics): Record<string, number> {
  const out: Record<string, number> = {};
  const kl = klBreakdown([agent.actor, agent.critic], agent.sigmaPrior);
  out[M.VARSHARE_KL_TOTAL] = kl.perTask.reduce((a, b) => a + b, 0);
  taskNames.forEach((name, t) => {
    const s = diag.perTask[t];
    out[M.varshareKlTask(name)] = kl.perTask[t] as number;
    if (!s) return;
    out[M.varshareMuAbsMedianTask(name)] = s.muAbsMedian;
    out[M.varshareSigmaMedianTask(name)] = s.sigmaMedian;
    out[M.varshareSigmaMeanTask(name)] = s.sigmaMean;
    out[M.varshareLogSigmaMeanTask(name)] = s.logSigmaMean;
  });
  out[M.VARSHARE_RATIO_R] = diag.ratioR;
  for (const layer of diag.perLayer) {
    out[M.varshareRatioRLayer(layer.layer)] = layer.ratioR;
    out[M.varshareMuAbsMedianLayer(layer.layer)] = layer.muAbsMedian;
    out[M.varshareSigmaMedianLayer(layer.layer)] = layer.sigmaMedian;
    out[M.varshareKlLayer(layer.layer)] = (kl.perLayer[layer.layer] ?? []).reduce((a, b) => a + b, 0);
  }
  return out;
}

/** Exp5's learned σ_prior per layer (raw and log) and the hyperprior penalty (the reference `hyperpriorPenalty`). */
export function learnedPriorMetrics(agent: MultiTaskAgent, learned: LearnedPriorSettings | null): Record<string, number> {
  const state = agent.sigmaPrior.getState();
  if (state.kind !== 'learned-per-layer') return {};
  const out: Record<string, number> = {};
  for (const [layer, logSigma] of Object.entries(state.logSigma)) {
    out[M.priorSigmaLayer(layer)] = Math.exp(logSigma);
    out[M.priorLogSigmaLayer(layer)] = logSigma;
  }
  if (learned) out[M.PRIOR_HYPER_PENALTY] = hyperpriorPenalty(Object.values(state.logSigma), learned);
  return out;
}
