// `npm run build`: builds every package with tsup (through nx) and stamps the build with the hash of
// the sources it was made from (tools/buildStamp.mjs), so the bins run it while the sources are
// unchanged. The stamp goes first and comes back only after a successful build.
import { spawnSync } from 'node:child_process';
import { clearStamp, REPO_ROOT, sourceHash, writeStamp } from './buildStamp.mjs';

clearStamp();
const hash = sourceHash();
const nx = spawnSync('npx', ['nx', 'run-many', '-t', 'build', ...process.argv.slice(2)], { cwd: REPO_ROOT, stdio: 'inherit' });
if (nx.error) {
  process.stderr.write(`build: could not run nx: ${nx.error.message}\n`);
  process.exit(1);
}
if (nx.status !== 0) process.exit(nx.status ?? 1);
writeStamp(hash);
process.stdout.write(`build: stamped ${hash.slice(0, 12)} (the bins run dist/ while the sources hash to this; VARSHARE_FROM_SOURCE=1 runs the sources)\n`);
