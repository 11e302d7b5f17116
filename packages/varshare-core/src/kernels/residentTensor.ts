import type { tf } from '../backend';
import type { HeapBackend } from './heap';
import type { KernelMemory, ResidentBuffer } from './kernelMemory';

interface Slot {
  readonly memory: KernelMemory;
  buf: ResidentBuffer | null;
  /** Another owner's region holding the tensor's values while its tag is the tensor's dataId ({@link aliasResident}). */
  alias?: ResidentBuffer | null;
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
  const slot = slotOf(memory, t);
  if (slot.alias) {
    if (!slot.alias.released && slot.alias.tag === t.dataId) return slot.alias;
    slot.alias = null; // the tensor changed since (e.g. a variable assigned by someone else)
  }
  const buf = regionOf(slot, t.size);
  if (buf.tag !== t.dataId) memory.write(buf, be.typedArrayFromHeap(t), t.dataId);
  return buf;
}

/**
 * A resident region of `length` floats belonging to `owner` (e.g. a layer's effective-weight
 * buffer), kept across calls; resized (and its contents dropped) when `length` changes. Freed by
 * {@link releaseResident}(owner) or when the owner is garbage-collected.
 */
export function residentFor(memory: KernelMemory, owner: object, length: number): ResidentBuffer {
  return regionOf(slotOf(memory, owner), length);
}

/** The slot of `owner`, made (and registered for its garbage collection) on first use. */
function slotOf(memory: KernelMemory, owner: object): Slot {
  let slot = slots.get(owner);
  if (!slot) {
    slot = { memory, buf: null };
    slots.set(owner, slot);
    finalizer.register(owner, slot, slot);
  }
  return slot;
}

/** The slot's own region, (re)allocated at `length` floats when it has none or another size (contents dropped). */
function regionOf(slot: Slot, length: number): ResidentBuffer {
  if (slot.buf && slot.buf.length !== length) {
    slot.memory.release(slot.buf);
    slot.buf = null;
  }
  if (!slot.buf) slot.buf = slot.memory.resident(length);
  return slot.buf;
}

/**
 * Declares that `region` (a resident region another owner keeps, e.g. an optimizer's copy of a
 * variable's values in the kernel memory) holds `t`'s current values: {@link residentOf}(t) then
 * returns it, without a copy, for as long as the region's tag is `t`'s dataId — the owner sets the
 * tag when the values match (after assigning them to the variable) and clears it before changing
 * them. `t`'s own region, if any, is given back.
 */
export function aliasResident(memory: KernelMemory, t: tf.Tensor, region: ResidentBuffer): void {
  if (region.length !== t.size) throw new Error(`aliasResident: a region of ${region.length} floats for a tensor of ${t.size}`);
  const slot = slotOf(memory, t);
  if (slot.buf) memory.release(slot.buf);
  slot.buf = null;
  slot.alias = region;
}

/** Frees the resident region of `t` (a tensor, or an owner of {@link residentFor}), if it has one. */
export function releaseResident(t: object): void {
  const slot = slots.get(t);
  if (!slot) return;
  if (slot.buf) slot.memory.release(slot.buf);
  slot.buf = null;
  slot.alias = null;
  slots.delete(t);
  finalizer.unregister(slot);
}
