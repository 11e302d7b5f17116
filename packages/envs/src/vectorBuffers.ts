/**
 * `VectorBuffers`: the batched outputs and running episode statistics shared by every
 * {@link VectorEnv} implementation (`MultiTaskVectorEnv`, `GymBridgeVectorEnv`), so the
 * same-step autoreset records, the buffer ownership and the episode bookkeeping are one piece of code.
 */
import type { TaskSampling } from './config';
import type { JsonObject } from './env';
import { actionKindOf, actionSlots, boxSize } from './spaces';
import type { Box, Space } from './spaces';
import type { EpisodeRecord, VectorEnvShape, VectorResetResult, VectorStepResult } from './vectorEnv';

const NO_EPISODES: readonly EpisodeRecord[] = Object.freeze([]);

/** @throws RangeError when `rowsPerTask` is not a positive integer (message prefixed by `who`) */
export function checkRowsPerTask(who: string, rowsPerTask: number): void {
  if (!Number.isInteger(rowsPerTask) || rowsPerTask < 1) throw new RangeError(`${who}: rowsPerTask must be a positive integer, got ${String(rowsPerTask)}`);
}

/**
 * The shape fields of a vector env of `taskNames.length × rowsPerTask` rows.
 * @throws RangeError when `rowsPerTask` is not a positive integer (message prefixed by `who`)
 */
export function vectorEnvShape(
  who: string,
  taskNames: readonly string[],
  rowsPerTask: number,
  taskSampling: TaskSampling,
  observationSpace: Box,
  actionSpace: Space,
): VectorEnvShape {
  checkRowsPerTask(who, rowsPerTask);
  return {
    numTasks: taskNames.length,
    rowsPerTask,
    numRows: taskNames.length * rowsPerTask,
    taskNames,
    taskSampling,
    singleObservationSpace: observationSpace,
    singleActionSpace: actionSpace,
    actionKind: actionKindOf(actionSpace),
    observationSize: boxSize(observationSpace),
    actionSize: actionSlots(actionSpace),
  };
}

/**
 * Checks the batched action buffer of `step`: `Int32Array [rows]` (discrete) or
 * `Float32Array [rows × actionSize]` (continuous).
 * @throws TypeError for the wrong array type, RangeError for the wrong length (messages prefixed by `who`)
 */
export function checkVectorActions(who: string, shape: VectorEnvShape, actions: Int32Array | Float32Array): void {
  const expected = shape.numRows * shape.actionSize;
  const discrete = shape.actionKind === 'discrete';
  if (discrete ? !(actions instanceof Int32Array) : !(actions instanceof Float32Array)) {
    throw new TypeError(`${who}: ${shape.actionKind} actions must be a ${discrete ? 'Int32Array' : 'Float32Array'} of length ${expected}`);
  }
  if (actions.length !== expected) throw new RangeError(`${who}: expected ${expected} actions, got ${actions.length}`);
}

/**
 * Output buffers (owned here, overwritten in place; returned by reference from `reset`/`step`) and
 * per-row running episode statistics (return in float64, length, any-step success).
 */
export class VectorBuffers {
  /** `[rows × observationSize]` current observations. */
  readonly observations: Float32Array;
  /** `[rows × observationSize]` last observations of the episodes that ended on the last step. */
  readonly finalObservations: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly success: Uint8Array;
  readonly hasFinalObservation: Uint8Array;
  /** `[rows]` task of each row's current observation. */
  readonly taskIds: Int32Array;
  private readonly episodeReturn: Float64Array;
  private readonly episodeLength: Int32Array;
  private readonly episodeSuccess: Uint8Array;
  private readonly observationSize: number;

  constructor(rows: number, observationSize: number) {
    this.observationSize = observationSize;
    this.observations = new Float32Array(rows * observationSize);
    this.finalObservations = new Float32Array(rows * observationSize);
    this.rewards = new Float32Array(rows);
    this.terminated = new Uint8Array(rows);
    this.truncated = new Uint8Array(rows);
    this.success = new Uint8Array(rows);
    this.hasFinalObservation = new Uint8Array(rows);
    this.taskIds = new Int32Array(rows);
    this.episodeReturn = new Float64Array(rows);
    this.episodeLength = new Int32Array(rows);
    this.episodeSuccess = new Uint8Array(rows);
  }

