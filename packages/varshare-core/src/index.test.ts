import { describe, expect, it } from 'vitest';
import * as core from './index';

const { tf } = core;

describe('the public surface of @varshare/core', () => {
  it('its tf has tfjs’s chained ops: add, square, slice', async () => {
    await core.initBackend('wasm');
    const a = tf.tensor1d([1, 2]);
    expect(Array.from(a.add(tf.tensor1d([3, 4])).dataSync())).toEqual([4, 6]);
    expect(Array.from(a.square().dataSync())).toEqual([1, 4]);
    expect(Array.from(tf.tensor1d([5, 6, 7]).slice([1], [2]).dataSync())).toEqual([6, 7]);
    // the special ones: concat with one tensor, where with the tensor as the "true" branch, flatten
    expect(Array.from(a.concat(tf.tensor1d([9])).dataSync())).toEqual([1, 2, 9]);
    expect(Array.from(a.where(tf.tensor1d([true, false], 'bool'), tf.tensor1d([0, 0])).dataSync())).toEqual([1, 0]);
    expect(tf.tensor2d([[1, 2], [3, 4]]).flatten().shape).toEqual([4]);
    a.dispose();
    expect(() => a.add(1)).toThrow(/disposed/);
  });

  it('every chained method of tfjs-core 4.22 is there', async () => {
    // The list tfjs-core's own chained-ops test checks (public/chained_ops/register_all_chained_ops_test).
    const { readdirSync, readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const dir = new URL('./public/chained_ops/', `file://${createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json').replace('package.json', 'dist/')}`);
    const names = readdirSync(dir)
      .filter((f) => f.endsWith('.js') && !f.startsWith('register_all'))
      .flatMap((f) => [.../prototype\.(\w+) = function/.exec(readFileSync(new URL(f, dir), 'utf8')) ?? []].slice(1));
    expect(names.length).toBeGreaterThan(120);
    const t = tf.tensor1d([1, 2, 3]) as unknown as Record<string, unknown>;
    expect(names.filter((n) => typeof t[n] !== 'function')).toEqual([]);
  });

  it('kernel internals are not exported; the hot ops and their helpers are', () => {
    for (const internal of ['SimdGemm', 'instantiateKernel', 'KernelMemory', 'MatmulKernel', 'wasmKernels', 'useHotOps']) expect(core).not.toHaveProperty(internal);
    for (const name of ['hotOps', 'readValues', 'kernelStats', 'resetKernelStats', 'effectiveWeights', 'posteriorSigma', 'adamStepReference']) expect(typeof (core as Record<string, unknown>)[name]).toBe('function');
  });
});
