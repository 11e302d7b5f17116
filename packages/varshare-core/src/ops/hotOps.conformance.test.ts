/**
 * One conformance suite for both implementations of the hot ops: every case runs against the tfjs
 * implementation (on the cpu backend, where it runs in production, and forced on the wasm backend)
 * and against the wasm kernels, and compares values and every gradient with the spec's reference
 * functions (tensor ops, gradients by autodiff) evaluated on the same backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adamStepConstants, adamStepReference, sumSquaresReference } from '../adamStep';
import { initBackend, tf, type BackendName } from '../backend';
import { denseLayer, type LayerActivation } from '../denseLayer';
import { effectiveWeights, sampledResidual } from '../effectiveWeights';
import { gaussianKl } from '../gaussianKl';
import { posteriorSigma } from '../posteriorSigma';
import { Rng } from '../rng';
import { TaskRouting } from '../taskRouting';
import { VarShareDense, type ApplyOptions } from '../varShareDense';
import { VarShareMLP } from '../varShareMlp';
import { useHotOps, type DenseLayerParams, type HotOps, type HotOpsName, type KlPrior } from './hotOps';

/**
 * Tolerances against the reference, all float32 work:
 * - σ, σ': the kernel is within a few ulp of float64 (posteriorKernel.test.ts); tfjs's softplus
 *   and sigmoid within 1e-6 relative of it;
 * - matmul, dense layer: float32 sums in another order (the kernel's 4×8 tile vs tfjs's loop),
 *   |got − want| / (1 + |want|);
 * - KL: per-task sums in float64 (kernel) vs float32 (tf.sum);
 * - Adam: bit for bit.
 */
const TOL = { sigma: 1e-6, sigmaAbs: 4e-7, matmul: 1e-4, dense: 2e-5, klValue: 1e-4, klGrad: 1e-5, residual: 1e-6 } as const;

const IMPLEMENTATIONS: readonly { readonly ops: HotOpsName; readonly backend: BackendName }[] = [
  { ops: 'tfjs', backend: 'cpu' },
  { ops: 'tfjs', backend: 'wasm' },
  { ops: 'wasm', backend: 'wasm' },
];

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

/** max |a − b| / (1 + |b|) over the entries, with a message naming the quantity. */
function expectClose(a: tf.Tensor | undefined, b: tf.Tensor | undefined, tol: number, what: string): void {
  expect(a, `${what}: got`).toBeDefined();
  expect(b, `${what}: reference`).toBeDefined();
  const [av, bv] = [(a as tf.Tensor).dataSync(), (b as tf.Tensor).dataSync()];
  expect(av.length, what).toBe(bv.length);
  let worst = 0;
  for (let i = 0; i < av.length; i++) worst = Math.max(worst, Math.abs(av[i]! - bv[i]!) / (1 + Math.abs(bv[i]!)));
  expect(worst, what).toBeLessThan(tol);
}

/** float64 σ, σ' of a float32 ρ (ρ clamped at −87, as the kernel documents). */
function sigmaRef(rho: number): { sigma: number; dSigma: number } {
  const r = Math.max(rho, -87);
  return { sigma: Math.max(r, 0) + Math.log1p(Math.exp(-Math.abs(r))), dSigma: 1 / (1 + Math.exp(-r)) };
}

