/**
 * A process-wide stop request (SIGINT/SIGTERM, or the parent of a sweep worker gone): a training
 * loop checkpoints at the next update boundary and returns; a sweep stops its workers the same way.
 */
const listeners: (() => void)[] = [];
let requested = false;

/** Asks running training loops (and sweep workers) to checkpoint and return. Idempotent. */
export function requestStop(): void {
  if (requested) return;
  requested = true;
  for (const l of listeners) l();
}

/** Whether a stop was requested. */
export function stopRequested(): boolean {
  return requested;
}

/** Calls `listener` on the first stop request (at once if one was already made). */
export function onStop(listener: () => void): void {
  if (requested) listener();
  else listeners.push(listener);
}
