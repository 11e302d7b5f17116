#!/usr/bin/env node
// varshare-report RUNS_DIR --out DIR — see apps/report/README.md.
// In a source checkout it runs the build (dist/main.js) when `npm run build` stamped it from the
// sources as they are now (tools/buildStamp.mjs; VARSHARE_FROM_SOURCE=1 declines it), else the
// TypeScript source through tsx with the `source` export condition (src/main.ts present and tsx
// installed), so no build is needed and the code run is the code you see. Otherwise (published
// package: only dist/) it runs the built dist/main.js.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'main.ts');
const built = join(root, 'dist', 'main.js');

function tsxLoader() {
  try {
    return createRequire(join(root, 'package.json')).resolve('tsx');
  } catch {
    return undefined;
  }
}

/** dist/main.js when the checkout's build stamp matches its sources (null outside a checkout). */
async function currentBuild() {
  const stamp = join(root, '..', '..', 'tools', 'buildStamp.mjs');
  if (!existsSync(stamp)) return null;
  const { freshBuild } = await import(pathToFileURL(stamp).href);
  return freshBuild('apps/report/dist/main.js');
}

const fresh = existsSync(source) ? await currentBuild() : null;
const tsx = existsSync(source) && fresh === null ? tsxLoader() : undefined;
if (fresh !== null) {
  const { main } = await import(pathToFileURL(fresh).href);
  process.exitCode = await main(process.argv.slice(2));
} else if (tsx !== undefined) {
  const child = spawnSync(process.execPath, ['--conditions=source', '--import', pathToFileURL(tsx).href, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (child.error) {
    process.stderr.write(`varshare-report: could not start node: ${child.error.message}\n`);
    process.exit(1);
  }
  process.exit(child.status ?? (child.signal ? 128 + 15 : 1));
} else if (existsSync(built)) {
  const { main } = await import(pathToFileURL(built).href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  process.stderr.write('varshare-report: neither src/main.ts with tsx nor dist/main.js found; run `npx nx build @varshare/report`\n');
  process.exit(1);
}
