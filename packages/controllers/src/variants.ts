import { z } from 'zod';
import {
  DEFAULT_BASELINE_SIGMA_PRIOR,
  DEFAULT_BETA1,
  formatConfigIssues,
  KlPriorControllerConfigSchema,
  type KlPriorControllerConfig,
} from './config';

/** A partial β or σ_prior source: `kind` plus any of that kind's fields (input form, defaults omitted). */
export type SourcePatch = { readonly kind?: string } & { readonly [field: string]: unknown };

/**
 * A named variant: partial `{ beta?, prior? }` merged over the baseline (after the presets it `extends`).
 * Merge rule per source: same `kind` (or none given) → field-wise override; another `kind` → the source is
 * replaced and its missing fields take their defaults, except `beta1` (the baseline β) which carries over
 * between β kinds — the spec defines β1 of exp2 and exp3's starting β as "the β you would otherwise use".
 */
export interface VariantPreset {
  /** One line for `listVariants()`. */
  readonly description: string;
  /** Presets applied before this one (built-in or user names), in order. */
  readonly extends?: string | readonly string[];
  readonly beta?: SourcePatch;
  readonly prior?: SourcePatch;
}

/** zod schema of a user preset (shape only; the merged result is checked with the controller schema). */
export const VariantPresetSchema = z.strictObject({
  description: z.string().default('user preset').describe('One-line description. Defaults to "user preset".'),
  extends: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('Preset name(s) applied before this one, in order. Defaults to none (just the baseline).'),
  beta: z
    .looseObject({ kind: z.string().optional() })
    .optional()
    .describe("Partial β source: { kind?: 'fixed'|'anneal'|'ratio', ...fields }. Defaults to the inherited one."),
  prior: z
    .looseObject({ kind: z.string().optional() })
    .optional()
    .describe("Partial σ_prior source: { kind?: 'fixed'|'loss-gap'|'learned', ...fields }. Defaults to the inherited one."),
});

/** Baseline config in input form: fixed β = β1, fixed global σ_prior = 1. */
const BASELINE_INPUT = {
  beta: { kind: 'fixed', beta1: DEFAULT_BETA1 },
  prior: { kind: 'fixed', sigma: DEFAULT_BASELINE_SIGMA_PRIOR },
} as const;

/**
 * The spec's six variants as data (CONTRACTS.md names). Each is a patch over the baseline; everything
 * not named takes the config defaults (see README and `config.ts`).
 */
export const VARIANT_PRESETS = {
  baseline: {
    description: 'Control: fixed β = β1 (0.01), fixed global σ_prior = 1.0 (unit prior).',
    beta: BASELINE_INPUT.beta,
    prior: BASELINE_INPUT.prior,
  },
  'exp1-fixed-prior': {
    description: 'Exp1: fixed global σ_prior = 0.01, β fixed at β1; nothing else changed.',
    prior: { kind: 'fixed', sigma: 0.01 },
  },
  'exp2-beta-anneal': {
    description: 'Exp2: β warm-up 0→β1 over 10% of updates, hold, ramp β1→2β1 over the last 20%.',
    beta: { kind: 'anneal' },
  },
  'exp3-ratio-controller': {
    description: 'Exp3: β ×/÷ 1.1 every 20 updates to keep R_ema = median σ / median |θ| in [0.05, 0.20].',
    beta: { kind: 'ratio' },
  },
  'exp4-loss-gap-prior': {
    description: 'Exp4: per-task σ_prior in [0.01, 0.1] from the critic loss gap (fresh rollout, before the epochs), updated every 20 updates.',
    prior: { kind: 'loss-gap' },
  },
  'exp5-empirical-bayes': {
    description: 'Exp5: learned layer-wise log σ_prior (init 0.1), lr ×0.5, hyperprior λ=1e-2 to 0.1, detached σ.',
    prior: { kind: 'learned' },
  },
} as const satisfies Record<string, VariantPreset>;

/** Names of the built-in variants. */
export type BuiltinVariantName = keyof typeof VARIANT_PRESETS;

/** User presets by name, e.g. parsed from YAML/JSON; validated on use. */
export type UserPresets = Readonly<Record<string, unknown>>;

/** A variant resolved to a full, validated controller config. */
export interface ResolvedVariant {
  /** The name asked for (may be a composition `a+b`). */
  readonly name: string;
  readonly description: string;
  readonly config: KlPriorControllerConfig;
}

const PRESET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function isBuiltin(name: string): name is BuiltinVariantName {
  return Object.hasOwn(VARIANT_PRESETS, name);
}

type Input = { beta: Record<string, unknown>; prior: Record<string, unknown> };

function mergeSource(base: Record<string, unknown>, patch: SourcePatch | undefined, carry: readonly string[]): Record<string, unknown> {
  if (patch === undefined) return base;
  if (patch.kind === undefined || patch.kind === base['kind']) return { ...base, ...patch };
  const next: Record<string, unknown> = { ...patch };
  for (const key of carry) if (!(key in next) && key in base) next[key] = base[key];
  return next;
}

/**
 * Merges partial presets over a base config (input form), left to right, with the rule described on
 * {@link VariantPreset}. The result still needs `parseControllerConfig` (defaults, validation).
 */
