import { initBackend, tf } from '@varshare/core';
await initBackend('wasm');
function t(name: string, f: () => tf.Tensor | tf.Tensor[], reps = 300) {
  const run = () => { const r = f(); (Array.isArray(r) ? r : [r]).forEach((x) => x.dispose()); };
  for (let i = 0; i < 20; i++) run();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  console.log(name.padEnd(40), (((performance.now() - t0) / reps) * 1000).toFixed(1), 'us');
}
const r = (s: number[]) => tf.randomNormal(s, 0, 1, 'float32', 1);
const split = (a: tf.Tensor3D, b: tf.Tensor3D) => tf.tidy(() => { const as = tf.unstack(a), bs = tf.unstack(b); return tf.stack(as.map((x, i) => tf.matMul(x as tf.Tensor2D, bs[i] as tf.Tensor2D))); });
for (const [T, n, i, o] of [[10, 32, 64, 64], [10, 4, 64, 64], [10, 32, 4, 64], [10, 26, 400, 400], [50, 7, 64, 64]]) {
  const a = r([T, n, i]) as tf.Tensor3D, b = r([T, i, o]) as tf.Tensor3D;
  t(`bmm ${[T, n, i, o]}`, () => tf.matMul(a, b), 50);
  t(`split ${[T, n, i, o]}`, () => split(a, b), 50);
}
const big = r([10, 64, 64]);
t('softplus', () => tf.softplus(big));
t('sigmoid', () => tf.sigmoid(big));
t('exp', () => tf.exp(big));
t('log1p', () => tf.log1p(big));
t('tanh', () => tf.tanh(big));
t('log', () => tf.log(tf.abs(big)));
const f = new Float32Array(41000).map((_, i) => Math.sin(i) * 3);
const out = new Float32Array(41000);
t('js softplus+sig', () => { for (let k = 0; k < f.length; k++) { const e = Math.exp(f[k]!); out[k] = Math.log1p(e) + e / (1 + e); } return tf.scalar(0); });
t('js adam-ish', () => { for (let k = 0; k < f.length; k++) { const g = f[k]!; const m = 0.9 * out[k]! + 0.1 * g; out[k] = m / (Math.sqrt(g * g * 0.001) + 1e-5); } return tf.scalar(0); });