  /** Zeros the per-step outputs (rewards, flags, final observations), as after a reset. */
  clearStepOutputs(): void {
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.success.fill(0);
    this.hasFinalObservation.fill(0);
    this.finalObservations.fill(0);
  }

  /** Zeros the final observation of `row` if the previous step left one there. */
  clearFinal(row: number): void {
    if (this.hasFinalObservation[row] !== 1) return;
    this.finalObservations.fill(0, row * this.observationSize, (row + 1) * this.observationSize);
    this.hasFinalObservation[row] = 0;
  }

  /** Starts the episode statistics of `row` afresh. */
  startEpisode(row: number): void {
    this.episodeReturn[row] = 0;
    this.episodeLength[row] = 0;
    this.episodeSuccess[row] = 0;
  }

  /** Writes one row's step outputs and adds the step to the running episode statistics. */
  /** The outputs of a row left unstepped (see `VectorEnv.step`'s `active`): all 0, episode statistics unchanged. */
  recordIdle(row: number): void {
    this.rewards[row] = 0;
    this.terminated[row] = 0;
    this.truncated[row] = 0;
    this.success[row] = 0;
  }

  recordStep(row: number, reward: number, terminated: boolean, truncated: boolean, success: boolean): void {
    this.rewards[row] = reward;
    this.terminated[row] = terminated ? 1 : 0;
    this.truncated[row] = truncated ? 1 : 0;
    this.success[row] = success ? 1 : 0;
    this.episodeReturn[row] = (this.episodeReturn[row] ?? 0) + reward;
    this.episodeLength[row] = (this.episodeLength[row] ?? 0) + 1;
    if (success) this.episodeSuccess[row] = 1;
  }

  /**
   * Closes the running episode of `row`: marks its final observation (`hasFinalObservation = 1`;
   * the caller fills `finalObservations`), returns its record and starts fresh statistics.
   */
  endEpisode(row: number, taskId: number, taskName: string, terminated: boolean): EpisodeRecord {
    this.hasFinalObservation[row] = 1;
    const record: EpisodeRecord = {
      row,
      taskId,
      taskName,
      return: this.episodeReturn[row] ?? 0,
      length: this.episodeLength[row] ?? 0,
      success: this.episodeSuccess[row] === 1,
      terminated,
    };
    this.startEpisode(row);
    return record;
  }

  /** Copies the current observation of `row` into its final-observation slot. */
  copyFinalFromCurrent(row: number): void {
    // A plain loop: `subarray` would allocate a view on every episode end.
    const at = row * this.observationSize;
    for (let i = at; i < at + this.observationSize; i++) this.finalObservations[i] = this.observations[i] ?? 0;
  }

  /** The running statistics of `row` as plain JSON (`episodeReturn`, `episodeLength`, `episodeSuccess`). */
  episodeState(row: number): JsonObject {
    return { episodeReturn: this.episodeReturn[row] ?? 0, episodeLength: this.episodeLength[row] ?? 0, episodeSuccess: this.episodeSuccess[row] === 1 };
  }

  /**
   * Restores {@link episodeState} of `row` from `state`.
   * @returns false (and changes nothing) when the fields are missing or mistyped
   */
  setEpisodeState(row: number, state: JsonObject): boolean {
    const { episodeReturn, episodeLength, episodeSuccess } = state;
    if (typeof episodeReturn !== 'number' || typeof episodeLength !== 'number' || typeof episodeSuccess !== 'boolean') return false;
    this.episodeReturn[row] = episodeReturn;
    this.episodeLength[row] = episodeLength;
    this.episodeSuccess[row] = episodeSuccess ? 1 : 0;
    return true;
  }

  resetResult(): VectorResetResult {
    return { observations: this.observations, taskIds: this.taskIds };
  }

  /** The step result over these buffers, with the episodes that ended (null: none). */
  stepResult(episodes: readonly EpisodeRecord[] | null): VectorStepResult {
    return {
      observations: this.observations,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
      success: this.success,
      finalObservations: this.finalObservations,
      hasFinalObservation: this.hasFinalObservation,
      taskIds: this.taskIds,
      episodes: episodes ?? NO_EPISODES,
    };
  }
}
