/**
 * `GymBridgeVectorEnv`: Python Gymnasium envs (or Meta-World MT10, or plain-Python toy envs) served
 * by `python/varshare_gym_server.py`, behind the synchronous {@link VectorEnv} interface.
 *
 * Transport: two named pipes (`mkfifo`) in a private temp dir, one per direction, opened
 * non-blocking on this side and polled with `fs.readSync`/`fs.writeSync`. Why: `step` must be
 * synchronous, and Node offers no blocking read on a child's stdout; with non-blocking FIFOs a
 * dead server shows up as end-of-file (read) or EPIPE (write) instead of a hang, the server's own
 * stdout/stderr stay free for its logs (sent to a file whose tail is quoted in errors), and every
 * step of all rows is one round trip (JSON header line + raw little-endian float32 payload).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveEnvSeed } from '@varshare/base';
import type { JsonObject } from './env';
import { box, discrete } from './spaces';
import type { Space } from './spaces';
import { VectorBuffers, checkRowsPerTask, checkVectorActions, vectorEnvShape } from './vectorBuffers';
import type { EpisodeRecord, VectorEnv, VectorEnvShape, VectorResetResult, VectorStepResult } from './vectorEnv';

/** Options of {@link GymBridgeVectorEnv}. */
export interface GymBridgeOptions {
  /** Root seed. Defaults to 0. */
  readonly seed?: number;
  /** Rows (env copies) per env id. Defaults to 1. */
  readonly rowsPerTask?: number;
  /** Time limit override; defaults to the env's own (Gymnasium spec / Meta-World 500). */
  readonly maxEpisodeSteps?: number;
  /** Python executable. Defaults to `$VARSHARE_PYTHON`, else `python3`. */
  readonly python?: string;
  /** Seconds to wait for the server to start (imports can be slow). Defaults to 120. */
  readonly startupTimeoutSeconds?: number;
  /** Seconds to wait for one reply. Defaults to 600. */
  readonly replyTimeoutSeconds?: number;
  /** Extra environment variables for the Python process (e.g. `VARSHARE_GYM_MODULES`). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Path of the shipped server script. */
export const GYM_SERVER_SCRIPT = fileURLToPath(new URL('../python/varshare_gym_server.py', import.meta.url));

const STATE_KIND = 'GymBridgeVectorEnv';
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

interface Hello {
  readonly tasks: readonly string[];
  readonly rows: number;
  readonly obs_dim: number;
  readonly obs_low: readonly (number | null)[];
  readonly obs_high: readonly (number | null)[];
  readonly action: { readonly kind: 'discrete'; readonly n: number } | { readonly kind: 'box'; readonly low: readonly number[]; readonly high: readonly number[] };
  readonly max_episode_steps: number | null;
}

/** The shape fields (numTasks … actionSize) are declared once, in `VectorEnvShape`, and merged into the class below. */
export interface GymBridgeVectorEnv extends VectorEnvShape {}

/**
 * A vector env whose rows live in a Python process. Row r runs env id `envIds[r mod numTasks]`
 * (round-robin only). Same autoreset semantics and buffers as `MultiTaskVectorEnv`.
 *
 * State: Python envs cannot be snapshotted, so `getState` records the seed, shape and restart
 * count only; `setState` re-seeds every Python env from `(seed, restart count)` and starts new
 * episodes (the interrupted episodes are dropped; not bit-exact).
 */
export class GymBridgeVectorEnv implements VectorEnv {
  /** Always `'round-robin'`: row r runs env id `r mod numTasks`. */
  declare readonly taskSampling: 'round-robin';
  /** Time limit reported by the server (null when the env has none). */
  readonly maxEpisodeSteps: number | null;
  /** Process id of the Python server. */
  readonly pid: number;

  private readonly dir: string;
  private readonly logPath: string;
  private readonly child: ChildProcess;
  private readonly readFd: number;
  private writeFd = -1;
  private readonly replyTimeoutMs: number;
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;
  private dead: string | null = null;
  private seedValue: number;
  private restarts = 0;
  private started = false;

  private readonly buffers: VectorBuffers;

