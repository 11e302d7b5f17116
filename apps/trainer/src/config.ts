import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatConfigIssues, mergeControllerPatches, parseControllerConfig, resolveVariant, type KlPriorControllerConfig } from '@varshare/controllers';
import { listSuites } from '@varshare/envs';
import { trainingConfigSchema, type TrainingConfig } from '@varshare/rl-ppo';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from './errors';

/** Options of the run itself (owned by the trainer app). */
export const runSettingsSchema = z
  .object({
    steps: z.number().int().positive().default(200_000).describe('Total environment steps of the run.'),
    env: z
      .object({
        continuous: z.boolean().optional().describe('Continuous actions (lunarlander-mt).'),
        maxEpisodeSteps: z.number().int().positive().optional().describe("Overrides the suite's time limit."),
        taskSampling: z.enum(['round-robin', 'uniform']).default('round-robin').describe('How env rows are assigned to tasks (same for every variant).'),
      })
      .strict()
      .default({ taskSampling: 'round-robin' }),
    checkpoint: z
      .object({ interval: z.number().int().positive().default(10).describe('Write a checkpoint every this many PPO updates (and at the end).') })
      .strict()
      .default({ interval: 10 }),
    backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto').describe("tfjs backend: 'auto' = tfjs-node if installed, else wasm, else cpu."),
    tensorboard: z.boolean().default(true).describe('Also write TensorBoard event files.'),
    controller: z.record(z.string(), z.unknown()).optional().describe('Overrides of the variant controller config: { beta: {...}, prior: {...} }.'),
    presets: z.record(z.string(), z.unknown()).optional().describe('User-defined variants (data): name → { description?, extends?, beta?, prior? }.'),
  })
  .strict();

/** Everything a user can write in a config file or with --set. */
export const userConfigSchema = trainingConfigSchema.extend(runSettingsSchema.shape).strict();

/** The fully resolved config of one run (what goes into config.json, without meta). */
export interface ResolvedRunConfig extends TrainingConfig {
  readonly suite: string;
  readonly variant: string;
  readonly seed: number;
  readonly steps: number;
  readonly env: z.infer<typeof runSettingsSchema>['env'];
  readonly checkpoint: { readonly interval: number };
  readonly backend: 'auto' | 'wasm' | 'cpu' | 'tensorflow';
  readonly tensorboard: boolean;
  readonly controller: KlPriorControllerConfig;
  readonly presets?: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects; arrays and scalars from `b` replace those of `a`. */
export function deepMerge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Obj, v) : v;
  return out;
}

/** Directory of per-suite defaults (`experiments/<suite>.yaml` at the repository root). */
export const EXPERIMENTS_DIR = fileURLToPath(new URL('../../../experiments/', import.meta.url));

/** Reads a YAML or JSON config file into a plain object (UsageError naming the file otherwise). */
export function readConfigFile(path: string): Obj {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`--config: ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (!isObj(value)) throw new UsageError(`--config: ${path} must hold a mapping of keys, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  return value;
}

/** Per-suite defaults (hyperparameters that make the suite learn), or {} when the suite has none. */
export function suiteDefaults(suite: string): Obj {
  const path = `${EXPERIMENTS_DIR}${suite.replace(/[^A-Za-z0-9_.-]/g, '_')}.yaml`;
  return existsSync(path) ? readConfigFile(path) : {};
}

/**
 * Parses `a.b.c=value` into a nested object; the value is read as YAML (numbers, booleans, null,
 * lists `[64,64]`, strings).
 */
export function parseSet(expr: string): Obj {
  const eq = expr.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set: expected key.path=value, got '${expr}'`);
  const path = expr.slice(0, eq).trim().split('.');
  if (path.some((p) => p.length === 0)) throw new UsageError(`--set: empty key segment in '${expr.slice(0, eq)}'`);
  const raw = expr.slice(eq + 1);
  let value: unknown;
  try {
    value = parseYaml(raw);
  } catch {
    value = raw;
  }
  let out: Obj = {};
  const root = out;
  path.forEach((key, i) => {
    if (i === path.length - 1) out[key] = value;
    else {
      const next: Obj = {};
      out[key] = next;
      out = next;
    }
  });
  return root;
}

/** Inputs of {@link resolveRunConfig}. */
export interface ResolveInput {
  readonly suite: string;
  readonly variant: string;
  readonly seed: number;
  readonly steps?: number;
  readonly configFile?: string;
  readonly sets?: readonly string[];
}

/**
 * Composes the run config: defaults ← `experiments/<suite>.yaml` ← `--config` file ← `--steps` ←
 * `--set` overrides; the variant preset gives the controller, and `controller` overrides go on top.
 * Parsed once, here; any problem is a {@link UsageError} that names the key.
 */
export function resolveRunConfig(input: ResolveInput): ResolvedRunConfig {
  const suites = listSuites().map((s) => s.name);
  const isBridge = input.suite.startsWith('gym:');
  if (!suites.includes(input.suite) && !isBridge) {
    throw new UsageError(`--suite: unknown suite '${input.suite}' (known: ${suites.join(', ')}, gym:<ENV_ID>)`);
  }
  if (!Number.isInteger(input.seed) || input.seed < 0) throw new UsageError(`--seed: expected a non-negative integer, got '${input.seed}'`);
  let layer: Obj = suiteDefaults(input.suite);
  if (input.configFile) layer = deepMerge(layer, readConfigFile(input.configFile));
  for (const forbidden of ['suite', 'variant', 'seed', 'meta']) {
    if (forbidden in layer) throw new UsageError(`config: '${forbidden}' is set on the command line (--${forbidden}), not in a config file`);
  }
  if (input.steps !== undefined) layer = deepMerge(layer, { steps: input.steps });
  for (const s of input.sets ?? []) {
    const patch = parseSet(s);
    for (const forbidden of ['suite', 'variant', 'seed']) if (forbidden in patch) throw new UsageError(`--set ${forbidden}: use --${forbidden}`);
    layer = deepMerge(layer, patch);
  }
  const parsed = userConfigSchema.safeParse(layer);
  if (!parsed.success) throw new UsageError(`invalid config: ${formatConfigIssues(parsed.error)}`);
  const { controller: controllerOverrides, presets, ...rest } = parsed.data;
  let variantConfig: KlPriorControllerConfig;
  try {
    variantConfig = resolveVariant(input.variant, presets).config;
  } catch (err) {
    throw new UsageError(`--variant: ${(err as Error).message}`);
  }
  let controller = variantConfig;
  if (controllerOverrides) {
    for (const k of Object.keys(controllerOverrides)) {
      if (k !== 'beta' && k !== 'prior') throw new UsageError(`invalid config: controller.${k}: unknown key (expected beta or prior)`);
    }
    try {
      const merged = mergeControllerPatches(variantConfig as never, controllerOverrides as never);
      controller = parseControllerConfig(merged);
    } catch (err) {
      throw new UsageError(`invalid config: controller: ${(err as Error).message.replace(/^Invalid controller config: /, '')}`);
    }
  }
  return {
    ...rest,
    suite: input.suite,
    variant: input.variant,
    seed: input.seed,
    controller,
    ...(presets ? { presets } : {}),
  };
}

/** The trainer-options part of a resolved config. */
export function trainingPart(c: ResolvedRunConfig): TrainingConfig {
  const { ppo, kl, optimizer, normalisation, network, weights, eval: evalCfg, envsPerTask } = c;
  return { ppo, kl, optimizer, normalisation, network, weights, eval: evalCfg, envsPerTask };
}
