// A worker thread holding one row shard of a vector env (see shardedVectorEnv.ts): it builds the
// shard on `init` (after the suite's asynchronous set-up, e.g. MuJoCo), then answers reset, step,
// getState, setState and close requests with the shard's outputs.
import { serveRequests } from '@varshare/base';
import { prepareSuite, createSuiteRows } from './registry';
import type { SuiteOptionsInput } from './config';
import type { JsonObject } from './env';
import type { MultiTaskVectorEnv } from './multiTaskVectorEnv';
import type { VectorStepResult } from './vectorEnv';

/** Requests a shard worker answers. */
export type ShardRequest =
  | { readonly op: 'init'; readonly suite: string; readonly options: SuiteOptionsInput; readonly start: number; readonly count: number }
  | { readonly op: 'reset'; readonly seed?: number }
  | { readonly op: 'step'; readonly actions: Int32Array | Float32Array; readonly active?: Uint8Array }
  | { readonly op: 'getState' }
  | { readonly op: 'setState'; readonly state: JsonObject }
  | { readonly op: 'close' };

/** The per-row outputs of a step, copied out of the shard's buffers (the shard's own arrays, not views). */
export type ShardStep = VectorStepResult;

let env: MultiTaskVectorEnv | null = null;

function shard(): MultiTaskVectorEnv {
  if (!env) throw new Error('env shard worker: not initialised');
  return env;
}

serveRequests(async (m) => {
  const req = m as ShardRequest;
  switch (req.op) {
    case 'init':
      await prepareSuite(req.suite);
      env = createSuiteRows(req.suite, req.options, { start: req.start, count: req.count });
      return null;
    case 'reset': {
      const r = shard().reset(req.seed !== undefined ? { seed: req.seed } : undefined);
      return { observations: r.observations.slice(), taskIds: r.taskIds.slice() };
    }
    case 'step': {
      const r = shard().step(req.actions, req.active);
      const out: ShardStep = {
        observations: r.observations.slice(),
        rewards: r.rewards.slice(),
        terminated: r.terminated.slice(),
        truncated: r.truncated.slice(),
        success: r.success.slice(),
        finalObservations: r.finalObservations.slice(),
        hasFinalObservation: r.hasFinalObservation.slice(),
        taskIds: r.taskIds.slice(),
        episodes: r.episodes,
      };
      return out;
    }
    case 'getState':
      return shard().getState();
    case 'setState': {
      const e = shard();
      e.setState(req.state);
      return { observations: e.observations.slice(), taskIds: e.taskIds.slice() };
    }
    case 'close':
      env?.close();
      env = null;
      return null;
  }
});