  /**
   * Starts the server and waits for its hello.
   * @param envIds Gymnasium ids (`CartPole-v1`), `toy:<Class>` (python/toy_envs.py) or `metaworld-mt10`
   * @throws Error with a distinct message when Python, Gymnasium/Meta-World or the env id is missing
   */
  constructor(envIds: readonly string[], options: GymBridgeOptions = {}) {
    if (envIds.length === 0 || envIds.some((id) => id.length === 0 || id.includes(','))) throw new RangeError(`gym bridge: bad env id list ${JSON.stringify(envIds)}`);
    const rowsPerTask = options.rowsPerTask ?? 1;
    checkRowsPerTask('gym bridge', rowsPerTask);
    this.seedValue = options.seed ?? 0;
    deriveEnvSeed(this.seedValue, 0);
    this.replyTimeoutMs = (options.replyTimeoutSeconds ?? 600) * 1000;
    const python = options.python ?? process.env.VARSHARE_PYTHON ?? 'python3';
    const probe = spawnSync(python, ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 3)'], { encoding: 'utf8', timeout: 30_000 });
    if (probe.error !== undefined || probe.status !== 0) {
      throw new Error(
        `gym bridge: Python not found or not usable: "${python}" ${probe.error !== undefined ? `(${probe.error.message})` : `exited with ${String(probe.status)} (Python ≥ 3.8 required)`}. ` +
          'Install Python 3 or point $VARSHARE_PYTHON at the interpreter that has gymnasium installed.',
      );
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'varshare-gym-'));
    const req = path.join(this.dir, 'req');
    const resp = path.join(this.dir, 'resp');
    this.logPath = path.join(this.dir, 'server.log');
    const mk = spawnSync('mkfifo', [req, resp]);
    if (mk.error !== undefined || mk.status !== 0) {
      fs.rmSync(this.dir, { recursive: true, force: true });
      throw new Error(`gym bridge: mkfifo failed (${mk.error?.message ?? String(mk.stderr)}); the bridge needs a POSIX system`);
    }
    // Our read end first (non-blocking open never waits), so the server's write-open returns at once.
    this.readFd = fs.openSync(resp, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const log = fs.openSync(this.logPath, 'w');
    const args = [GYM_SERVER_SCRIPT, '--req', req, '--resp', resp, '--env-ids', envIds.join(','), '--rows-per-task', String(rowsPerTask), '--seed', String(this.seedValue)];
    if (options.maxEpisodeSteps !== undefined) args.push('--max-episode-steps', String(options.maxEpisodeSteps));
    this.child = spawn(python, args, { stdio: ['ignore', log, log], env: { ...process.env, ...options.env } });
    fs.closeSync(log);
    this.child.on('error', () => undefined); // reported synchronously via the pipes instead
    this.child.unref();
    this.pid = this.child.pid ?? -1;

    let hello: Hello;
    try {
      this.connect(req, (options.startupTimeoutSeconds ?? 120) * 1000);
      const { header } = this.receive('startup', (options.startupTimeoutSeconds ?? 120) * 1000);
      if (header.ok !== true) throw new Error(this.describeFailure(header, python, envIds));
      hello = header as unknown as Hello;
    } catch (e) {
      this.shutdown();
      throw e;
    }
    const dim = hello.obs_dim;
    const observationSpace = box(
      Float32Array.from(hello.obs_low, (v) => (v === null ? -Infinity : v)),
      Float32Array.from(hello.obs_high, (v) => (v === null ? Infinity : v)),
      [dim],
    );
    const actionSpace: Space = hello.action.kind === 'discrete' ? discrete(hello.action.n) : box(Float32Array.from(hello.action.low), Float32Array.from(hello.action.high));
    Object.assign(this, vectorEnvShape('gym bridge', Object.freeze([...hello.tasks]), rowsPerTask, 'round-robin', observationSpace, actionSpace));
    if (hello.rows !== this.numRows) throw new Error(`gym bridge: server reports ${hello.rows} rows, expected ${this.numRows}`);
    this.maxEpisodeSteps = hello.max_episode_steps;
    this.buffers = new VectorBuffers(this.numRows, this.observationSize);
    for (let r = 0; r < this.numRows; r++) this.buffers.taskIds[r] = r % this.numTasks;
  }

