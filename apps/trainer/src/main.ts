#!/usr/bin/env node
/** Bin entry of `varshare` (see cli.ts). Exit codes: 0 ok, 1 run failed, 2 bad input, 130 interrupted. */
import { runCli } from './cli';
import { requestStop } from './runTraining';

let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\n${signal}: finishing the current update, writing a checkpoint…\n`);
    requestStop();
  });
}

runCli(process.argv.slice(2)).then((code) => process.exit(code));
