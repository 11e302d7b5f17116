import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../backend';
import { wasmHeap, type HeapBackend } from './heap';
import type { WasmMemory } from './instantiate';
import { KernelMemory, ResidentBuffer } from './kernelMemory';
import { releaseResident, residentFor, residentOf } from './residentTensor';

/** A fresh one-page memory, so these tests see no other user's regions. */
function freshMemory(): KernelMemory {
  const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly;
  return new KernelMemory(new api.Memory({ initial: 1 }));
}

let be: HeapBackend;
beforeAll(async () => {
  await initBackend('wasm');
  be = wasmHeap() as HeapBackend;
});

describe('KernelMemory: resident regions and the per-call arena', () => {
  it('reuse released regions first-fit, coalesce neighbours, and read back what was written', () => {
    const mem = freshMemory();
    const a = mem.resident(10);
    const b = mem.resident(20);
    const c = mem.resident(5);
    mem.write(c, Float32Array.from([1, 2, 3, 4, 5]));
    mem.release(b);
    const d = mem.resident(16);
    expect(d.off).toBe(b.off); // first fit in b's place
    mem.release(a);
    mem.release(d);
    const e = mem.resident(32); // a + b coalesced: 12 + 20 floats
    expect(e.off).toBe(a.off);
    expect(Array.from(mem.read(c))).toEqual([1, 2, 3, 4, 5]); // untouched by the others
    expect(() => mem.write(c, new Float32Array(4))).toThrow(/4 values for a resident buffer of 5/);
    mem.release(c);
    mem.release(e);
    expect(() => mem.read(c)).toThrow(/released/);
    expect(() => mem.put(c)).toThrow(/released resident buffer/);
    // everything released: the next region starts where the first one did
    const f = mem.resident(3);
    expect(f.off).toBe(a.off);
    mem.release(f);
  });

  it('the arena starts above the resident regions, 16-byte aligned, and restarts with every call', () => {
    const mem = freshMemory();
    const r = mem.resident(6); // 8 floats with alignment
    mem.beginCall();
    const x = mem.put(Float32Array.from([7, 8, 9]));
    expect(x).toBe(r.off + 8);
    const y = mem.alloc(1);
    expect(y % 4).toBe(0);
    expect(y).toBe(x + 4);
    expect(Array.from(mem.view(x, 3))).toEqual([7, 8, 9]);
    mem.beginCall();
    expect(mem.alloc(2)).toBe(x); // the previous call's temporaries are gone
    expect(mem.put(r)).toBe(r.off); // a resident operand is used in place
  });

  it('grows the memory when a call needs more than it has, keeping the resident values', () => {
    const mem = freshMemory();
    const r = mem.resident(4);
    mem.write(r, Float32Array.from([1, 2, 3, 4]));
    mem.beginCall();
    const big = mem.alloc(3 * 16384); // three 64 KiB pages of floats
    mem.floats()[big + 3 * 16384 - 1] = 5;
    expect(mem.floats().length).toBeGreaterThanOrEqual(big + 3 * 16384);
    expect(Array.from(mem.read(r))).toEqual([1, 2, 3, 4]);
    expect(() => mem.resident(0)).toThrow(/positive integer/);
  });
});

describe('resident tensors', () => {
  it('residentOf rewrites a variable only when it was assigned, and releaseResident frees it', () => {
    const mem = freshMemory();
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const r1 = residentOf(mem, v, be);
    expect(Array.from(mem.read(r1))).toEqual([1, 2, 3]);
    mem.write(r1, Float32Array.from([9, 9, 9]), v.dataId); // same tag: not rewritten
    expect(Array.from(mem.read(residentOf(mem, v, be)))).toEqual([9, 9, 9]);
    v.assign(tf.tensor1d([4, 5, 6]));
    const r2 = residentOf(mem, v, be);
    expect(r2).toBe(r1);
    expect(Array.from(mem.read(r2))).toEqual([4, 5, 6]);
    releaseResident(v);
    expect(r1.released).toBe(true);
    v.dispose();
  });

  it('residentFor keeps one region per owner, replaced when the length changes', () => {
    const mem = freshMemory();
    const owner = {};
    const a = residentFor(mem, owner, 8);
    expect(residentFor(mem, owner, 8)).toBe(a);
    const b = residentFor(mem, owner, 12);
    expect(b).not.toBe(a);
    expect(a.released).toBe(true);
    expect(b).toBeInstanceOf(ResidentBuffer);
    releaseResident(owner);
    expect(b.released).toBe(true);
  });
});
