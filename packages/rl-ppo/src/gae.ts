/** Inputs of {@link computeGae}; arrays are step-major `[numSteps, numEnvs]`, flattened. */
export interface GaeInput {
  /** Rewards r_t, with γ·V(s_final) already added on truncated steps (see {@link bootstrapTruncated}). */
  readonly rewards: Float32Array | Float64Array;
  /** V(s_t) for the stored observations. */
  readonly values: Float32Array | Float64Array;
  /** 1 where the episode ended at step t (terminated or truncated): the recursion is cut there. */
  readonly episodeEnds: Uint8Array;
  /** V of the observation after the last step, `[numEnvs]`. */
  readonly lastValues: Float32Array | Float64Array;
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly gamma: number;
  readonly lambda: number;
}

/** Advantages and returns (advantage + value), `[numSteps, numEnvs]` flattened. */
export interface GaeOutput {
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
}

/**
 * Generalised advantage estimation (Schulman et al. 2016), CleanRL's backward loop:
 *   δ_t = r_t + γ V(s_{t+1}) (1 − end_t) − V(s_t),  A_t = δ_t + γλ (1 − end_t) A_{t+1}.
 *
 * Time-limit truncation is handled before this call: the vector env autoresets, so s_{t+1} in the
 * buffer is a new episode's first observation; the truncated step's reward carries γ·V(s_final)
 * instead (bootstrap on `truncated`), and the recursion is cut. A `terminated` step gets no bootstrap.
 */
export function computeGae(input: GaeInput): GaeOutput {
  const { rewards, values, episodeEnds, lastValues, numSteps, numEnvs, gamma, lambda } = input;
  const n = numSteps * numEnvs;
  if (rewards.length !== n || values.length !== n || episodeEnds.length !== n || lastValues.length !== numEnvs) {
    throw new Error(`computeGae: expected ${numSteps}×${numEnvs} arrays and ${numEnvs} last values`);
  }
  const advantages = new Float32Array(n);
  const returns = new Float32Array(n);
  for (let e = 0; e < numEnvs; e++) {
    let lastGae = 0;
    for (let t = numSteps - 1; t >= 0; t--) {
      const i = t * numEnvs + e;
      const nextValue = t === numSteps - 1 ? (lastValues[e] as number) : (values[i + numEnvs] as number);
      const nonTerminal = episodeEnds[i] ? 0 : 1;
      const delta = (rewards[i] as number) + gamma * nextValue * nonTerminal - (values[i] as number);
      lastGae = delta + gamma * lambda * nonTerminal * lastGae;
      advantages[i] = lastGae;
      returns[i] = lastGae + (values[i] as number);
    }
  }
  return { advantages, returns };
}

/** Rows of one vector step whose episode was cut by the time limit (not terminated). */
export function truncatedRows(truncated: Uint8Array): number[] {
  const rows: number[] = [];
  for (let i = 0; i < truncated.length; i++) if (truncated[i]) rows.push(i);
  return rows;
}

/**
 * Bootstrap on truncation, not on termination: for each row in `rows` (see {@link truncatedRows}),
 * r ← r + γ·V(s_final), in place. Terminated rows are never passed here, so they keep r (their
 * next state has value 0), and GAE then cuts the recursion at every episode end.
 * @param rewards `[numEnvs]` rewards of one step (already scaled)
 * @param finalValues V of each truncated row's final observation, in the order of `rows`
 */
export function bootstrapTruncated(rewards: Float32Array, rows: readonly number[], finalValues: ArrayLike<number>, gamma: number): void {
  if (finalValues.length !== rows.length) throw new Error(`bootstrapTruncated: ${finalValues.length} values for ${rows.length} rows`);
  rows.forEach((row, k) => (rewards[row] = (rewards[row] as number) + gamma * (finalValues[k] as number)));
}
