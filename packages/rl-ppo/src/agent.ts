import type { SigmaPriorSpec } from '@varshare/base';
import { SigmaPrior, VarShareMLP, tf, type NamedArrays, type NetworkConfig, type ResidualSpec } from '@varshare/core';

/** What the agent acts on. */
export type ActionSpec = { readonly kind: 'discrete'; readonly n: number } | { readonly kind: 'continuous'; readonly dim: number };

/** Options of {@link MultiTaskAgent}. */
export interface AgentOptions {
  readonly obsDim: number;
  readonly action: ActionSpec;
  readonly numTasks: number;
  readonly network: NetworkConfig;
  /** σ_prior form from the controller; `learned-per-layer` creates one trainable log σ per layer. */
  readonly sigmaPrior: SigmaPriorSpec;
  readonly seed: number;
}

/** Parameter groups, each with its own Adam and learning-rate scale. */
export type ParamGroup = 'theta' | 'posterior' | 'prior';

/**
 * Separate actor and critic {@link VarShareMLP}s (identical architecture and init in every variant;
 * `network.residual = 'none'` gives the shared-MLP reference on the same code path), a per-task
 * state-independent log-std for continuous actions, and the one {@link SigmaPrior} both networks'
 * KL terms read.
 */
export class MultiTaskAgent {
  readonly actor: VarShareMLP;
  readonly critic: VarShareMLP;
  /** `[numTasks, actionDim]`, continuous actions only (CleanRL: actor_logstd, init 0). */
  readonly logStd: tf.Variable | null;
  readonly sigmaPrior: SigmaPrior;
  readonly numTasks: number;
  readonly action: ActionSpec;

  constructor(options: AgentOptions) {
    const { obsDim, action, numTasks, network, seed } = options;
    const residual: ResidualSpec =
      network.residual === 'low-rank' ? { kind: 'low-rank', rank: network.rank } : { kind: network.residual };
    const outDim = action.kind === 'discrete' ? action.n : action.dim;
    const common = {
      inputDim: obsDim,
      hiddenSizes: network.hiddenSizes,
      numTasks,
      activation: network.activation,
      hiddenGain: network.hiddenGain,
      sigmaInit: network.sigmaInit,
      residual,
    };
    // Distinct seeds for the two networks, fixed by the run seed only (identical across variants).
    this.actor = new VarShareMLP({ ...common, outputDim: outDim, outputGain: network.actorOutputGain, seed: seed ^ 0x51ed27, name: 'actor' });
    this.critic = new VarShareMLP({ ...common, outputDim: 1, outputGain: network.criticOutputGain, seed: seed ^ 0x2c1b3c, name: 'critic' });
    this.logStd = action.kind === 'continuous' ? tf.tidy(() => tf.variable(tf.zeros([numTasks, action.dim]), true, `actor_logstd/${nextAgentId()}`)) : null;
    this.numTasks = numTasks;
    this.action = action;
    // The agent names its layers: a learned prior gets one variable per layer it actually has.
    const sp = options.sigmaPrior;
    this.sigmaPrior = SigmaPrior.fromSpec(sp.kind === 'learned-per-layer' ? { ...sp, layerNames: this.layerNames() } : sp);
  }

  /** Names of all VarShare layers (actor then critic), e.g. `actor.0 … critic.2`. */
  layerNames(): string[] {
    return [...this.actor.layerNames, ...this.critic.layerNames];
  }

  /** Residual weights per task over actor and critic (the `per-weight` KL divisor is numTasks × this). */
  get residualWeightsPerTask(): number {
    return this.actor.residualParamsPerTask + this.critic.residualParamsPerTask;
  }

  /** Stable name → variable, per optimizer group. Names key checkpoints and Adam moments. */
  parameterGroups(): Record<ParamGroup, Map<string, tf.Variable>> {
    const theta = new Map<string, tf.Variable>();
    const posterior = new Map<string, tf.Variable>();
    const prior = new Map<string, tf.Variable>();
    for (const net of [this.actor, this.critic]) {
      for (const layer of net.layers) {
        theta.set(`${layer.name}/theta`, layer.theta);
        theta.set(`${layer.name}/bias`, layer.bias);
        layer.posteriorVariables().forEach((v, i) => posterior.set(`${layer.name}/${i % 2 === 0 ? 'mu' : 'rho'}${i >> 1}`, v));
      }
    }
    if (this.logStd) theta.set('actor_logstd', this.logStd);
    for (const [layer, v] of this.sigmaPrior.logSigmaByLayer()) prior.set(`log_sigma_prior/${layer}`, v);
    return { theta, posterior, prior };
  }

  /** Per-task KL of actor and critic under the agent's σ_prior, `[numTasks]`. */
  kl(): tf.Tensor1D {
    return tf.tidy(() => tf.add(this.actor.kl(this.sigmaPrior), this.critic.kl(this.sigmaPrior)) as tf.Tensor1D);
  }

  /** Every variable's values by stable name. */
  getState(): NamedArrays {
    const out: NamedArrays = {};
    for (const group of Object.values(this.parameterGroups())) {
      for (const [name, v] of group) out[name] = { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) };
    }
    return out;
  }

  /** Restores {@link getState} output (shapes must match). */
  setState(state: NamedArrays): void {
    for (const group of Object.values(this.parameterGroups())) {
      for (const [name, v] of group) {
        const saved = state[name];
        if (!saved) throw new Error(`agent state has no '${name}'`);
        if (saved.shape.join(',') !== v.shape.join(',')) throw new Error(`agent state '${name}' has shape [${saved.shape}], expected [${v.shape}]`);
        tf.tidy(() => v.assign(tf.tensor(saved.data, v.shape)));
      }
    }
  }

  dispose(): void {
    this.actor.dispose();
    this.critic.dispose();
    this.logStd?.dispose();
    this.sigmaPrior.dispose();
  }
}

let agentCounter = 0;
/** tf variable names must be unique per process. */
function nextAgentId(): number {
  agentCounter += 1;
  return agentCounter;
}
