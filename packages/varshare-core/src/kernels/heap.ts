import { tf } from '../backend';

/** The wasm backend's zero-copy view of a tensor's memory (an internal of tfjs-backend-wasm 4.x). */
export interface HeapBackend {
  typedArrayFromHeap(t: { shape: number[]; dtype: string; dataId: object }): Float32Array;
}

/**
 * The active backend when it is tfjs-wasm with heap views, else null. A view is valid only until
 * the next tensor allocation (which may grow, and so detach, the heap): copy out of it first.
 */
export function wasmHeap(): HeapBackend | null {
  if (tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof be.typedArrayFromHeap === 'function' ? (be as HeapBackend) : null;
}
