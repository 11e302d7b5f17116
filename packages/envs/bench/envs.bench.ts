/**
 * Env-steps per second of each suite's vector env (10 tasks × 4 rows = 40 rows) under uniform
 * random actions from a seeded generator, autoreset included. Prints a table, then one JSON line.
 *
 *   npm run bench -w @varshare/envs      (or: cd packages/envs && npm run bench)
 *   ENVS_BENCH_SECONDS=5 to measure longer per suite (default 3).
 */
import { Rng, foldEnvSeed } from '@varshare/base';
import { createSuite, prepareSuite } from '../src/index';
import type { VectorEnv } from '../src/index';

interface BenchRow {
  readonly suite: string;
  readonly variant: string;
  readonly rows: number;
  readonly envSteps: number;
  readonly seconds: number;
  readonly envStepsPerSecond: number;
  readonly episodes: number;
  readonly meanEpisodeLength: number;
}

const seconds = Number(process.env.ENVS_BENCH_SECONDS ?? 3);

function bench(suite: string, variant: string, venv: VectorEnv): BenchRow {
  const rng = new Rng(foldEnvSeed(0));
  const discrete = venv.actionKind === 'discrete';
  const n = venv.singleActionSpace.kind === 'discrete' ? venv.singleActionSpace.n : 0;
  const intActions = new Int32Array(venv.numRows);
  const floatActions = new Float32Array(venv.numRows * venv.actionSize);
  const fill = (): Int32Array | Float32Array => {
    if (discrete) {
      for (let i = 0; i < intActions.length; i++) intActions[i] = rng.nextIntUnbiased(n);
      return intActions;
    }
    for (let i = 0; i < floatActions.length; i++) floatActions[i] = rng.uniform(-1, 1);
    return floatActions;
  };
  venv.reset({ seed: 1 });
  for (let t = 0; t < 200; t++) venv.step(fill()); // warm-up (JIT)
  let steps = 0;
  let episodes = 0;
  let episodeSteps = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) {
    for (let k = 0; k < 50; k++) {
      const out = venv.step(fill());
      for (const e of out.episodes) {
        episodes += 1;
        episodeSteps += e.length;
      }
      steps += venv.numRows;
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  return {
    suite,
    variant,
    rows: venv.numRows,
    envSteps: steps,
    seconds: Number(elapsed.toFixed(3)),
    envStepsPerSecond: Math.round(steps / elapsed),
    episodes,
    meanEpisodeLength: episodes > 0 ? Number((episodeSteps / episodes).toFixed(1)) : 0,
  };
}

const only = process.env.ENVS_BENCH_SUITES?.split(',');
const want = (suite: string): boolean => only === undefined || only.includes(suite);
await prepareSuite('arm-mt10');
const cases: [string, string, () => VectorEnv][] = [
  ['cartpole-mt', 'discrete', () => createSuite('cartpole-mt', { rowsPerTask: 4, seed: 1 })],
  ['lunarlander-mt', 'discrete', () => createSuite('lunarlander-mt', { rowsPerTask: 4, seed: 1 })],
  ['lunarlander-mt', 'continuous', () => createSuite('lunarlander-mt', { rowsPerTask: 4, seed: 1, continuous: true })],
  ['arm-mt10', 'continuous', () => createSuite('arm-mt10', { rowsPerTask: 4, seed: 1 })],
  // Python bridge: 10 toy tasks × 4 rows = 40 rows per round trip.
  ['gym:toy:ToyReach', 'bridge, 10×4 rows', () => createSuite(`gym:${Array(10).fill('toy:ToyReach').join(',')}`, { rowsPerTask: 4, seed: 1 })],
];
const results: BenchRow[] = [];
for (const [suite, variant, make] of cases) {
  if (!want(suite)) continue;
  const venv = make();
  results.push(bench(suite, variant, venv));
  venv.close();
}

const header = ['suite', 'variant', 'rows', 'env-steps', 'seconds', 'env-steps/s', 'episodes', 'mean ep len'];
const lines = results.map((r) => [r.suite, r.variant, String(r.rows), String(r.envSteps), r.seconds.toFixed(2), String(r.envStepsPerSecond), String(r.episodes), String(r.meanEpisodeLength)]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
console.log(`@varshare/envs benchmark: random actions, 10 tasks x 4 rows, node ${process.version}`);
console.log(fmt(header));
console.log(fmt(widths.map((w) => '-'.repeat(w))));
for (const l of lines) console.log(fmt(l));
console.log(JSON.stringify({ benchmark: 'envs', node: process.version, secondsPerSuite: seconds, results }));
