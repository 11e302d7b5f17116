import { afterAll, describe, expect, it } from 'vitest';
import { setKernelThreads } from '../ops/hotOps';
import { aleaState, randomNormalArray } from '../randomNormal';
import { Rng } from '../rng';
import { wasmKernels } from './wasmKernels';

afterAll(() => setKernelThreads(1));

describe('RandomKernel (random.wat: randomNormalArray on a WebAssembly kernel)', () => {
  it("computes Math.log's values bit for bit on (0, 1): fdlibm's branches (f near 0, both sides of the polynomial split, k = 0 and k < 0)", () => {
    const k = wasmKernels()!;
    const rng = new Rng(5);
    const xs: number[] = [0.5, 0.25, 1 - 2 ** -53, 1 - 2 ** -30, 0.75, 0.7071067811865476, 2 ** -60, 0.9999999];
    for (let i = 0; i < 200_000; i++) xs.push(rng.nextFloat() * 2 ** -rng.nextInt(40) || 0.5);
    for (let i = 0; i < 20_000; i++) xs.push(1 - rng.nextFloat() * 2 ** -(20 + rng.nextInt(30)));
    for (let i = 0; i < 20_000; i++) xs.push(2 ** -rng.nextInt(30) * (1 + (rng.nextFloat() - 0.5) * 2 ** -(18 + rng.nextInt(20))));
    let bad = 0;
    for (const x of xs) if (x > 0 && x < 1 && !Object.is(k.random.log(x), Math.log(x))) bad++;
    expect(bad).toBe(0);
  });

  it('gives randomNormalArray’s values for several requests at once, odd and tiny lengths, at 1 and 2 threads', () => {
    const requests = [
      { n: 1, seed: 7 },
      { n: 0, seed: 3 },
      { n: 100_001, seed: 12345 },
      { n: 5, seed: -9 },
      { n: 200_000, seed: 2 ** 31 - 1 },
      { n: 2, seed: 42 },
    ];
    const want = requests.map((r) => randomNormalArray(r.n, r.seed));
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      const got = wasmKernels()!.random.normals(requests.map((r) => ({ n: r.n, state: aleaState(r.seed) })));
      got.forEach((g, j) => expect(Array.from(g), `request ${j} at ${threads} thread(s)`).toEqual(Array.from(want[j]!)));
    }
    setKernelThreads(1);
    expect(wasmKernels()!.random.normals([])).toEqual([]);
    expect(() => aleaState(0)).toThrow(/seed must be non-zero/);
  });
});
