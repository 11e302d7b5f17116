/**
 * Core benchmark (issue: "ms per forward (B=1, B=64) and per forward+backward+Adam (B=256) for a
 * VarShare MLP 39-400-400-4 with 10 tasks versus the plain MLP, on wasm and cpu").
 *
 *   npm run bench:core            # prints a table and writes bench-results/core.json
 *   npm run bench:core -- --quick # fewer repetitions
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { initBackend, tf, VarShareMLP, createSharedMLP, Rng, type BackendName, type MLPApplyOptions } from '../src/index';

const quick = process.argv.includes('--quick');
const numTasks = 10;
const dims = { inputDim: 39, hiddenSizes: [400, 400], outputDim: 4, numTasks, seed: 1 } as const;

function timeIt(fn: () => void, reps: number): number {
  for (let i = 0; i < Math.max(2, reps / 10); i++) fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

interface Row {
  backend: string;
  net: string;
  forwardB1: number;
  forwardB64: number;
  updateB256: number;
}

async function benchBackend(backend: BackendName): Promise<Row[]> {
  await initBackend(backend);
  const rows: Row[] = [];
  const rng = new Rng(7);
  const make = (n: number) => tf.tensor2d(Float32Array.from({ length: n * 39 }, () => rng.normal()), [n, 39]);
  const ids = (n: number) => Int32Array.from({ length: n }, (_, i) => i % numTasks);
  for (const kind of ['varshare', 'plain'] as const) {
    const net = kind === 'varshare' ? new VarShareMLP(dims) : createSharedMLP(dims);
    const actOpts: MLPApplyOptions = kind === 'varshare' ? { weights: 'sample', noise: { kind: 'frozen', seed: 3 } } : { weights: 'shared' };
    const x1 = make(1);
    const x64 = make(64);
    const x256 = make(256);
    const [i1, i64, i256] = [ids(1), ids(64), ids(256)];
    const forward = (x: tf.Tensor2D, i: Int32Array) => () => {
      const y = net.apply(x, i, actOpts);
      y.dataSync();
      y.dispose();
    };
    const reps = backend === 'cpu' ? (quick ? 3 : 10) : quick ? 20 : 100;
    const forwardB1 = timeIt(forward(x1, i1), reps);
    const forwardB64 = timeIt(forward(x64, i64), reps);
    const optimizer = tf.train.adam(3e-4, 0.9, 0.999, 1e-5);
    const vars = [...net.sharedVariables(), ...net.posteriorVariables()];
    const update = () => {
      const cost = optimizer.minimize(() => {
        const y = net.apply(x256, i256, actOpts);
        const loss = tf.mean(tf.square(y));
        return (kind === 'varshare' ? tf.add(loss, tf.mul(1e-6, tf.sum(net.kl(1)))) : loss) as tf.Scalar;
      }, true, vars);
      cost?.dataSync();
      cost?.dispose();
    };
    const updateB256 = timeIt(update, backend === 'cpu' ? (quick ? 2 : 5) : quick ? 10 : 40);
    rows.push({ backend, net: kind, forwardB1, forwardB64, updateB256 });
    optimizer.dispose();
    [x1, x64, x256].forEach((t) => t.dispose());
    net.dispose();
  }
  return rows;
}

const rows = [...(await benchBackend('wasm')), ...(await benchBackend('cpu'))];
console.log('VarShare MLP 39-400-400-4, 10 tasks, vs plain MLP (ms per call)');
console.log('backend  net       fwd B=1   fwd B=64  fwd+bwd+Adam B=256');
for (const r of rows) {
  console.log(`${r.backend.padEnd(8)} ${r.net.padEnd(9)} ${r.forwardB1.toFixed(3).padStart(8)}  ${r.forwardB64.toFixed(3).padStart(8)}  ${r.updateB256.toFixed(2).padStart(10)}`);
}
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/core.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2));
