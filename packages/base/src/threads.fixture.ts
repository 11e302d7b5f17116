// A worker for threads.test.ts: echoes, adds, fails on request, and answers after an async pause.
import { serveRequests, workerInput } from './threads';

const offset = workerInput<{ offset: number }>().offset;
serveRequests(async (m) => {
  const msg = m as { op: string; x?: number; data?: Float64Array };
  if (msg.op === 'add') return (msg.x as number) + offset;
  if (msg.op === 'fail') throw new Error('asked to fail');
  if (msg.op === 'later') return new Promise((resolve) => setTimeout(() => resolve('later'), 20));
  if (msg.op === 'double') {
    const out = Float64Array.from(msg.data as Float64Array, (v) => 2 * v);
    return { reply: out, transfer: [out.buffer] };
  }
  return msg;
});
