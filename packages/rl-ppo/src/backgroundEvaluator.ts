import { WorkerLink, siblingModule, type RngState } from '@varshare/base';
import type { NamedArrays } from '@varshare/core';
import type { EvaluationJob, EvaluationWorkerInit } from './evaluationWorker';
import type { RunningMeanStdState } from './runningStats';

/** An evaluation row with the update it belongs to. */
export interface EvaluationRow {
  readonly update: number;
  readonly envSteps: number;
  readonly row: Record<string, number>;
}

/**
 * Runs evaluations on a worker thread while training goes on (`evaluationWorker.ts`). Jobs run one
 * at a time in submission order, so rows come back in update order; a job submitted while one runs
 * waits for it (back-pressure: evaluation never falls more than one behind).
 */
export class BackgroundEvaluator {
  private readonly link: WorkerLink;
  private running: { update: number; envSteps: number } | null = null;
  private readonly done: EvaluationRow[] = [];
  /** The worker is still building its agent and env (its reply is taken before the first job). */
  private starting = true;

  private constructor(link: WorkerLink) {
    this.link = link;
  }

  /**
   * Starts the worker, which builds its agent, normaliser and evaluation env while training begins
   * (the start-up, a second or two of module loading, overlaps the first updates).
   */
  static start(init: EvaluationWorkerInit): BackgroundEvaluator {
    const link = new WorkerLink(siblingModule(import.meta.url, 'evaluationWorker'));
    link.post({ op: 'init', init });
    return new BackgroundEvaluator(link);
  }

  /** Waits for the worker's start-up (re-throws its failure). */
  private started(): void {
    if (!this.starting) return;
    this.starting = false;
    this.link.wait();
  }

  /** Whether an evaluation is running or a finished row has not been taken yet. */
  get pending(): boolean {
    return this.running !== null || this.done.length > 0;
  }

  /**
   * Starts the evaluation of the state at `update` (weights, normaliser statistics and generator are
   * copied now, so training may go on at once).
   * @param alone nothing runs beside this evaluation (the run's last): a wide network's products
   *   split over the run's threads on the worker (the same numbers as on one)
   */
  submit(update: number, envSteps: number, evalIndex: number, agent: NamedArrays, obsNorm: RunningMeanStdState[], rng: RngState, alone = false): void {
    this.started();
    if (this.running) this.collect();
    const job: EvaluationJob = { evalIndex, agent, obsNorm, rng, alone };
    this.link.post({ op: 'evaluate', job }, Object.values(agent).map((a) => a.data.buffer as ArrayBuffer));
    this.running = { update, envSteps };
  }

  /** Rows finished so far, in update order (without blocking). */
  poll(): EvaluationRow[] {
    if (this.running && this.link.ready()) this.collect();
    return this.done.splice(0);
  }

  /** Waits for the running evaluation, then returns every finished row in update order. */
  flush(): EvaluationRow[] {
    if (this.running) this.collect();
    return this.done.splice(0);
  }

  private collect(): void {
    const r = this.running as { update: number; envSteps: number };
    this.running = null;
    this.done.push({ update: r.update, envSteps: r.envSteps, row: this.link.wait<Record<string, number>>() });
  }

  /** Threads stepping the worker's evaluation env (after its start-up; waits for a running evaluation). */
  envThreads(): number {
    this.started();
    if (this.running) this.collect();
    return this.link.request<number>({ op: 'envThreads' });
  }

  /** Stops the worker (a running evaluation is abandoned). */
  close(): void {
    if (this.starting || this.running) {
      try {
        this.link.wait();
      } catch {
        // the worker's failure does not matter once the evaluator closes
      }
      this.running = null;
      this.starting = false;
    }
    try {
      this.link.request({ op: 'close' });
    } catch {
      // a worker that failed (its error was reported where it mattered) is stopped all the same
    } finally {
      void this.link.close();
    }
  }
}
