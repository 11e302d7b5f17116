import { tf } from '../backend';
import type { KernelMemory, ResidentBuffer } from './kernelMemory';

/**
 * Tensors of the tfjs wasm backend whose values are, until first read through tfjs, those of a
 * region of the kernel memory: an optimizer step assigns its parameter a new tensor without
 * copying the stepped values out of the kernel memory (the kernels read them in place, see
 * `AdamKernel.stepVariable`), and the copy happens only if something reads the tensor through
 * tfjs (an op, `dataSync`, a heap view), at that read.
 *
 * How: the backend's tensor table (`dataIdMap`, an internal of tfjs-backend-wasm 4.x through which
 * every kernel, read and heap view finds a tensor's memory) is wrapped on its instance, so a
 * lookup of a deferred tensor first copies its values in; the bookkeeping lookups (refCount,
 * incRef, disposeData) do not, and a tensor freed before any read is forgotten. The region must
 * keep the tensor's values until then: whoever changes it calls {@link settleDeferred} first.
 */

/** The parts of tfjs-backend-wasm 4.x this uses. */
interface WasmBackendInternals {
  dataIdMap: { get(dataId: object): unknown; has(dataId: object): boolean };
  write(values: null, shape: number[], dtype: 'float32'): object;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
  refCount(dataId: object): number;
  typedArrayFromHeap(t: { shape: number[]; dtype: string; dataId: object }): Float32Array;
}

interface Deferred {
  readonly be: WasmBackendInternals;
  readonly memory: KernelMemory;
  readonly buf: ResidentBuffer;
  /** What keeps the region allocated while the tensor waits (e.g. the optimizer's memory). */
  readonly owner: object;
}

const pending = new Map<object, Deferred>();
const byRegion = new Map<ResidentBuffer, Set<object>>();
const hooked = new WeakSet<object>();
/** > 0 inside the backend's bookkeeping calls, whose lookups read no values. */
let quiet = 0;

/** Copies a deferred tensor's values in (and forgets it). */
function settle(dataId: object, d: Deferred): void {
  forget(dataId, d.buf);
  const values = d.memory.read(d.buf);
  d.be.typedArrayFromHeap({ shape: [values.length], dtype: 'float32', dataId }).set(values);
}

function forget(dataId: object, buf: ResidentBuffer): void {
  pending.delete(dataId);
  const ids = byRegion.get(buf);
  ids?.delete(dataId);
  if (ids?.size === 0) byRegion.delete(buf);
}

/** Wraps the backend instance's table lookups and bookkeeping calls (once per backend). */
function hook(be: WasmBackendInternals): void {
  if (hooked.has(be)) return;
  hooked.add(be);
  const map = be.dataIdMap;
  const get = map.get.bind(map);
  map.get = (dataId: object) => {
    if (quiet === 0 && pending.size !== 0) {
      const d = pending.get(dataId);
      if (d) settle(dataId, d);
    }
    return get(dataId);
  };
  const quietly = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
    quiet++;
    try {
      return f(...a);
    } finally {
      quiet--;
    }
  };
  const disposeData = quietly(be.disposeData.bind(be));
  be.disposeData = (dataId: object, force?: boolean) => {
    const freed = disposeData(dataId, force);
    const d = pending.get(dataId);
    if (d && !map.has(dataId)) forget(dataId, d.buf);
    return freed;
  };
  be.incRef = quietly(be.incRef.bind(be));
  be.refCount = quietly(be.refCount.bind(be));
}

/** The active backend's internals when it is tfjs-backend-wasm with the parts this needs, else null. */
export function deferrableBackend(): WasmBackendInternals | null {
  if (tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as Partial<WasmBackendInternals>;
  const ok = typeof be.write === 'function' && typeof be.disposeData === 'function' && typeof be.incRef === 'function' && typeof be.refCount === 'function' && typeof be.typedArrayFromHeap === 'function' && typeof be.dataIdMap?.get === 'function';
  return ok ? (be as WasmBackendInternals) : null;
}

/**
 * A new float32 tensor of `shape` on the wasm backend `be` whose memory is allocated but not
 * written: {@link deferTo} must give it its values before anything reads it.
 */
export function unwrittenTensor(be: WasmBackendInternals, shape: number[]): tf.Tensor {
  hook(be);
  const dataId = be.write(null, shape, 'float32');
  return tf.engine().makeTensorFromDataId(dataId, shape, 'float32', be as never);
}

/**
 * `t` (from {@link unwrittenTensor}, not read since) takes the values `buf` holds now, when first
 * read through tfjs; `owner` is kept alive until then.
 */
export function deferTo(t: tf.Tensor, be: WasmBackendInternals, memory: KernelMemory, buf: ResidentBuffer, owner: object): void {
  if (buf.length !== t.size) throw new Error(`deferTo: a region of ${buf.length} floats for a tensor of ${t.size}`);
  pending.set(t.dataId, { be, memory, buf, owner });
  let ids = byRegion.get(buf);
  if (!ids) byRegion.set(buf, (ids = new Set()));
  ids.add(t.dataId);
}

/** Every live tensor deferred to `buf` gets its values now (call before `buf` changes or is released). */
export function settleDeferred(buf: ResidentBuffer): void {
  const ids = byRegion.get(buf);
  if (!ids) return;
  for (const dataId of [...ids]) settle(dataId, pending.get(dataId) as Deferred);
}

/** Number of tensors whose values are still deferred (for tests). */
export function deferredCount(): number {
  return pending.size;
}
