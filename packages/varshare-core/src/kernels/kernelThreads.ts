import { Worker } from 'node:worker_threads';
import type { WasmMemory } from './instantiate';

/**
 * Helper threads for the WebAssembly kernels: each worker instantiates the same compiled modules
 * on the same shared memory, so a kernel call can be split into parts (a range of tasks, of rows,
 * of elements) that run at once — part 0 on the calling thread, part i on worker i. A part is a
 * call of one exported function with its own arguments; parts never write the same bytes, and
 * each output value is computed by the same sequence of float32 operations whichever part (and
 * however many parts) computes it, so results are bit-identical for every thread count.
 *
 * Dispatch is a shared Int32Array per worker (state, function, arguments) with `Atomics.wait` /
 * `notify` (a round trip measured at ~14 µs on the 2-vCPU machine when the worker is awake, ~50–200
 * µs when it sleeps; workers spin {@link SPIN_MS} after each call), so only calls with enough work
 * are split (see {@link KernelThreads.partsFor}). Workers are unref'd: they never keep the
 * process alive, and they are stopped with {@link KernelThreads.close}.
 */
export class KernelThreads {
  private readonly workers: { worker: Worker; ctl: Int32Array }[] = [];
  private readonly fnIds = new Map<string, number>();
  private closed = false;
  /** Calls split so far (each run on more than one thread). */
  splitCalls = 0;

