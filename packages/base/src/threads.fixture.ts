// A worker for threads.test.ts: echoes, adds, fails on request, and answers after an async pause.
import { workerData } from 'node:worker_threads';
import { serveRequests, workerInput } from './threads';

const offset = workerInput<{ offset: number }>().offset;
serveRequests(async (m) => {
  const msg = m as { op: string; x?: number; data?: Float64Array };
  if (msg.op === 'add') return (msg.x as number) + offset;
  if (msg.op === 'fail') throw new Error('asked to fail');
  if (msg.op === 'later') return new Promise((resolve) => setTimeout(() => resolve('later'), 20));
  if (msg.op === 'flag-first') {
    // Sets the reply flag 50 ms before the reply is posted (the order WorkerLink.wait tolerates).
    const flag = new Int32Array((workerData as { flag: SharedArrayBuffer }).flag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    return new Promise((resolve) => setTimeout(() => resolve('late'), 50));
  }
  if (msg.op === 'flag-only') {
    // Sets the reply flag and never replies (WorkerLink.wait must give up and say so).
    const flag = new Int32Array((workerData as { flag: SharedArrayBuffer }).flag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    return new Promise(() => undefined);
  }
  if (msg.op === 'double') {
    const out = Float64Array.from(msg.data as Float64Array, (v) => 2 * v);
    return { reply: out, transfer: [out.buffer] };
  }
  return msg;
});
