import { copyFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
import shared from '../../tsup.shared.ts';

// The worker bootstrap and its resolve hook are plain JavaScript loaded by path at run time
// (threads.ts: new URL('./workerBootstrap.mjs', import.meta.url)), so they sit next to the bundle.
export default defineConfig({
  ...(shared as object),
  onSuccess: async () => {
    for (const f of ['workerBootstrap.mjs', 'sourceCondition.mjs']) copyFileSync(`src/${f}`, `dist/${f}`);
  },
});
