import type { tf } from '../backend';
import { tensorValues } from './heap';
import type { ResidentBuffer, SimdGemm } from './simdGemm';

interface Slot {
  readonly gemm: SimdGemm;
  buf: ResidentBuffer | null;
}

const slots = new WeakMap<object, Slot>();
/** A slot whose tensor was garbage-collected without {@link releaseResident} gives its region back. */
const finalizer = new FinalizationRegistry<Slot>((slot) => {
  if (slot.buf) slot.gemm.release(slot.buf);
});

/**
 * The region of the SIMD kernel's memory holding `t`'s current values, written only when they
 * changed: a variable gets a new dataId on every assign, so a layer's μ is copied in once per
 * minibatch step instead of by every op that reads it (forward, backward, KL). One region per
 * tensor object (a variable keeps its object across assigns); {@link releaseResident} frees it.
 */
export function residentOf(gemm: SimdGemm, t: tf.Tensor): ResidentBuffer {
  let slot = slots.get(t);
  if (!slot) {
    slot = { gemm, buf: null };
    slots.set(t, slot);
    finalizer.register(t, slot, slot);
  }
  if (slot.buf && slot.buf.length !== t.size) {
    gemm.release(slot.buf);
    slot.buf = null;
  }
  if (!slot.buf) slot.buf = gemm.resident(t.size);
  if (slot.buf.tag !== t.dataId) gemm.write(slot.buf, tensorValues(t), t.dataId);
  return slot.buf;
}

/** Frees `t`'s resident region, if it has one (call when the tensor is disposed). */
export function releaseResident(t: tf.Tensor): void {
  const slot = slots.get(t);
  if (!slot) return;
  if (slot.buf) slot.gemm.release(slot.buf);
  slot.buf = null;
  slots.delete(t);
  finalizer.unregister(slot);
}