  /** Current observations `[rows × observationSize]`. */
  get observations(): Float32Array {
    return this.buffers.observations;
  }

  /** Task of each row `[rows]` (fixed: `r mod numTasks`). */
  get taskIds(): Int32Array {
    return this.buffers.taskIds;
  }

  /** Seeds row r with `deriveEnvSeed(deriveEnvSeed(seed, 0), r)` and starts new episodes. */
  reset(options?: { readonly seed?: number }): VectorResetResult {
    if (options?.seed !== undefined) {
      deriveEnvSeed(options.seed, 0);
      this.seedValue = options.seed;
    }
    this.resetRows(deriveEnvSeed(this.seedValue, 0));
    return this.buffers.resetResult();
  }

  private resetRows(seedRoot: number): void {
    const seeds: number[] = [];
    for (let r = 0; r < this.numRows; r++) seeds.push(deriveEnvSeed(seedRoot, r));
    const { payload } = this.call('reset', { cmd: 'reset', seeds }, null, this.numRows * this.observationSize * 4);
    const buffers = this.buffers;
    buffers.observations.set(new Float32Array(payload.buffer, payload.byteOffset, buffers.observations.length));
    for (let r = 0; r < this.numRows; r++) buffers.startEpisode(r);
    buffers.clearStepOutputs();
    this.started = true;
  }