  /**
   * @param modules compiled modules by name, each instantiated in every worker with
   *   `{ env: { memory } }` (they must import the memory as shared)
   * @param functions `module.export` names the workers may run, e.g. `gemm.bgemm`
   * @param threads total threads including the caller (≥ 1); threads − 1 workers are started
   */
  constructor(
    memory: WasmMemory,
    modules: Record<string, object>,
    functions: readonly string[],
    readonly threads: number,
  ) {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`KernelThreads: threads must be a positive integer, got ${threads}`);
    functions.forEach((f, i) => this.fnIds.set(f, i));
    for (let i = 1; i < threads; i++) {
      const ctl = new Int32Array(new SharedArrayBuffer(4 * (CTL_ARGS + MAX_ARGS)));
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, modules, functions, ctl: ctl.buffer, spinMs: SPIN_MS } });
      // A start-up failure is reported through the control word (DEAD) by the next call; the
      // listener only keeps the worker's error event from being an uncaught one.
      worker.on('error', () => undefined);
      worker.unref();
      this.workers.push({ worker, ctl });
    }
  }

  /**
   * How many parts a call with `work` units (e.g. multiply-adds) should be split into: one below
   * `minPerPart` units per part, else up to {@link threads}.
   */
  partsFor(work: number, minPerPart: number): number {
    return Math.max(1, Math.min(this.threads, Math.floor(work / minPerPart)));
  }

  /**
   * Runs `parts[i]` (arguments of `fn`) on worker i for i ≥ 1 and `parts[0]` on this thread
   * through `local`, and returns when all are done. Throws (after every part has stopped) if a
   * part failed on a worker (a trap), or a worker could not start.
   */
  run(fn: string, parts: readonly (readonly number[])[], local: (...args: number[]) => void): void {
    if (this.closed) throw new Error('KernelThreads: used after close()');
    const id = this.fnIds.get(fn);
    if (id === undefined) throw new Error(`KernelThreads: ${fn} is not a worker function`);
    if (parts.length > this.threads) throw new Error(`KernelThreads: ${parts.length} parts for ${this.threads} threads`);
    if (parts.length > 1) this.splitCalls++;
    for (let i = 1; i < parts.length; i++) {
      const { ctl } = this.workers[i - 1] as { ctl: Int32Array };
      const args = parts[i] as readonly number[];
      if (args.length > MAX_ARGS) throw new Error(`KernelThreads: ${fn} has ${args.length} arguments, at most ${MAX_ARGS}`);
      ctl[1] = id;
      ctl[2] = args.length;
      for (let a = 0; a < args.length; a++) ctl[CTL_ARGS + a] = args[a] as number;
      // A worker that could not start has left DEAD there: then it is not woken (reported below).
      if (Atomics.compareExchange(ctl, 0, IDLE, GO) === IDLE) Atomics.notify(ctl, 0);
    }
    let localError: unknown = null;
    try {
      local(...(parts[0] as number[]));
    } catch (e) {
      localError = e;
    }
    let failed: string | null = null;
    for (let i = 1; i < parts.length; i++) {
      const w = this.workers[i - 1] as { ctl: Int32Array };
      // (A worker that fails to start stores DEAD, so this never waits on a thread that is gone.)
      while (Atomics.load(w.ctl, 0) === GO) Atomics.wait(w.ctl, 0, GO);
      const state = Atomics.load(w.ctl, 0);
      if (state === DEAD) {
        failed ??= `worker ${i}: it could not start`;
        continue;
      }
      if (state === FAILED) failed ??= `worker ${i}: the kernel call threw`;
      Atomics.store(w.ctl, 0, IDLE);
    }
    if (localError) throw localError;
    if (failed) throw new Error(`KernelThreads: ${fn} failed on ${failed}`);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/**
 * How long a worker spins (watching its control word) after a call before it sleeps in
 * `Atomics.wait`. A layer's calls come in bursts, and waking a sleeping thread costs a median
 * 46–71 µs (p90 ~200 µs) here against ~1–8 µs for a spinning one; but with a 0.5 ms spin an
 * arm-mt10 rollout (its calls not split, the worker spinning beside it) measured 10–30 % slower,
 * so the spin is short and bounded, and an idle pool sleeps.
 */
const SPIN_MS = 0.1;

const IDLE = 0;
const GO = 1;
const DONE = 2;
const FAILED = 3;
/** Left by a worker whose start-up failed (it exits; its calls are reported as failed). */
const DEAD = 4;
const CTL_ARGS = 3;
const MAX_ARGS = 12;

// The worker: instantiate every module on the shared memory, then serve calls until terminated.
// (Evaluated code: no loader hooks or TypeScript in the worker, nothing to resolve.)
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, modules, functions, ctl } = workerData;
const c = new Int32Array(ctl);
let fns;
try {
  const instances = {};
  for (const [name, mod] of Object.entries(modules)) instances[name] = new WebAssembly.Instance(mod, { env: { memory } }).exports;
  fns = functions.map((f) => { const [m, e] = f.split('.'); if (typeof instances[m]?.[e] !== 'function') throw new Error('no function ' + f); return instances[m][e]; });
} catch (e) {
  Atomics.store(c, 0, ${DEAD});
  Atomics.notify(c, 0);
  throw e;
}
const args = [];
const spin = workerData.spinMs;
for (;;) {
  const s = Atomics.load(c, 0);
  if (s !== ${GO}) {
    // Calls come in bursts: spin up to SPIN_MS before sleeping (see SPIN_MS).
    if (spin > 0) {
      const until = performance.now() + spin;
      while (Atomics.load(c, 0) === s && performance.now() < until);
      if (Atomics.load(c, 0) !== s) continue;
    }
    Atomics.wait(c, 0, s);
    continue;
  }
  args.length = c[2];
  for (let a = 0; a < args.length; a++) args[a] = c[${CTL_ARGS} + a];
  let state = ${DONE};
  try { fns[c[1]](...args); } catch { state = ${FAILED}; }
  Atomics.store(c, 0, state);
  Atomics.notify(c, 0);
}
`;

/** An elementwise kernel call is split over threads only with at least this many floats per part. */
export const MIN_ELEMENTS_PER_PART = 1 << 16;

/**
 * Items of the given sizes (e.g. the values of each median, of each array to draw) dealt into at
 * most `parts` contiguous runs `[start, count]` of about equal total size, whole items each, in
 * order; runs are non-empty.
 */
export function runsBySize(sizes: readonly number[], parts: number): [number, number][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const runs: [number, number][] = [];
  let start = 0;
  let acc = 0;
  for (let j = 0; j < sizes.length && runs.length < parts - 1; j++) {
    acc += sizes[j] as number;
    if (acc >= (total * (runs.length + 1)) / parts) {
      runs.push([start, j + 1 - start]);
      start = j + 1;
    }
  }
  if (start < sizes.length) runs.push([start, sizes.length - start]);
  return runs;
}

/**
 * `total` items split into `parts` contiguous ranges `[start, length]`, every start a multiple of
 * `quantum` (so a SIMD kernel's 4-wide blocks and scalar tail fall where they would unsplit);
 * ranges are as equal as the quantum allows and none is empty (fewer ranges when `total` is small).
 */
export function splitRange(total: number, parts: number, quantum = 1): [number, number][] {
  const blocks = Math.ceil(total / quantum);
  const n = Math.max(1, Math.min(parts, blocks));
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = i === n - 1 ? total : Math.min(total, Math.round((blocks * (i + 1)) / n) * quantum);
    out.push([start, end - start]);
    start = end;
  }
  return out;
}

/**
 * The helper threads a kernel may split its calls over (none until {@link KernelPool.set}), and the
 * memory move that goes with them: workers need the kernels on a shared memory, one thread is
 * faster on an unshared one.
 */
export class KernelPool {
  threads: KernelThreads | null = null;

  /**
   * @param moveTo moves the kernels onto a shared (true) or unshared (false) memory, returns it
   * @param modules the compiled modules the workers instantiate on the shared memory
   */
  constructor(
    private readonly moveTo: (shared: boolean) => WasmMemory,
    private readonly modules: () => Record<string, object>,
    private readonly functions: readonly string[],
  ) {}

  /** Total threads the kernels use (1: the calling thread only). */
  get count(): number {
    return this.threads?.threads ?? 1;
  }

  /**
   * Uses `threads` threads (the caller and threads − 1 workers); from 1 to more the kernels move to
   * a shared memory, back to 1 they move to an unshared one and the workers stop.
   */
  set(threads: number): void {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`kernel threads must be a positive integer, got ${threads}`);
    if (threads === this.count) return;
    void this.threads?.close();
    this.threads = null;
    if (threads === 1) {
      this.moveTo(false);
      return;
    }
    const memory = this.moveTo(true);
    this.threads = new KernelThreads(memory, this.modules(), this.functions, threads);
  }
}