for (const impl of IMPLEMENTATIONS) {
  describe(`${impl.ops} hot ops on the ${impl.backend} backend`, () => {
    let ops: HotOps;
    const T = 3;
    const shape: [number, number, number] = [T, 4, 5];
    let mu: tf.Variable;
    let rho: tf.Variable;
    let eps: tf.Tensor;
    beforeAll(async () => {
      await initBackend(impl.backend);
      ops = useHotOps(impl.ops);
      mu = tf.variable(tf.randomNormal(shape, 0, 0.3, 'float32', 1));
      rho = tf.variable(tf.randomNormal(shape, -2, 1.5, 'float32', 2));
      eps = tf.randomNormal(shape, 0, 1, 'float32', 3);
    });
    afterAll(() => {
      for (const v of [mu, rho]) ops.release(v);
      [mu, rho, eps].forEach((t) => t.dispose());
    });

    it('is the implementation asked for', () => {
      expect(ops.name).toBe(impl.ops);
      expect(tf.getBackend()).toBe(impl.backend);
    });

    it('σ, σ′ and Σ log σ per task: equal the reference and float64, and follow assignments to ρ', () => {
      const r = tf.variable(tf.randomNormal([3, 7, 5], -4, 2, 'float32', 7));
      const check = () => {
        const p = ops.posteriorParts(r);
        const rv = r.dataSync();
        const [s, ds] = [p.sigma.dataSync(), p.dSigma.dataSync()];
        for (let i = 0; i < rv.length; i++) {
          const ref = sigmaRef(rv[i]!);
          expect(Math.abs(s[i]! - ref.sigma)).toBeLessThanOrEqual(TOL.sigmaAbs * Math.max(1, ref.sigma));
          expect(Math.abs(ds[i]! - ref.dSigma)).toBeLessThanOrEqual(TOL.sigmaAbs * Math.max(1, ref.dSigma));
        }
        const softplus = posteriorSigma(r);
        expect(tf.max(tf.abs(tf.sub(tf.div(p.sigma, softplus), 1))).dataSync()[0]).toBeLessThan(TOL.sigma);
        softplus.dispose();
        expect(Array.from(p.sigmaValues())).toEqual(Array.from(s));
        // Σ log σ per task over 7·5 entries, float64 from the same σ
        expect(p.logSigmaSums.length).toBe(3);
        p.logSigmaSums.forEach((v, t) => {
          let ref = 0;
          for (let i = t * 35; i < (t + 1) * 35; i++) ref += Math.log(s[i]!);
          expect(v / ref).toBeCloseTo(1, 6);
        });
        return p;
      };
      const first = check();
      expect(ops.posteriorParts(r).sigma).toBe(first.sigma); // unchanged ρ: nothing recomputed
      const before = first.sigma.dataSync()[0];
      r.assign(tf.add(r, 1));
      expect(check().sigma.dataSync()[0]).not.toBe(before);
      // hand values: softplus(0) = log 2; softplus(±5) = log1p(e^±5); sigmoid(−5) = 1/(1 + e^5)
      r.assign(tf.tidy(() => tf.concat([tf.concat([tf.tensor3d([[[0, 5, -5, 0, 0]]]), tf.zeros([1, 6, 5])], 1), tf.zeros([2, 7, 5])], 0)));
      const p = ops.posteriorParts(r);
      const s = p.sigma.dataSync();
      expect(s[0]).toBeCloseTo(Math.log(2), 6);
      expect(s[1]).toBeCloseTo(Math.log1p(Math.exp(5)), 5);
      expect(s[2]).toBeCloseTo(Math.log1p(Math.exp(-5)), 6);
      expect(p.dSigma.dataSync()[2]).toBeCloseTo(1 / (1 + Math.exp(5)), 6);
      ops.release(r);
      r.dispose();
    });

    it('μ + σ⊙ε: value and gradients (μ, ρ) equal autodiff of sampledResidual(μ, posteriorSigma(ρ), ε)', () => {
      const w = tf.randomNormal(shape, 0, 1, 'float32', 4); // a random linear loss Σ w ⊙ φ
      const got = tf.variableGrads(() => tf.sum(tf.mul(w, ops.sampleResidual(mu, rho, eps))) as tf.Scalar, [mu, rho]);
      const want = tf.variableGrads(() => tf.sum(tf.mul(w, sampledResidual(mu, posteriorSigma(rho), eps))) as tf.Scalar, [mu, rho]);
      expect(Math.abs((got.value.dataSync()[0] as number) - (want.value.dataSync()[0] as number))).toBeLessThan(1e-5);
      // dL/dμ = w exactly; dL/dρ = w ε sigmoid(ρ)
      expect(maxAbs(got.grads[mu.name] as tf.Tensor, w)).toBe(0);
      expect(maxAbs(got.grads[rho.name] as tf.Tensor, want.grads[rho.name] as tf.Tensor)).toBeLessThan(TOL.residual);
      tf.dispose([w, got.value, want.value, ...Object.values(got.grads), ...Object.values(want.grads)]);
    });

    it('grouped matmul: values and both gradients equal tf.matMul, shapes that need padding included', () => {
      for (const [Tm, n, k, m] of [[3, 16, 160, 130], [2, 3, 4, 5], [10, 5, 64, 1], [1, 7, 3, 2]] as const) {
        tf.tidy(() => {
          const a = tf.randomNormal([Tm, n, k], 0, 1, 'float32', 1) as tf.Tensor3D;
          const b = tf.randomNormal([Tm, k, m], 0, 0.1, 'float32', 2) as tf.Tensor3D;
          const w = tf.randomNormal([Tm, n, m], 0, 1, 'float32', 3);
          expect(maxAbs(ops.groupedMatMul(a, b), tf.matMul(a, b))).toBeLessThan(TOL.matmul);
          const loss = (f: (x: tf.Tensor3D, y: tf.Tensor3D) => tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(w, f(x as tf.Tensor3D, y as tf.Tensor3D))));
          const [ga, gb] = loss((x, y) => ops.groupedMatMul(x, y))([a, b]);
          const [ra, rb] = loss((x, y) => tf.matMul(x, y))([a, b]);
          expect(maxAbs(ga as tf.Tensor, ra as tf.Tensor)).toBeLessThan(TOL.matmul);
          expect(maxAbs(gb as tf.Tensor, rb as tf.Tensor)).toBeLessThan(TOL.matmul);
        });
      }
    });

    it('grouped matmul: block t is row block t of a times matrix t of b (hand check of one entry), bad shapes rejected', () => {
      tf.tidy(() => {
        const a = tf.randomNormal([3, 16, 160], 0, 1, 'float32', 1) as tf.Tensor3D;
        const b = tf.randomNormal([3, 160, 130], 0, 0.1, 'float32', 2) as tf.Tensor3D;
        const av = a.arraySync();
        const bv = b.arraySync();
        let ref = 0;
        for (let i = 0; i < 160; i++) ref += av[2]![4]![i]! * bv[2]![i]![7]!;
        expect(ops.groupedMatMul(a, b).arraySync()[2]![4]![7]).toBeCloseTo(ref, 4);
        expect(() => ops.groupedMatMul(a, tf.zeros([3, 5, 2]) as tf.Tensor3D)).toThrow(/inner dimensions differ/);
      });
    });

    const modes = ['mean', 'sample', 'shared'] as const;
    for (const mode of modes) {
      for (const activation of ['tanh', 'relu', 'none'] as LayerActivation[]) {
        it(`dense layer (${mode}, ${activation}): value and every gradient (x, θ, b, μ, ρ) equal the reference`, () => {
          const theta = tf.variable(tf.randomNormal([5, 3], 0, 0.6, 'float32', 11));
          const bias = tf.variable(tf.randomNormal([3], 0, 0.2, 'float32', 12));
          const m = tf.variable(tf.randomNormal([4, 5, 3], 0, 0.5, 'float32', 13));
          const r = tf.variable(tf.randomUniform([4, 5, 3], -2, -0.5, 'float32', 14));
          const e = tf.randomNormal([4, 5, 3], 0, 1, 'float32', 15);
          const xg = tf.randomNormal([4, 6, 5], 0, 1, 'float32', 21) as tf.Tensor3D;
          const dy = tf.randomNormal([4, 6, 3], 0, 1, 'float32', 22);
          const params: DenseLayerParams =
            mode === 'shared' ? { theta, bias } : mode === 'mean' ? { theta, bias, residual: { mu: m } } : { theta, bias, residual: { mu: m, noise: { rho: r, eps: e } } };
          const reference = (x: tf.Tensor3D): tf.Tensor => {
            const residual = mode === 'shared' ? null : mode === 'mean' ? m : sampledResidual(m, posteriorSigma(r), e);
            return denseLayer(x, effectiveWeights(theta, residual), bias, activation);
          };
          const impl = (x: tf.Tensor3D) => ops.dense(x, params, activation);
          const loss = (f: (x: tf.Tensor3D) => tf.Tensor) => (x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor3D), dy)) as tf.Scalar;
          const vars = [theta, bias, m, r];
          const got = tf.variableGrads(() => loss(impl)(xg), vars);
          const want = tf.variableGrads(() => loss(reference)(xg), vars);
          expectClose(impl(xg), reference(xg), TOL.dense, 'value');
          expectClose(got.value, want.value, TOL.dense, 'loss');
          for (const v of vars) {
            const g = got.grads[v.name];
            if (mode === 'shared' && (v === m || v === r)) {
              expect(g, `${v.name} gets no gradient with shared weights`).toBeUndefined();
              continue;
            }
            if (mode === 'mean' && v === r) {
              expect(g, 'ρ gets no gradient with mean weights').toBeUndefined();
              continue;
            }
            expectClose(g, want.grads[v.name], TOL.dense, `d/d${v.name}`);
          }
          expectClose(tf.grad(loss(impl))(xg), tf.grad(loss(reference))(xg), TOL.dense, 'dx');
          // The same effective weights given (a rollout snapshot): the same outputs, bit for bit.
          const w = tf.tidy(() => effectiveWeights(theta, mode === 'shared' ? null : mode === 'mean' ? m : sampledResidual(m, ops.posteriorParts(r).sigma, e)));
          expect(Array.from(ops.denseWithWeights(xg, w, bias, activation).dataSync())).toEqual(Array.from(impl(xg).dataSync()));
          expectClose(ops.denseWithWeights(xg, w, bias, activation), denseLayer(xg, w, bias, activation), TOL.dense, 'with weights');
          expect(Array.from(ops.denseArrays(xg.dataSync() as Float32Array, xg.shape, w, bias, activation))).toEqual(Array.from(ops.denseWithWeights(xg, w, bias, activation).dataSync()));
          for (const v of vars) ops.release(v);
          ops.release(e);
          tf.dispose([theta, bias, m, r, e, xg, dy, w]);
        });
      }
    }

    const klWeights = () => tf.tensor1d([1, -2, 0.5]);
    /** The reference KL_m: gaussianKl over each task's entries, σ = posteriorSigma(ρ). */
    const klReference = (sp: number | tf.Tensor, detach = false) => tf.sum(gaussianKl(mu, posteriorSigma(rho), sp, { detachSigmaForPrior: detach }), [1, 2]);

    for (const sp of [1, 0.05, [0.5, 1, 2]] as const) {
      it(`KL per task under constant σ_prior ${JSON.stringify(sp)}: value and gradients (μ, ρ) equal autodiff of gaussianKl`, () => {
        const spT = () => (typeof sp === 'number' ? sp : tf.tensor3d([...sp], [T, 1, 1]));
        const prior: KlPrior = { kind: 'constant', sigmaPrior: sp };
        const got = tf.variableGrads(() => tf.sum(tf.mul(klWeights(), ops.taskKl(mu, rho, prior))) as tf.Scalar, [mu, rho]);
        const want = tf.variableGrads(() => tf.sum(tf.mul(klWeights(), klReference(spT()))) as tf.Scalar, [mu, rho]);
        const v = got.value.dataSync()[0] as number;
        expect(Math.abs(v - (want.value.dataSync()[0] as number))).toBeLessThan(TOL.klValue * Math.max(1, Math.abs(v)));
        for (const x of [mu, rho]) {
          const g = want.grads[x.name] as tf.Tensor;
          const scale = tf.max(tf.abs(g)).dataSync()[0] as number;
          expect(maxAbs(got.grads[x.name] as tf.Tensor, g), x.name).toBeLessThan(TOL.klGrad * Math.max(1, scale));
        }
        tf.dispose([got.value, want.value, ...Object.values(got.grads), ...Object.values(want.grads)]);
      });
    }

    for (const detach of [false, true]) {
      for (const kind of ['learned scalar', 'per-task tensor'] as const) {
        it(`KL under a ${kind} σ_prior (detach σ: ${detach}): value and gradients (μ, ρ, σ_prior) equal autodiff of gaussianKl`, () => {
          const v = tf.variable(kind === 'learned scalar' ? tf.scalar(Math.log(0.3)) : tf.tensor3d([Math.log(0.3), Math.log(1), Math.log(0.7)], [T, 1, 1]));
          const got = tf.variableGrads(() => {
            const prior: KlPrior = { kind: 'tensor', sigmaPrior: tf.exp(v), detachSigma: detach };
            return tf.sum(tf.mul(klWeights(), ops.taskKl(mu, rho, prior))) as tf.Scalar;
          }, [mu, rho, v]);
          const want = tf.variableGrads(() => tf.sum(tf.mul(klWeights(), klReference(tf.exp(v), detach))) as tf.Scalar, [mu, rho, v]);
          const val = got.value.dataSync()[0] as number;
          expect(Math.abs(val - (want.value.dataSync()[0] as number))).toBeLessThan(TOL.klValue * Math.max(1, Math.abs(val)));
          for (const x of [mu, rho, v]) {
            const g = want.grads[x.name] as tf.Tensor;
            const scale = tf.max(tf.abs(g)).dataSync()[0] as number;
            expect(maxAbs(got.grads[x.name] as tf.Tensor, g), x.name).toBeLessThan(TOL.klGrad * Math.max(1, scale));
          }
          // and σ_prior does get a gradient (detaching σ changes it, does not remove it)
          expect(Math.abs((got.grads[v.name] as tf.Tensor).dataSync()[0] as number)).toBeGreaterThan(0);
          tf.dispose([v, got.value, want.value, ...Object.values(got.grads), ...Object.values(want.grads)]);
        });
      }
    }

    it('KL is 0 when the posterior equals the prior (μ = 0, σ = σ_prior), per task; a per-task prior of the wrong length is rejected', () => {
      // σ = softplus(ρ) = 0.5 ⇒ ρ = log(e^0.5 − 1); KL(N(0, 0.25) ‖ N(0, 0.25)) = 0 for every entry.
      const m = tf.variable(tf.zeros([2, 3, 3]));
      const r = tf.variable(tf.fill([2, 3, 3], Math.log(Math.expm1(0.5))));
      const kl = ops.taskKl(m, r, { kind: 'constant', sigmaPrior: 0.5 });
      expect(kl.shape).toEqual([2]);
      Array.from(kl.dataSync()).forEach((k) => expect(Math.abs(k)).toBeLessThan(1e-5));
      expect(() => ops.taskKl(m, r, { kind: 'constant', sigmaPrior: [0.5, 0.5, 0.5] })).toThrow(/3 σ_prior values for 2 tasks/);
      ops.release(r);
      ops.release(m);
      tf.dispose([m, r, kl]);
    });

    it('Adam step: bit-identical to adamStepReference (odd sizes, clipping, tiny and zero gradients); Σ g² equal to sumSquaresReference', () => {
      const rng = new Rng(11);
      const sizes = [1, 1001, 64];
      const memory = ops.adamMemory();
      const arrays = sizes.map((n) => ({ p: memory.alloc(n), g: memory.alloc(n), m: memory.alloc(n), v: memory.alloc(n) }));
      arrays.forEach((a) => a.p.values().set(Float32Array.from({ length: a.p.length }, () => rng.normal())));
      const ref = arrays.map((a) => ({ p: a.p.values().slice(), m: new Float32Array(a.p.length), v: new Float32Array(a.p.length) }));
      for (let step = 1; step <= 5; step++) {
        const [lr, scale] = [3e-4 * step, step === 3 ? 0.37 : 1];
        const k = adamStepConstants(lr, 0.9, 0.999, 1e-5, step, scale);
        arrays.forEach((a, j) => {
          a.g.values().set(Float32Array.from({ length: a.g.length }, (_, i) => (i % 7 === 0 ? 0 : rng.normal() * 10 ** (rng.nextInt(9) - 6))));
          const r = ref[j]!;
          expect(memory.sumSquares(a.g)).toBe(sumSquaresReference(a.g.values()));
          memory.step(a.p, a.g, a.m, a.v, k);
          adamStepReference(r.p, a.g.values(), r.m, r.v, k);
        });
      }
      arrays.forEach((a, j) => {
        expect(Array.from(a.p.values())).toEqual(Array.from(ref[j]!.p));
        expect(Array.from(a.m.values())).toEqual(Array.from(ref[j]!.m));
        expect(Array.from(a.v.values())).toEqual(Array.from(ref[j]!.v));
      });
      memory.dispose();
      // and it moved: not a test of two no-ops
      expect(Array.from(ref[1]!.m).some((x) => x !== 0)).toBe(true);
    });

    it('stepVariable: the variable reads back the stepped values (dataSync and an op), reloading p when told', () => {
      const n = 37;
      const init = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const v = tf.variable(tf.tensor1d(init));
      const memory = ops.adamMemory();
      const [p, g, m, s] = [memory.alloc(n), memory.alloc(n), memory.alloc(n), memory.alloc(n)];
      const ref = { p: init.slice(), m: new Float32Array(n), v: new Float32Array(n) };
      for (let step = 1; step <= 3; step++) {
        const k = adamStepConstants(1e-2, 0.9, 0.999, 1e-5, step, 1);
        g.values().set(Float32Array.from({ length: n }, (_, i) => Math.cos(i * step)));
        adamStepReference(ref.p, g.values(), ref.m, ref.v, k);
        memory.stepVariable(v, p, g, m, s, k, step === 1);
      }
      const plusOne = tf.tidy(() => tf.add(v, 1));
      expect(Array.from(plusOne.dataSync())).toEqual(Array.from(ref.p, (x) => Math.fround(x + 1)));
      expect(Array.from(v.dataSync())).toEqual(Array.from(ref.p));
      ops.release(v);
      memory.dispose();
      tf.dispose([v, plusOne]);
    });

    it('readValues gives a tensor’s values; kernelStats counts the kernel’s matmul flops (wasm) or is null (tfjs)', () => {
      const t = tf.tensor1d([1.5, -2, 3]);
      expect(Array.from(ops.readValues(t))).toEqual([1.5, -2, 3]);
      t.dispose();
      ops.resetKernelStats();
      tf.tidy(() => ops.groupedMatMul(tf.ones([2, 3, 4]) as tf.Tensor3D, tf.ones([2, 4, 5]) as tf.Tensor3D));
      const stats = ops.kernelStats();
      if (impl.ops === 'wasm') expect(stats).toMatchObject({ calls: 1, flops: 2 * 2 * 3 * 4 * 5 });
      else expect(stats).toBeNull();
    });

    it('a layer sees its own assignments: outputs after μ/ρ/θ change equal a freshly built layer with those values', () => {
      const make = () => new VarShareDense({ inputDim: 5, outputDim: 3, numTasks: 2, seed: 4, name: 'res.0' });
      const a = make();
      const x = tf.randomNormal([6, 5], 0, 1, 'float32', 8) as tf.Tensor2D;
      const ids = [0, 1, 1, 0, 1, 0];
      const opts = { weights: 'sample', noise: { kind: 'frozen', seed: 2 } } as const;
      const before = Array.from(a.apply(x, ids, opts).dataSync()); // kernel memory now holds the initial values
      tf.tidy(() => a.posteriorVariables().forEach((p, i) => p.assign(tf.randomNormal(p.shape, p.name.includes('/rho') ? -2 : 0, 0.3, 'float32', 20 + i))));
      a.theta.assign(tf.mul(a.theta, 1.5));
      const after = Array.from(a.apply(x, ids, opts).dataSync());
      const b = make();
      b.setState(a.getState());
      expect(after).toEqual(Array.from(b.apply(x, ids, opts).dataSync()));
      expect(after).not.toEqual(before);
      a.dispose();
      b.dispose();
      x.dispose();
    });

    it('a layer\'s output keeps its values across the layer\'s next forward, and the next layer reads it as it is', () => {
      const A: DenseLayerParams = { theta: tf.variable(tf.randomNormal([5, 4], 0, 0.6, 'float32', 31)), bias: tf.variable(tf.randomNormal([4], 0, 0.2, 'float32', 32)), residual: { mu: tf.variable(tf.randomNormal([3, 5, 4], 0, 0.5, 'float32', 33)) } };
      const B: DenseLayerParams = { theta: tf.variable(tf.randomNormal([4, 2], 0, 0.6, 'float32', 34)), bias: tf.variable(tf.randomNormal([2], 0, 0.2, 'float32', 35)), residual: { mu: tf.variable(tf.randomNormal([3, 4, 2], 0, 0.5, 'float32', 36)) } };
      const ref = (x: tf.Tensor3D, p: DenseLayerParams, act: LayerActivation) => denseLayer(x, effectiveWeights(p.theta, (p.residual as { mu: tf.Variable }).mu), p.bias, act) as tf.Tensor3D;
      const x1 = tf.randomNormal([3, 7, 5], 0, 1, 'float32', 37) as tf.Tensor3D;
      const x2 = tf.randomNormal([3, 7, 5], 0, 1, 'float32', 38) as tf.Tensor3D;
      // nothing reads y1 through tfjs before A's next forward
      const y1 = ops.dense(x1, A, 'tanh');
      const z1 = ops.dense(y1, B, 'none');
      const y2 = ops.dense(x2, A, 'tanh');
      expectClose(y1, ref(x1, A, 'tanh'), TOL.dense, 'y1 after the next forward');
      expectClose(y2, ref(x2, A, 'tanh'), TOL.dense, 'y2');
      expectClose(z1, ref(ref(x1, A, 'tanh'), B, 'none'), TOL.dense, 'z1');
      // y1 again, now from the tfjs heap: the same numbers as read in place
      expect(Array.from(ops.dense(y1, B, 'none').dataSync())).toEqual(Array.from(z1.dataSync()));
      for (const p of [A, B]) {
        ops.release(p.theta);
        tf.dispose([p.theta, p.bias, (p.residual as { mu: tf.Variable }).mu]);
      }
      tf.dispose([x1, x2, y1, z1, y2]);
    });

    it('two forwards with different weights before one backward: each gradient uses its own W', () => {
      const layer = new VarShareDense({ inputDim: 4, outputDim: 3, numTasks: 2, seed: 6, name: 'res.1' });
      tf.tidy(() => layer.posteriorVariables().forEach((p, i) => p.assign(tf.randomNormal(p.shape, p.name.includes('/rho') ? -1 : 0, 0.4, 'float32', 40 + i))));
      const xg = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 9) as tf.Tensor3D;
      const sample = { weights: 'sample', noise: { kind: 'frozen', seed: 3 } } as const;
      const mean = { weights: 'mean' } as const;
      const gx = (f: (x: tf.Tensor3D) => tf.Scalar) => tf.grad((x: tf.Tensor) => f(x as tf.Tensor3D))(xg);
      const lossMean = (x: tf.Tensor3D) => tf.sum(tf.square(layer.applyGrouped(x, mean, 'tanh'))) as tf.Scalar;
      const lossSample = (x: tf.Tensor3D) => tf.sum(tf.mul(layer.applyGrouped(x, sample, 'tanh'), 2)) as tf.Scalar;
      const both = gx((x) => tf.add(lossMean(x), lossSample(x)) as tf.Scalar).dataSync();
      const separate = tf.add(gx(lossMean), gx(lossSample)).dataSync();
      both.forEach((v, i) => expect(v).toBeCloseTo(separate[i]!, 5));
      layer.dispose();
      xg.dispose();
    });
  });
}

