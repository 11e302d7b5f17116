import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import type { DenseActivation, DenseOperands } from './denseKernel';
import { wasmKernels } from './wasmKernels';

const [T, n, inDim, outDim] = [2, 3, 5, 3];
const size = inDim * outDim;

/** A layer's operands with noise, and σ' = sigmoid(ρ), from a seeded generator. */
function operands(seed: number) {
  const rng = new Rng(seed);
  const arr = (len: number, scale: number, shift = 0) => Float32Array.from({ length: len }, () => shift + scale * rng.normal());
  const rho = arr(T * size, 0.5, -2);
  return {
    x: arr(T * n * inDim, 1),
    theta: arr(size, 0.6),
    mu: arr(T * size, 0.3),
    sigma: Float32Array.from(rho, (r) => Math.log1p(Math.exp(r))),
    dSigma: Float32Array.from(rho, (r) => 1 / (1 + Math.exp(-r))),
    eps: arr(T * size, 1),
    bias: arr(outDim, 0.2),
    dy: arr(T * n * outDim, 1),
  };
}

/**
 * Forward and backward of act(X_t W_t + b), W_t = θ + (μ_t + σ_t ε_t) (or θ + μ_t, or θ), in
 * float64 from the float32 inputs: plain loops over the definition.
 */
function reference(o: ReturnType<typeof operands>, weights: 'sample' | 'mean' | 'shared', activation: DenseActivation) {
  const w = new Float64Array(T * size);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < size; i++) {
      const j = t * size + i;
      w[j] = o.theta[i]! + (weights === 'shared' ? 0 : o.mu[j]! + (weights === 'sample' ? o.sigma[j]! * o.eps[j]! : 0));
    }
  }
  const y = new Float64Array(T * n * outDim);
  const dz = new Float64Array(T * n * outDim);
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < outDim; c++) {
        let z = o.bias[c]!;
        for (let p = 0; p < inDim; p++) z += o.x[(t * n + r) * inDim + p]! * w[t * size + p * outDim + c]!;
        const q = (t * n + r) * outDim + c;
        y[q] = activation === 'tanh' ? Math.tanh(z) : activation === 'relu' ? Math.max(z, 0) : z;
        dz[q] = o.dy[q]! * (activation === 'tanh' ? 1 - y[q]! * y[q]! : activation === 'relu' ? (z > 0 ? 1 : 0) : 1);
      }
    }
  }
  const dx = new Float64Array(T * n * inDim);
  const dw = new Float64Array(T * size);
  const dTheta = new Float64Array(size);
  const dBias = new Float64Array(outDim);
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < outDim; c++) {
        const g = dz[(t * n + r) * outDim + c]!;
        dBias[c]! += g;
        for (let p = 0; p < inDim; p++) {
          dx[(t * n + r) * inDim + p]! += g * w[t * size + p * outDim + c]!;
          dw[t * size + p * outDim + c]! += g * o.x[(t * n + r) * inDim + p]!;
        }
      }
    }
  }
  for (let j = 0; j < T * size; j++) dTheta[j % size]! += dw[j]!;
  const dRho = Float64Array.from(dw, (g, j) => g * o.eps[j]! * o.dSigma[j]!);
  return { y, dx, dTheta, dBias, dMu: dw, dRho };
}

function expectClose(got: Float32Array | null, want: ArrayLike<number>, what: string): void {
  expect(got, what).not.toBeNull();
  const g = got as Float32Array;
  expect(g.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  expect(worst, what).toBeLessThan(2e-6);
}

describe('DenseKernel (dense.wat + gemm.wat + act.wat)', () => {
  for (const weights of ['sample', 'mean', 'shared'] as const) {
    for (const activation of ['tanh', 'relu', 'none'] as const) {
      it(`forward and every gradient equal the float64 definition (${weights}, ${activation})`, () => {
        const k = wasmKernels()!;
        const o = operands(7);
        const ops: DenseOperands = {
          x: o.x,
          theta: o.theta,
          mu: weights === 'shared' ? null : o.mu,
          noise: weights === 'sample' ? { sigma: o.sigma, eps: o.eps } : null,
          T,
          n,
          inDim,
          outDim,
        };
        const want = reference(o, weights, activation);
        const y = k.dense.forward(ops, o.bias, activation).slice();
        expectClose(y, want.y, 'y');
        const g = k.dense.backward(ops, o.dy, weights === 'sample' ? o.dSigma : null, activation, activation === 'none' ? null : y);
        expectClose(g.dx, want.dx, 'dx');
        expectClose(g.dTheta, want.dTheta, 'dθ');
        expectClose(g.dBias, want.dBias, 'db');
        if (weights === 'shared') expect(g.dMu).toBeNull();
        else expectClose(g.dMu, want.dMu, 'dμ');
        if (weights === 'sample') expectClose(g.dRho, want.dRho, 'dρ');
        else expect(g.dRho).toBeNull();
      });
    }
  }

  it('reuses the kept effective weights while the key is unchanged, recomputes them when it changes', () => {
    const k = wasmKernels()!;
    const o = operands(8);
    const buf = k.memory.resident(T * size);
    const run = (mu: Float32Array, key: unknown[]) =>
      k.dense.forward({ x: o.x, theta: o.theta, mu, noise: null, w: { buf, key }, T, n, inDim, outDim }, o.bias).slice();
    const first = run(o.mu, ['a']);
    const shifted = Float32Array.from(o.mu, (v) => v + 1);
    expect(Array.from(run(shifted, ['a']))).toEqual(Array.from(first)); // same key: W as computed before
    const fresh = run(shifted, ['b']);
    expect(Array.from(fresh)).not.toEqual(Array.from(first));
    expect(Array.from(fresh)).toEqual(Array.from(k.dense.forward({ x: o.x, theta: o.theta, mu: shifted, noise: null, T, n, inDim, outDim }, o.bias)));
    k.memory.release(buf);
  });

  it('forwardWeights with the same effective weights gives the same outputs bit for bit; bad operands are named', () => {
    const k = wasmKernels()!;
    const o = operands(9);
    const w = Float32Array.from({ length: T * size }, (_, j) => Math.fround(o.theta[j % size]! + Math.fround(o.mu[j]! + Math.fround(o.sigma[j]! * o.eps[j]!))));
    const fused = k.dense.forward({ x: o.x, theta: o.theta, mu: o.mu, noise: { sigma: o.sigma, eps: o.eps }, T, n, inDim, outDim }, o.bias, 'tanh').slice();
    expect(Array.from(k.dense.forwardWeights(o.x, w, o.bias, 'tanh', T, n, inDim, outDim))).toEqual(Array.from(fused));
    expect(() => k.dense.forwardWeights(o.x, w.subarray(1), o.bias, 'none', T, n, inDim, outDim)).toThrow(/w has 29 values, expected T·in·out = 30/);
    expect(() => k.dense.backward({ x: o.x, theta: o.theta, mu: o.mu, noise: null, T, n, inDim, outDim }, o.dy, null, 'tanh', null)).toThrow(/an activation needs the forward output y/);
  });
});
