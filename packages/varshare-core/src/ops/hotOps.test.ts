import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../backend';
import { hotOps, kernelStats, readValues, resetKernelStats, useHotOps } from './hotOps';

afterAll(async () => {
  await initBackend('wasm');
});

describe('choosing the hot ops', () => {
  it('initBackend chooses them: the wasm kernels on the wasm backend, the tfjs reference on cpu', async () => {
    await initBackend('wasm');
    expect(hotOps().name).toBe('wasm');
    await initBackend('cpu');
    expect(hotOps().name).toBe('tfjs');
    await initBackend('wasm');
    expect(hotOps().name).toBe('wasm');
  });

  it('a test can force either on the wasm backend, until the next initBackend; the wasm kernels need the wasm backend', async () => {
    await initBackend('wasm');
    expect(useHotOps('tfjs').name).toBe('tfjs');
    expect(hotOps().name).toBe('tfjs');
    expect(useHotOps('wasm')).toBe(hotOps());
    await initBackend('cpu');
    expect(() => useHotOps('wasm')).toThrow(/need the wasm backend/);
    useHotOps('tfjs');
    await initBackend('wasm');
    expect(hotOps().name).toBe('wasm');
  });

  it('a backend switched behind initBackend’s back (tf.setBackend) gets the choice initBackend would make', async () => {
    await initBackend('wasm');
    expect(hotOps().name).toBe('wasm');
    await tf.setBackend('cpu');
    expect(hotOps().name).toBe('tfjs');
    await tf.setBackend('wasm');
    expect(hotOps().name).toBe('wasm');
  });

  it('readValues: a view of the wasm heap with the wasm ops, a copy elsewhere; float32 only', async () => {
    await initBackend('wasm');
    const t = tf.tensor1d([1, 2, 3]);
    const view = readValues(t);
    expect(Array.from(view)).toEqual([1, 2, 3]);
    expect(view.buffer.byteLength).toBeGreaterThan(view.byteLength); // the whole heap
    expect(() => readValues(tf.tensor1d([1], 'int32'))).toThrow(/expected a float32 tensor, got int32/);
    await initBackend('cpu');
    const c = tf.tensor1d([4, 5]);
    expect(Array.from(readValues(c))).toEqual([4, 5]);
    c.dispose();
    await initBackend('wasm');
    t.dispose();
  });

  it('kernelStats reports the wasm matmul kernel’s work, and null with the tfjs ops', async () => {
    await initBackend('wasm');
    resetKernelStats();
    tf.tidy(() => hotOps().groupedMatMul(tf.ones([3, 4, 5]) as tf.Tensor3D, tf.ones([3, 5, 2]) as tf.Tensor3D));
    expect(kernelStats()).toMatchObject({ calls: 1, flops: 2 * 3 * 4 * 5 * 2 });
    resetKernelStats();
    expect(kernelStats()).toMatchObject({ calls: 0, flops: 0 });
    await initBackend('cpu');
    expect(kernelStats()).toBeNull();
  });
});
