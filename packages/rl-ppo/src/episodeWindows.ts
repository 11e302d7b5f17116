import * as M from '@varshare/base';

/** Finished episodes kept per task for the `train/*` metrics. */
export const EPISODE_WINDOW = 10;

/** Plain-JSON state of {@link EpisodeWindows} (it goes into checkpoints). */
export interface EpisodeWindowsState {
  readonly returns: number[][];
  readonly successes: number[][];
}

/** The last {@link EPISODE_WINDOW} training episodes of each task: the `train/*` metrics. */
export class EpisodeWindows {
  private returns: number[][];
  private successes: number[][];

  constructor(private readonly taskNames: readonly string[]) {
    this.returns = taskNames.map(() => []);
    this.successes = taskNames.map(() => []);
  }

  /** Adds one finished episode of task `task`. */
  record(task: number, ret: number, success: boolean): void {
    const r = this.returns[task] as number[];
    const s = this.successes[task] as number[];
    r.push(ret);
    s.push(success ? 1 : 0);
    if (r.length > EPISODE_WINDOW) r.shift();
    if (s.length > EPISODE_WINDOW) s.shift();
  }

  /** `train/*`: mean over the last episodes of each task, then over the tasks that have any. */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    const retMeans: number[] = [];
    const sucMeans: number[] = [];
    this.taskNames.forEach((name, t) => {
      const r = this.returns[t] as number[];
      if (r.length === 0) return;
      const s = this.successes[t] as number[];
      const rm = r.reduce((a, b) => a + b, 0) / r.length;
      const sm = s.reduce((a, b) => a + b, 0) / s.length;
      out[M.trainReturnTask(name)] = rm;
      out[M.trainSuccessTask(name)] = sm;
      retMeans.push(rm);
      sucMeans.push(sm);
    });
    if (retMeans.length > 0) {
      out[M.TRAIN_RETURN_MEAN] = retMeans.reduce((a, b) => a + b, 0) / retMeans.length;
      out[M.TRAIN_SUCCESS_RATE] = sucMeans.reduce((a, b) => a + b, 0) / sucMeans.length;
    }
    return out;
  }

  getState(): EpisodeWindowsState {
    return { returns: this.returns.map((r) => [...r]), successes: this.successes.map((s) => [...s]) };
  }

  setState(state: EpisodeWindowsState): void {
    this.returns = state.returns.map((r) => [...r]);
    this.successes = state.successes.map((s) => [...s]);
  }
}
