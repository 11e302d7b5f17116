import { z } from 'zod';
import type { LossGapPriorState } from './lossGapPriorSigma';
import type { RatioControllerState } from './ratioControllerUpdate';

/** β-source part of the composed state (only exp3's controller carries variables). */
export type BetaSourceState =
  | { readonly kind: 'fixed' }
  | { readonly kind: 'anneal' }
  | { readonly kind: 'ratio'; readonly state: RatioControllerState };

/** σ_prior-source part of the composed state (only exp4's rule carries variables; exp5's live in tensors). */
export type PriorSourceState =
  | { readonly kind: 'fixed' }
  | { readonly kind: 'loss-gap'; readonly state: LossGapPriorState }
  | { readonly kind: 'learned' };

/** What update `update` actually used, kept so that `logs(state, update)` reports it. */
export interface AppliedValues {
  readonly update: number;
  /** β used in the loss of that update. */
  readonly beta: number;
  /** Global σ_prior (fixed), σ_prior,m per task [numTasks] (loss-gap), or null (learned: in tensors). */
  readonly sigmaPrior: number | readonly number[] | null;
}

/**
 * Serialisable state of the composed controller: plain JSON (finite numbers, strings, null), written
 * into checkpoints as is and read back with `controller.restore(JSON.parse(text))`.
 */
export interface ControllerState {
  readonly version: 1;
  /** The update index the next `beforeUpdate`/`afterUpdate` must be called with. */
  readonly nextUpdate: number;
  readonly beta: BetaSourceState;
  readonly prior: PriorSourceState;
  /** Values used by update `nextUpdate − 1`; null before the first update. */
  readonly last: AppliedValues | null;
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const count = z.number().int().nonnegative();
const finiteArray = z.array(finite);

const RatioStateSchema = z.strictObject({
  beta: finite,
  rEma: finite.nullable(),
  rRaw: finite.nullable(),
  triggerUpCount: count,
  triggerDownCount: count,
  lastUpdate: count.nullable(),
});

const LossGapStateSchema = z.strictObject({
  sigmaPrior: finiteArray,
  delta: finiteArray.nullable(),
  deltaEma: finiteArray.nullable(),
  z: finiteArray.nullable(),
  lastMetaUpdate: count.nullable(),
  metaUpdateCount: count,
});

/** zod schema of {@link ControllerState}, used to check a checkpoint before restoring it. */
export const ControllerStateSchema = z.strictObject({
  version: z.literal(1),
  nextUpdate: count,
  beta: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('fixed') }),
    z.strictObject({ kind: z.literal('anneal') }),
    z.strictObject({ kind: z.literal('ratio'), state: RatioStateSchema }),
  ]),
  prior: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('fixed') }),
    z.strictObject({ kind: z.literal('loss-gap'), state: LossGapStateSchema }),
    z.strictObject({ kind: z.literal('learned') }),
  ]),
  last: z
    .strictObject({ update: count, beta: finite, sigmaPrior: z.union([finite, finiteArray, z.null()]) })
    .nullable(),
});
