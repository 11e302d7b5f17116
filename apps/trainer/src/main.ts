#!/usr/bin/env node
/** Bin entry of `varshare` (see cli.ts). Exit codes: 0 ok, 1 run failed, 2 bad input, 130 interrupted. */
import { runCli } from './cli';
import { requestStop } from './stop';

let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\n${signal}: finishing the current update, writing a checkpoint…\n`);
    requestStop();
  });
}

// A sweep starts its workers with an IPC channel: when the sweep dies (even by SIGKILL) the channel
// closes, and the worker stops at the next update boundary instead of running on as an orphan.
// The sweep asks its workers to stop by message rather than by signal: after a Ctrl-C the terminal
// has already signalled them, and a second signal would make them exit without a checkpoint.
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', requestStop);
  process.on('message', (m: unknown) => {
    if ((m as { type?: unknown } | null)?.type === 'stop') requestStop();
  });
  // Once the sweep has died its stderr pipe has no reader: a last message must not crash the worker.
  process.stderr.on('error', () => undefined);
  process.stdout.on('error', () => undefined);
}

runCli(process.argv.slice(2)).then((code) => process.exit(code));
