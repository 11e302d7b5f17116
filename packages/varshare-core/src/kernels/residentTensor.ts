import type { tf } from '../backend';
import type { HeapBackend } from './heap';
import type { KernelMemory, ResidentBuffer } from './kernelMemory';

interface Slot {
  readonly memory: KernelMemory;
  buf: ResidentBuffer | null;
}

const slots = new WeakMap<object, Slot>();
/** A slot whose tensor was garbage-collected without {@link releaseResident} gives its region back. */
const finalizer = new FinalizationRegistry<Slot>((slot) => {
  if (slot.buf) slot.memory.release(slot.buf);
});

/**
 * The region of the kernel memory holding `t`'s current values (a float32 tensor on the wasm
 * backend `be`), written only when they changed: a variable gets a new dataId on every assign, so
 * a layer's μ is copied in once per minibatch step instead of by every op that reads it (forward,
 * backward, KL). One region per tensor object (a variable keeps its object across assigns);
 * {@link releaseResident} frees it.
 */
export function residentOf(memory: KernelMemory, t: tf.Tensor, be: HeapBackend): ResidentBuffer {
  let slot = slots.get(t);
  if (!slot) {
    slot = { memory, buf: null };
    slots.set(t, slot);
    finalizer.register(t, slot, slot);
  }
  if (slot.buf && slot.buf.length !== t.size) {
    memory.release(slot.buf);
    slot.buf = null;
  }
  if (!slot.buf) slot.buf = memory.resident(t.size);
  if (slot.buf.tag !== t.dataId) memory.write(slot.buf, be.typedArrayFromHeap(t), t.dataId);
  return slot.buf;
}

/**
 * A resident region of `length` floats belonging to `owner` (e.g. a layer's effective-weight
 * buffer), kept across calls; resized (and its contents dropped) when `length` changes. Freed by
 * {@link releaseResident}(owner) or when the owner is garbage-collected.
 */
export function residentFor(memory: KernelMemory, owner: object, length: number): ResidentBuffer {
  let slot = slots.get(owner);
  if (!slot) {
    slot = { memory, buf: null };
    slots.set(owner, slot);
    finalizer.register(owner, slot, slot);
  }
  if (slot.buf && slot.buf.length !== length) {
    memory.release(slot.buf);
    slot.buf = null;
  }
  if (!slot.buf) slot.buf = memory.resident(length);
  return slot.buf;
}

/** Frees the resident region of `t` (a tensor, or an owner of {@link residentFor}), if it has one. */
export function releaseResident(t: object): void {
  const slot = slots.get(t);
  if (!slot) return;
  if (slot.buf) slot.memory.release(slot.buf);
  slot.buf = null;
  slots.delete(t);
  finalizer.unregister(slot);
}