describe('the wasm kernels and the tfjs implementation agree on whole networks (every residual and noise kind)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  /** Loss, output and every gradient of a VarShare MLP, with the hot ops of `name`. */
  function run(name: HotOpsName, residual: 'full' | 'low-rank', apply: ApplyOptions, prior: 'constant' | 'learned'): { out: number[]; loss: number; grads: number[][] } {
    useHotOps(name);
    const net = new VarShareMLP({
      inputDim: 6,
      hiddenSizes: [16, 16],
      outputDim: 3,
      numTasks: 3,
      seed: 42,
      name: 'cmp',
      sigmaInit: 0.05,
      residual: residual === 'full' ? { kind: 'full' } : { kind: 'low-rank', rank: 2 },
    });
    tf.tidy(() => net.posteriorVariables().forEach((v, i) => v.name.includes('/mu') && v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', i + 1))));
    const logSp = tf.variable(tf.scalar(Math.log(0.1)));
    const x = tf.tensor2d(Array.from({ length: 10 * 6 }, (_, i) => Math.cos(i * 0.37)), [10, 6]);
    const ids = [0, 2, 1, 1, 0, 2, 2, 0, 1, 0];
    const vars = [...net.sharedVariables(), ...net.posteriorVariables(), ...(prior === 'learned' ? [logSp] : [])];
    const routing = new TaskRouting(ids, 3);
    const out = Array.from(net.applyRouted(x, routing, apply).dataSync());
    const { value, grads } = tf.variableGrads(() => {
      const y = net.applyRouted(x, routing, apply);
      const kl = prior === 'learned' ? net.kl(tf.exp(logSp)) : net.kl(0.1);
      return tf.add(tf.mean(tf.square(y)), tf.mul(1e-3, tf.sum(kl))) as tf.Scalar;
    }, vars);
    const result = { out, loss: value.dataSync()[0] as number, grads: vars.map((v) => Array.from((grads[v.name] as tf.Tensor).dataSync())) };
    tf.dispose([value, ...Object.values(grads), x, logSp]);
    routing.dispose();
    net.dispose();
    return result;
  }

  const cases: [string, 'full' | 'low-rank', ApplyOptions, 'constant' | 'learned'][] = [
    ['full, frozen noise, constant prior', 'full', { weights: 'sample', noise: { kind: 'frozen', seed: 3 } }, 'constant'],
    ['full, local noise, learned prior', 'full', { weights: 'sample', noise: { kind: 'local', seed: 3 } }, 'learned'],
    ['low-rank, frozen noise, learned prior', 'low-rank', { weights: 'sample', noise: { kind: 'frozen', seed: 5 } }, 'learned'],
    ['low-rank, mean weights, constant prior', 'low-rank', { weights: 'mean' }, 'constant'],
  ];
  for (const [title, residual, apply, prior] of cases) {
    it(title, () => {
      const w = run('wasm', residual, apply, prior);
      const t = run('tfjs', residual, apply, prior);
      expect(Math.abs(w.loss - t.loss)).toBeLessThan(1e-6);
      w.out.forEach((v, i) => expect(Math.abs(v - t.out[i]!)).toBeLessThan(1e-6));
      w.grads.forEach((g, k) => {
        let worst = 0;
        g.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - t.grads[k]![i]!))));
        // The learned σ_prior's gradient sums over every residual weight: the tfjs reference sums
        // ~10³ float32 terms, the kernel sums them in float64.
        const isPrior = prior === 'learned' && k === w.grads.length - 1;
        expect(worst, `gradient ${k}`).toBeLessThan(isPrior ? 1e-4 * Math.abs(t.grads[k]![0]!) : 1e-6);
      });
    });
  }
});
