// Entry of every worker thread the project starts (see threads.ts). The module to run comes in
// workerData.entry; TypeScript sources (tests, the bin's in-process runs) need tsx and the `source`
// export condition registered in THIS thread: loader hooks are per thread and not inherited.
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';

try {
  const entry = workerData?.entry;
  if (typeof entry !== 'string') throw new Error('worker bootstrap: workerData.entry (a module URL) is missing');
  if (entry.endsWith('.ts') || entry.endsWith('.mts')) {
    const tsx = await import('tsx/esm/api');
    tsx.register();
    register(new URL('./sourceCondition.mjs', import.meta.url));
  }
  await import(entry);
} catch (err) {
  // The caller blocks on the reply flag: answer every request with the start-up failure instead.
  const { port, flag } = workerData;
  const flags = new Int32Array(flag);
  port.on('message', () => {
    port.postMessage({ ok: false, error: `worker failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}` });
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
  });
}