  /**
   * One round trip for all rows (every row is stepped: `VectorEnv.step`'s `active` is a permission,
   * which the bridge does not use). @throws Error when the Python server died or reported an error
   */
  step(actions: Int32Array | Float32Array, _active?: Uint8Array): VectorStepResult {
    if (!this.started) throw new Error('GymBridgeVectorEnv: step() called before reset()');
    checkVectorActions('GymBridgeVectorEnv', this, actions);
    const n = this.singleActionSpace.kind === 'discrete' ? this.singleActionSpace.n : 0;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i] ?? Number.NaN;
      if (Number.isNaN(a)) throw new RangeError(`GymBridgeVectorEnv: action ${i} is NaN`);
      if (n > 0 && (a < 0 || a >= n)) throw new RangeError(`GymBridgeVectorEnv: discrete action ${i} must be in [0, ${n}), got ${a}`);
    }
    const payloadOut = actions instanceof Float32Array ? actions : Float32Array.from(actions);
    const rows = this.numRows;
    const dim = this.observationSize;
    const { payload } = this.call('step', { cmd: 'step' }, payloadOut, 4 * rows * (2 * dim + 4));
    const f = new Float32Array(payload.buffer, payload.byteOffset, rows * (2 * dim + 4));
    const buffers = this.buffers;
    buffers.observations.set(f.subarray(0, rows * dim));
    buffers.finalObservations.set(f.subarray(rows * dim, 2 * rows * dim));
    buffers.hasFinalObservation.fill(0);
    const base = 2 * rows * dim;
    let episodes: EpisodeRecord[] | null = null;
    for (let r = 0; r < rows; r++) {
      const terminated = f[base + rows + r] === 1;
      const truncated = f[base + 2 * rows + r] === 1;
      buffers.recordStep(r, f[base + r] ?? 0, terminated, truncated, f[base + 3 * rows + r] === 1);
      if (terminated || truncated) {
        const taskId = buffers.taskIds[r] ?? 0;
        (episodes ??= []).push(buffers.endEpisode(r, taskId, this.taskNames[taskId] ?? '', terminated));
      }
    }
    return buffers.stepResult(episodes);
  }

  /** Seed, shape and restart count (Python env state cannot be captured; see the class doc). */
  getState(): JsonObject {
    return {
      kind: STATE_KIND,
      version: 1,
      taskNames: [...this.taskNames],
      rowsPerTask: this.rowsPerTask,
      seed: this.seedValue,
      restarts: this.restarts,
      started: this.started,
    };
  }

  /**
   * Re-seeds every Python env from `deriveEnvSeed(seed, 1000 + restarts)` (restarts counted across
   * resumes) and starts new episodes; observations hold their first observations afterwards.
   */
  setState(state: JsonObject): void {
    if (state.kind !== STATE_KIND || state.version !== 1) throw new TypeError('GymBridgeVectorEnv.setState: not a GymBridgeVectorEnv state (version 1)');
    if (JSON.stringify(state.taskNames) !== JSON.stringify(this.taskNames) || state.rowsPerTask !== this.rowsPerTask) {
      throw new TypeError(`GymBridgeVectorEnv.setState: state is for tasks ${JSON.stringify(state.taskNames)} × ${String(state.rowsPerTask)}; this env runs ${JSON.stringify(this.taskNames)} × ${this.rowsPerTask}`);
    }
    if (typeof state.seed !== 'number' || typeof state.restarts !== 'number' || typeof state.started !== 'boolean') throw new TypeError('GymBridgeVectorEnv.setState: bad seed/restarts/started');
    this.seedValue = state.seed;
    this.restarts = state.restarts + 1;
    if (state.started) this.resetRows(deriveEnvSeed(this.seedValue, 1000 + this.restarts));
  }

  /** Asks the server to close its envs, then removes the pipes (idempotent; never throws). */
  close(): void {
    if (this.closed) return;
    if (this.dead === null && this.writeFd >= 0) {
      try {
        this.call('close', { cmd: 'close' }, null, 0, 10_000);
      } catch {
        // the server is gone already; nothing left to close
      }
    }
    this.shutdown();
  }

  // ---- transport --------------------------------------------------------------------------------

  private shutdown(): void {
    this.closed = true;
    for (const fd of [this.readFd, this.writeFd]) {
      if (fd >= 0) {
        try {
          fs.closeSync(fd);
        } catch {
          // already closed
        }
      }
    }
    this.writeFd = -1;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private serverAlive(): boolean {
    // Node reaps children only from its event loop, which a synchronous wait blocks: read the
    // process state directly (Linux); elsewhere rely on the pipes and timeouts.
    try {
      const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch (e) {
      return errno(e) !== 'ENOENT';
    }
  }

  private logTail(): string {
    try {
      const text = fs.readFileSync(this.logPath, 'utf8').trim();
      return text.length === 0 ? '' : `\nPython output (last lines):\n${text.split('\n').slice(-15).join('\n')}`;
    } catch {
      return '';
    }
  }

  private died(during: string): Error {
    this.dead ??= during;
    return new Error(`gym bridge: the Python env server (pid ${this.pid}) exited unexpectedly during ${during}${this.logTail()}`);
  }

  private connect(reqPath: string, timeoutMs: number): void {
    const deadline = Date.now() + timeoutMs;
    for (let k = 0; ; k++) {
      try {
        this.writeFd = fs.openSync(reqPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        return;
      } catch (e) {
        if (errno(e) !== 'ENXIO') throw e;
      }
      if (k % 20 === 0 && !this.serverAlive()) {
        // It may have written a failure report before exiting.
        const report = this.tryReadFailure();
        if (report !== null) throw report;
        throw this.died('startup');
      }
      if (Date.now() > deadline) throw new Error(`gym bridge: the Python env server did not start within ${timeoutMs / 1000} s${this.logTail()}`);
      sleepMs(2);
    }
  }

  private tryReadFailure(): Error | null {
    try {
      const { header } = this.receive('startup', 200);
      if (header.ok === false) return new Error(String(header.message));
    } catch {
      // nothing readable
    }
    return null;
  }

  private describeFailure(header: Record<string, unknown>, python: string, envIds: readonly string[]): string {
    const message = String(header.message ?? '');
    switch (header.error) {
      case 'gymnasium-missing':
        return `gym bridge: the Python package gymnasium is not installed for "${python}" (pip install gymnasium, or set $VARSHARE_PYTHON): ${message}`;
      case 'metaworld-missing':
        return `gym bridge: the Python package metaworld is not installed for "${python}" (pip install gymnasium metaworld): ${message}`;
      case 'unknown-env':
        return `gym bridge: unknown env id in ${JSON.stringify(envIds)}: ${message}`;
      default:
        return `gym bridge: the Python env server failed to start (${String(header.error)}): ${message}`;
    }
  }

  private writeAll(data: Buffer, during: string, deadline: number): void {
    let off = 0;
    while (off < data.length) {
      try {
        off += fs.writeSync(this.writeFd, data, off, data.length - off);
      } catch (e) {
        const code = errno(e);
        if (code === 'EPIPE') throw this.died(during);
        if (code !== 'EAGAIN') throw e;
        if (Date.now() > deadline) throw new Error(`gym bridge: timed out sending ${during} to the Python env server`);
        if (!this.serverAlive()) throw this.died(during);
        sleepMs(0.05);
      }
    }
  }

  /** Reads until `pending` holds `n` bytes (or a newline when `n` < 0). */
  private fill(n: number, during: string, deadline: number): void {
    const chunk = Buffer.allocUnsafe(1 << 16);
    let spins = 0;
    for (;;) {
      if (n >= 0 ? this.pending.length >= n : this.pending.includes(10)) return;
      let got: number;
      try {
        got = fs.readSync(this.readFd, chunk, 0, chunk.length, null);
      } catch (e) {
        if (errno(e) !== 'EAGAIN') throw e;
        spins += 1;
        if (Date.now() > deadline) throw new Error(`gym bridge: no reply to ${during} from the Python env server within the timeout${this.logTail()}`);
        if (spins % 1000 === 0 && !this.serverAlive()) throw this.died(during);
        // Spin briefly for low latency, then back off to short sleeps.
        if (spins > 200) sleepMs(spins > 5000 ? 1 : 0.02);
        continue;
      }
      if (got === 0) {
        // End of file: no writer any more (before the server opened its end this is also EOF).
        if (during === 'startup' && this.writeFd < 0) {
          if (Date.now() > deadline) throw new Error(`gym bridge: the Python env server did not start in time${this.logTail()}`);
          sleepMs(2);
          continue;
        }
        throw this.died(during);
      }
      this.pending = this.pending.length === 0 ? Buffer.from(chunk.subarray(0, got)) : Buffer.concat([this.pending, chunk.subarray(0, got)]);
    }
  }

  private receive(during: string, timeoutMs: number): { header: Record<string, unknown>; payload: Buffer } {
    const deadline = Date.now() + timeoutMs;
    this.fill(-1, during, deadline);
    const nl = this.pending.indexOf(10);
    const header = JSON.parse(this.pending.subarray(0, nl).toString('utf8')) as Record<string, unknown>;
    this.pending = this.pending.subarray(nl + 1);
    const bytes = typeof header.bytes === 'number' ? header.bytes : 0;
    this.fill(bytes, during, deadline);
    const payload = Buffer.from(this.pending.subarray(0, bytes));
    this.pending = this.pending.subarray(bytes);
    return { header, payload };
  }

  private call(during: string, header: Record<string, unknown>, payload: Float32Array | null, expectBytes: number, timeoutMs = this.replyTimeoutMs): { payload: Buffer } {
    if (this.closed) throw new Error('GymBridgeVectorEnv: used after close()');
    if (this.dead !== null) throw new Error(`gym bridge: the Python env server (pid ${this.pid}) is no longer running (it exited during ${this.dead})`);
    const deadline = Date.now() + timeoutMs;
    const body = payload === null ? Buffer.alloc(0) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const line = Buffer.from(`${JSON.stringify({ ...header, bytes: body.length })}\n`, 'utf8');
    this.writeAll(body.length === 0 ? line : Buffer.concat([line, body]), during, deadline);
    const reply = this.receive(during, timeoutMs);
    if (reply.header.ok !== true) throw new Error(`gym bridge: the Python env server failed during ${during}: ${String(reply.header.message)}`);
    if (reply.payload.length !== expectBytes) throw new Error(`gym bridge: ${during} reply has ${reply.payload.length} bytes, expected ${expectBytes}`);
    // Align for Float32Array views.
    const aligned = Buffer.alloc(reply.payload.length);
    reply.payload.copy(aligned);
    return { payload: aligned };
  }
}
