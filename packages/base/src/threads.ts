/**
 * Worker threads with a synchronous request/reply channel — how a run uses more than one core
 * without turning its loop asynchronous: the calling thread posts a request, may do its own share
 * of the work, then blocks on an `Atomics.wait` until the worker's reply is in the port's queue
 * (`receiveMessageOnPort`). A round trip costs ~25 µs here, so a request per env step or per
 * minibatch is cheap. Workers run TypeScript sources or built JavaScript alike (`workerBootstrap.mjs`
 * registers tsx and the `source` export condition in the worker, where loader hooks are not inherited).
 */
import { MessageChannel, Worker, receiveMessageOnPort, workerData, type MessagePort, type TransferListItem } from 'node:worker_threads';

const BOOTSTRAP = new URL('./workerBootstrap.mjs', import.meta.url);
const IDLE = 0;
const REPLIED = 1;
/** How long {@link WorkerLink.wait} looks for a reply whose flag came first. */
const LATE_REPLY_MS = 2000;
/** A word nobody notifies: `Atomics.wait` on it is a sleep. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** What a worker's handler returns: a reply, or a reply with buffers to transfer instead of copy. */
export type Reply = unknown | { readonly reply: unknown; readonly transfer: readonly TransferListItem[] };

/** The reply envelope on the wire. */
interface Envelope {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

/** A worker thread's failure, re-thrown in the thread that asked. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
}

/**
 * The calling side of one worker thread. {@link request} = {@link post} + {@link wait}; between the
 * two the caller can do its own share of the work in parallel.
 */
export class WorkerLink {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private pending = false;
  /** The worker module's file name, for error messages. */
  private readonly entryName: string;

  /**
   * Starts `entry` (a module URL that calls {@link serveRequests}) in a new thread.
   * @param data anything structured-clonable, available to the worker as {@link workerInput}
   */
  constructor(entry: URL, data: unknown = null) {
    const { port1, port2 } = new MessageChannel();
    this.flag = new Int32Array(new SharedArrayBuffer(4));
    this.worker = new Worker(BOOTSTRAP, { workerData: { entry: entry.href, port: port2, flag: this.flag.buffer, data }, transferList: [port2] });
    // The thread must not keep the process alive on its own, and its errors surface on the next wait.
    this.worker.unref();
    this.port = port1;
    this.entryName = entry.pathname.split('/').at(-1) ?? entry.href;
  }

  /** Sends a request without waiting (one at a time: {@link wait} for its reply before the next). */
  post(message: unknown, transfer: readonly TransferListItem[] = []): void {
    if (this.pending) throw new Error('WorkerLink: a request is already pending; wait() for its reply first');
    this.pending = true;
    this.port.postMessage(message, transfer as TransferListItem[]);
  }

  /** Whether a request is pending (posted, its reply not taken yet). */
  get busy(): boolean {
    return this.pending;
  }

  /** Whether the pending request's reply has arrived, so {@link wait} returns at once. */
  ready(): boolean {
    return this.pending && Atomics.load(this.flag, 0) === REPLIED;
  }

  /** Blocks until the pending request's reply arrives and returns it (re-throws the worker's error). */
  wait<T>(): T {
    if (!this.pending) throw new Error('WorkerLink: no request is pending');
    Atomics.wait(this.flag, 0, IDLE);
    Atomics.store(this.flag, 0, IDLE);
    this.pending = false;
    let received = receiveMessageOnPort(this.port);
    // The worker posts its reply before it sets the flag, so the reply is normally there; once (an
    // evaluation worker under load, 2026-11-30) it was not, cause unknown: give it a moment.
    const deadline = received ? 0 : Date.now() + LATE_REPLY_MS;
    while (!received && Date.now() < deadline) {
      Atomics.wait(PAUSE, 0, 0, 1);
      received = receiveMessageOnPort(this.port);
    }
    if (!received) throw new WorkerError(`WorkerLink (${this.entryName}): the worker signalled a reply but none arrived within ${LATE_REPLY_MS} ms`);
    const env = received.message as Envelope;
    if (!env.ok) throw new WorkerError(env.error ?? 'worker failed');
    return env.value as T;
  }

  /** {@link post} then {@link wait}. */
  request<T>(message: unknown, transfer: readonly TransferListItem[] = []): T {
    this.post(message, transfer);
    return this.wait<T>();
  }

  /** Stops the thread. */
  close(): Promise<number> {
    this.port.close();
    return this.worker.terminate();
  }
}

/**
 * The URL of a worker module next to the caller, with the caller's own extension: `.ts` when running
 * from sources, `.js` in a build (bundles put worker entries next to `index.js`).
 * @param callerUrl the caller's `import.meta.url`
 * @param name the module's base name, e.g. `envShardWorker`
 */
export function siblingModule(callerUrl: string, name: string): URL {
  const ext = /\.(m?ts)$/.exec(new URL(callerUrl).pathname)?.[1] ?? 'js';
  return new URL(`./${name}.${ext}`, callerUrl);
}

/** Inside a worker started by {@link WorkerLink}: the `data` the caller passed. */
export function workerInput<T>(): T {
  return (workerData as { data: T }).data;
}

/**
 * Inside a worker started by {@link WorkerLink}: answers every request with `handler`'s reply (or
 * its thrown error, re-thrown on the calling side), in order. The handler may be async.
 */
export function serveRequests(handler: (message: unknown) => Reply | Promise<Reply>): void {
  const { port, flag: buffer } = workerData as { port: MessagePort; flag: SharedArrayBuffer };
  const flag = new Int32Array(buffer);
  const answer = (env: Envelope, transfer: readonly TransferListItem[] = []) => {
    port.postMessage(env, transfer as TransferListItem[]);
    Atomics.store(flag, 0, REPLIED);
    Atomics.notify(flag, 0);
  };
  port.on('message', (message: unknown) => {
    Promise.resolve()
      .then(() => handler(message))
      .then(
        (r) => {
          const wrapped = r as { reply?: unknown; transfer?: readonly TransferListItem[] } | null;
          if (wrapped && typeof wrapped === 'object' && 'transfer' in wrapped && 'reply' in wrapped) answer({ ok: true, value: wrapped.reply }, wrapped.transfer);
          else answer({ ok: true, value: r });
        },
        (err: unknown) => answer({ ok: false, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) }),
      );
  });
}
