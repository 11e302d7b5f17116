/**
 * One bootstrap generator per quantity, derived from the report seed and the quantity's name, so a
 * number in the report does not change when other suites/variants are added or computed in another order.
 */
import { Rng } from '@varshare/base';

/** 32-bit FNV-1a of a string's UTF-16 code units (a stable name → seed mix, not a random draw). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** `new Rng(fnv1a32(seed + '|' + parts.join('|')))`. */
export function rngFor(seed: number, ...parts: readonly string[]): Rng {
  return new Rng(fnv1a32([String(seed), ...parts].join('|')));
}