export function mergeControllerPatches(
  base: { readonly beta: SourcePatch; readonly prior: SourcePatch },
  ...patches: ReadonlyArray<{ readonly beta?: SourcePatch; readonly prior?: SourcePatch }>
): { beta: Record<string, unknown>; prior: Record<string, unknown> } {
  let acc: Input = { beta: { ...base.beta }, prior: { ...base.prior } };
  for (const p of patches) {
    acc = { beta: mergeSource(acc.beta, p.beta, ['beta1']), prior: mergeSource(acc.prior, p.prior, []) };
  }
  return acc;
}

interface ParsedPreset {
  readonly description: string;
  readonly extends: readonly string[];
  readonly beta?: SourcePatch;
  readonly prior?: SourcePatch;
}

function lookupPreset(name: string, userPresets: UserPresets | undefined): ParsedPreset {
  if (isBuiltin(name)) {
    const p: VariantPreset = VARIANT_PRESETS[name];
    return { description: p.description, extends: [], ...(p.beta && { beta: p.beta }), ...(p.prior && { prior: p.prior }) };
  }
  if (userPresets && Object.hasOwn(userPresets, name)) {
    const parsed = VariantPresetSchema.safeParse(userPresets[name]);
    if (!parsed.success) throw new Error(`Invalid preset "${name}": ${formatConfigIssues(parsed.error)}`);
    const ext = parsed.data.extends;
    return {
      description: parsed.data.description,
      extends: ext === undefined ? [] : typeof ext === 'string' ? [ext] : ext,
      ...(parsed.data.beta && { beta: parsed.data.beta }),
      ...(parsed.data.prior && { prior: parsed.data.prior }),
    };
  }
  throw new Error(`Unknown variant "${name}". Known variants: ${knownNames(userPresets).join(', ')}`);
}

function knownNames(userPresets: UserPresets | undefined): string[] {
  return [...Object.keys(VARIANT_PRESETS), ...Object.keys(userPresets ?? {}).filter((n) => !isBuiltin(n))];
}

/** The patches of `name` and everything it extends, in application order (baseline root excluded). */
function patchChain(name: string, userPresets: UserPresets | undefined, stack: readonly string[]): ParsedPreset[] {
  if (stack.includes(name)) throw new Error(`Preset cycle: ${[...stack, name].join(' → ')}`);
  const preset = lookupPreset(name, userPresets);
  const chain: ParsedPreset[] = [];
  for (const parent of preset.extends) chain.push(...patchChain(parent, userPresets, [...stack, name]));
  chain.push(preset);
  return chain;
}

function checkUserPresetNames(userPresets: UserPresets | undefined): void {
  for (const name of Object.keys(userPresets ?? {})) {
    if (isBuiltin(name)) {
      throw new Error(`Preset "${name}" is a built-in variant name; give the user preset another name`);
    }
    if (!PRESET_NAME_RE.test(name)) {
      throw new Error(`Preset name "${name}" is invalid: use letters, digits, '_', '.', '-' (no '+', it composes variants)`);
    }
  }
}

function resolveOne(name: string, userPresets: UserPresets | undefined): ParsedPreset[] {
  const chain = patchChain(name, userPresets, []);
  const result = KlPriorControllerConfigSchema.safeParse(mergeControllerPatches(BASELINE_INPUT, ...chain));
  if (!result.success) throw new Error(`Invalid preset "${name}": ${formatConfigIssues(result.error)}`);
  return chain;
}

/**
 * Resolves a variant name to a validated controller config. `name` is a built-in name
 * (`VARIANT_PRESETS`), a user preset name, or a composition `a+b+…` applied left to right over the
 * baseline (e.g. `exp2-beta-anneal+exp5-empirical-bayes`: exp2's β schedule with exp5's learned prior).
 * @param userPresets extra presets as data (`{ name: { description?, extends?, beta?, prior? } }`),
 *   validated here; they may not reuse built-in names. Defaults to none.
 * @throws Error naming an unknown variant (with the known list) or the offending preset and field
 */
export function resolveVariant(name: string, userPresets?: UserPresets): ResolvedVariant {
  checkUserPresetNames(userPresets);
  const parts = name.split('+');
  if (parts.some((p) => p.length === 0)) throw new Error(`Invalid variant name "${name}": empty part in a '+' composition`);
  const chains = parts.map((part) => resolveOne(part, userPresets));
  const patches = chains.flat();
  const merged = mergeControllerPatches(BASELINE_INPUT, ...patches);
  const result = KlPriorControllerConfigSchema.safeParse(merged);
  if (!result.success) throw new Error(`Invalid variant "${name}": ${formatConfigIssues(result.error)}`);
  const description = chains.map((chain) => (chain.at(-1) as ParsedPreset).description).join(' + ');
  return { name, description, config: result.data };
}

/** Shorthand for `resolveVariant(names.join('+'), userPresets)`. */
export function composeVariants(names: readonly string[], userPresets?: UserPresets): ResolvedVariant {
  if (names.length === 0) throw new Error('composeVariants: give at least one variant name');
  return resolveVariant(names.join('+'), userPresets);
}

/** Every variant name with its one-line description; user presets follow the built-ins. */
export function listVariants(
  userPresets?: UserPresets,
): ReadonlyArray<{ readonly name: string; readonly description: string; readonly builtin: boolean }> {
  checkUserPresetNames(userPresets);
  return knownNames(userPresets).map((name) => ({
    name,
    description: lookupPreset(name, userPresets).description,
    builtin: isBuiltin(name),
  }));
}
