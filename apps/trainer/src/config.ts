import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatConfigIssues, mergeControllerPatches, parseControllerConfig, resolveVariant, type KlPriorControllerConfig } from '@varshare/controllers';
import { listSuites, suiteTaskNames } from '@varshare/envs';
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

/**
 * Keys that would reach an object's prototype instead of a config field (`JSON.parse` and YAML
 * make `__proto__` an own key, and a merge would then assign the prototype).
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'prototype', 'constructor']);

/** Throws a UsageError naming the first prototype key anywhere in `value`. */
export function rejectPrototypeKeys(value: unknown, where: string, path: string[] = []): void {
  if (typeof value !== 'object' || value === null) return;
  for (const k of Object.keys(value)) {
    const at = [...path, k];
    if (PROTOTYPE_KEYS.has(k)) throw new UsageError(`${where}: ${at.join('.')}: '${k}' is not a config key`);
    rejectPrototypeKeys((value as Obj)[k], where, at);
  }
}

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
  rejectPrototypeKeys(value, `--config ${path}`);
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
  const forbidden = path.find((p) => PROTOTYPE_KEYS.has(p));
  if (forbidden !== undefined) throw new UsageError(`--set ${expr.slice(0, eq)}: '${forbidden}' is not a config key`);
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

/** Largest run seed: seeds are 32-bit (the network's random streams take `seed >>> 0`, so larger seeds would alias smaller ones). */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * Finite bounds of every numeric config key, checked after the zod schemas (which own types,
 * signs and enums). `[]` stands for every element of an array. The bounds keep values in the range
 * where the numerics are meaningful (no 1e308 clip coefficient, no 100 000-wide layer), not in the
 * range that is wise; `numericConfigPaths` of every variant's resolved config must all be listed
 * here (a test holds that).
 */
export const NUMERIC_BOUNDS: Readonly<Record<string, readonly [min: number, max: number]>> = {
  steps: [1, 1e12],
  envsPerTask: [1, 4096],
  'env.maxEpisodeSteps': [1, 10_000_000],
  'checkpoint.interval': [1, 1_000_000],
  'ppo.learningRate': [1e-12, 1],
  'ppo.numSteps': [1, 1_000_000],
  'ppo.gamma': [0, 1],
  'ppo.gaeLambda': [0, 1],
  'ppo.numMinibatches': [1, 1_000_000],
  'ppo.updateEpochs': [1, 1000],
  'ppo.clipCoef': [1e-6, 10],
  'ppo.entCoef': [0, 100],
  'ppo.vfCoef': [0, 100],
  'ppo.maxGradNorm': [1e-6, 1e6],
  'ppo.targetKl': [1e-9, 100],
  'ppo.adamEps': [1e-20, 1],
  'optimizer.thetaLrScale': [1e-6, 1000],
  'optimizer.posteriorLrScale': [1e-6, 1000],
  // Keys added on main alongside this table (rl-ppo's optimizer group options).
  'optimizer.rhoLrScale': [1e-6, 1000],
  'optimizer.posteriorAdamEps': [1e-20, 1],
  'normalisation.clipObservation': [1e-3, 1e6],
  'normalisation.clipReward': [1e-3, 1e6],
  'network.hiddenSizes[]': [1, 8192],
  'network.hiddenGain': [1e-6, 100],
  'network.actorOutputGain': [1e-6, 100],
  'network.criticOutputGain': [1e-6, 100],
  'network.rank': [1, 8192],
  'network.sigmaInit': [1e-12, 10],
  'eval.interval': [1, 1e9],
  'eval.episodes': [1, 100_000],
  'controller.beta.beta1': [0, 1e6],
  'controller.beta.beta2': [0, 1e6],
  'controller.beta.warmFrac': [0, 1],
  'controller.beta.rampStartFrac': [0, 1],
  'controller.beta.alpha': [1e-9, 1],
  'controller.beta.K': [1, 1e9],
  'controller.beta.rMin': [0, 1e6],
  'controller.beta.rMax': [1e-12, 1e6],
  'controller.beta.gammaUp': [1, 1000],
  'controller.beta.gammaDown': [1, 1000],
  'controller.beta.betaMin': [1e-20, 1e9],
  'controller.beta.betaMax': [1e-20, 1e9],
  'controller.beta.eps': [0, 1],
  'controller.beta.rEmaInit': [0, 1e6],
  'controller.prior.sigma': [1e-8, 1000],
  'controller.prior.K': [1, 1e9],
  'controller.prior.alpha': [1e-9, 1],
  'controller.prior.sigmaMin': [1e-8, 1000],
  'controller.prior.sigmaMax': [1e-8, 1000],
  'controller.prior.kappa': [0, 1000],
  'controller.prior.eps': [1e-30, 1],
  'controller.prior.init': [1e-8, 1000],
  'controller.prior.lrScale': [1e-6, 1000],
  'controller.prior.hyperLambda': [0, 1e6],
  'controller.prior.target': [1e-8, 1000],
};

/** Rows of one PPO batch (tasks × envsPerTask × ppo.numSteps) at most: the rollout buffers must fit in memory. */
export const MAX_BATCH_ROWS = 2 ** 22;

/**
 * Network parameters (θ, μ, ρ of actor and critic) at most. With Adam's two moments and the
 * gradients that is ~4 float32 copies: 2^26 parameters ≈ 1 GB, well inside the 4 GB WebAssembly heap.
 */
export const MAX_NETWORK_PARAMETERS = 2 ** 26;

/** Every numeric leaf of `value` as `[path, number]` (array elements as `path[]`); `presets` are raw user data checked when resolved. */
export function numericConfigPaths(value: unknown, prefix = ''): [string, number][] {
  if (typeof value === 'number') return [[prefix, value]];
  if (Array.isArray(value)) return value.flatMap((v) => numericConfigPaths(v, `${prefix}[]`));
  if (!isObj(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => (prefix === '' && (k === 'presets' || k === 'meta' || k === 'seed') ? [] : numericConfigPaths(v, prefix ? `${prefix}.${k}` : k)));
}

/** The first key of `config` outside {@link NUMERIC_BOUNDS}, as `key: message`, or undefined. */
export function checkBounds(config: ResolvedRunConfig): string | undefined {
  for (const [path, value] of numericConfigPaths(config)) {
    if (!Number.isFinite(value)) return `${path}: must be a finite number, got ${value}`;
    const bounds = NUMERIC_BOUNDS[path];
    if (bounds === undefined) continue;
    const [min, max] = bounds;
    if (value < min || value > max) return `${path.replace('[]', '')}: ${value} is out of range (allowed ${min} … ${max})`;
  }
  return undefined;
}

/** Lower estimate of the network's parameter count (observation and output width taken as 1). */
export function networkParameterEstimate(network: TrainingConfig['network'], numTasks: number): number {
  const dims = [1, ...network.hiddenSizes, 1];
  let perNet = 0;
  for (let i = 0; i + 1 < dims.length; i++) {
    const [inD, outD] = [dims[i] as number, dims[i + 1] as number];
    perNet += inD * outD + outD;
    if (network.residual === 'full') perNet += 2 * numTasks * inD * outD;
    else if (network.residual === 'low-rank') perNet += 2 * numTasks * network.rank * (inD + outD);
  }
  return 2 * perNet;
}

/** How a run's steps were rounded to whole PPO batches. */
export interface StepsRounding {
  readonly requested: number;
  readonly steps: number;
  readonly batch: number;
}

/** One PPO batch of `config`: tasks × envsPerTask × ppo.numSteps rows. */
export function batchRows(config: Pick<ResolvedRunConfig, 'suite' | 'envsPerTask' | 'ppo'>): { rows: number; tasks: number } {
  let tasks: number;
  try {
    tasks = suiteTaskNames(config.suite).length;
  } catch (err) {
    throw new UsageError(`--suite: ${(err as Error).message}`);
  }
  return { rows: tasks * config.envsPerTask * config.ppo.numSteps, tasks };
}

/** `steps` rounded up to whole PPO batches of `config`. */
export function roundSteps(steps: number, config: Pick<ResolvedRunConfig, 'suite' | 'envsPerTask' | 'ppo'>): StepsRounding {
  const { rows } = batchRows(config);
  return { requested: steps, steps: Math.ceil(steps / rows) * rows, batch: rows };
}

/**
 * Checks what no single schema can: finite bounds of every number, the batch layout (minibatches
 * divide the batch, at least one batch of steps), the memory budget; rounds `steps` up to whole
 * batches. `where` prefixes messages (e.g. `invalid config` or the config.json path).
 */
export function checkRunConfig(config: ResolvedRunConfig, where: string): { config: ResolvedRunConfig; rounding?: StepsRounding } {
  const fail = (message: string): never => {
    throw new UsageError(`${where}: ${message}`);
  };
  const outOfBounds = checkBounds(config);
  if (outOfBounds !== undefined) fail(outOfBounds);
  const { rows, tasks } = batchRows(config);
  const layout = `${tasks} tasks × envsPerTask ${config.envsPerTask} × ppo.numSteps ${config.ppo.numSteps}`;
  if (rows > MAX_BATCH_ROWS) fail(`envsPerTask × ppo.numSteps: one PPO batch would hold ${rows} rows (${layout}), more than the ${MAX_BATCH_ROWS} that fit in memory`);
  const mb = config.ppo.numMinibatches;
  if (mb > rows) fail(`ppo.numMinibatches (${mb}) exceeds the batch size ${rows} (${layout})`);
  if (rows % mb !== 0) {
    const divisors = [2, 4, 8, 16, 32, 5, 10, 20].filter((d) => rows % d === 0 && d <= rows).sort((a, b) => a - b);
    fail(`ppo.numMinibatches (${mb}) does not divide the batch of ${rows} rows (${layout}); rows would be dropped every epoch — use a divisor of ${rows}${divisors.length > 0 ? `, e.g. ${divisors.slice(0, 4).join(', ')}` : ''}`);
  }
  if (config.steps < rows) fail(`steps (${config.steps}) is smaller than one PPO batch (${layout} = ${rows})`);
  // Checked by the trainer only inside the first update, i.e. after the run directory exists.
  if (config.ppo.minibatchSampling === 'stratified-by-task') {
    if (config.env.taskSampling !== 'round-robin') fail(`ppo.minibatchSampling 'stratified-by-task' needs env.taskSampling 'round-robin' (every task the same rows), got '${config.env.taskSampling}'`);
    if (rows / mb < tasks) fail(`ppo.minibatchSampling 'stratified-by-task' needs a row per task in every minibatch: ${rows} rows / ppo.numMinibatches ${mb} = ${rows / mb} < ${tasks} tasks`);
  }
  const params = networkParameterEstimate(config.network, tasks);
  if (params > MAX_NETWORK_PARAMETERS) {
    const rank = config.network.residual === 'low-rank' ? `, network.rank ${config.network.rank}` : '';
    fail(
      `network.hiddenSizes [${config.network.hiddenSizes.join(', ')}]${rank}: at least ${params.toLocaleString('en-US')} parameters for ${tasks} tasks ` +
        `(network.residual '${config.network.residual}'), more than the ${MAX_NETWORK_PARAMETERS.toLocaleString('en-US')} that fit in memory with Adam's state`,
    );
  }
  const rounding = roundSteps(config.steps, config);
  if (rounding.steps === config.steps) return { config };
  return { config: { ...config, steps: rounding.steps }, rounding };
}

/** One line on stderr for a rounded step budget. */
export function describeRounding(r: StepsRounding, flag: string): string {
  return `note: ${flag} ${r.requested} is not a whole number of PPO batches (${r.batch} env steps each); running ${r.steps} steps (${r.steps / r.batch} updates)`;
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

/** A resolved run config, with the rounding of its steps when there was one. */
export interface ResolvedRun {
  readonly config: ResolvedRunConfig;
  readonly rounding?: StepsRounding;
}

function checkSuite(suite: string): void {
  const suites = listSuites().map((s) => s.name);
  if (!suites.includes(suite) && !suite.startsWith('gym:')) {
    throw new UsageError(`--suite: unknown suite '${suite}' (known: ${suites.join(', ')}, gym:<ENV_ID>)`);
  }
}

function checkSeed(seed: unknown, where: string): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new UsageError(`${where}: expected an integer 0 … ${MAX_SEED}, got '${String(seed)}'`);
  }
  return seed;
}

/**
 * Composes the run config: defaults ← `experiments/<suite>.yaml` ← `--config` file ← `--steps` ←
 * `--set` overrides; the variant preset gives the controller, and `controller` overrides go on top.
 * Parsed once, here; any problem is a {@link UsageError} that names the key.
 */
export function resolveRunConfig(input: ResolveInput): ResolvedRun {
  checkSuite(input.suite);
  checkSeed(input.seed, '--seed');
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
  return checkRunConfig(
    {
      ...rest,
      suite: input.suite,
      variant: input.variant,
      seed: input.seed,
      controller,
      ...(presets ? { presets } : {}),
    },
    'invalid config',
  );
}

/**
 * Validates a run directory's `config.json` (already JSON-parsed) with the same schemas and checks
 * as `train`: the user-facing keys with `userConfigSchema`, the resolved controller with the
 * controller schema, then {@link checkRunConfig}. Messages name `file` and the key.
 */
export function validateStoredConfig(raw: unknown, file: string): ResolvedRun & { meta: Obj } {
  if (!isObj(raw)) throw new UsageError(`${file}: expected a JSON object, got ${Array.isArray(raw) ? 'a list' : raw === null ? 'null' : typeof raw}`);
  rejectPrototypeKeys(raw, file);
  const { suite, variant, seed, meta, controller, ...user } = raw;
  if (typeof suite !== 'string' || suite.length === 0) throw new UsageError(`${file}: suite: expected a suite name, got ${JSON.stringify(suite) ?? 'nothing'}`);
  if (typeof variant !== 'string' || variant.length === 0) throw new UsageError(`${file}: variant: expected a variant name, got ${JSON.stringify(variant) ?? 'nothing'}`);
  checkSuite(suite);
  checkSeed(seed, `${file}: seed`);
  if (!isObj(meta)) throw new UsageError(`${file}: meta: expected an object (written by varshare train), got ${JSON.stringify(meta) ?? 'nothing'}`);
  const parsed = userConfigSchema.safeParse(user);
  if (!parsed.success) throw new UsageError(`${file}: ${formatConfigIssues(parsed.error)}`);
  if (!isObj(controller)) throw new UsageError(`${file}: controller: expected an object { beta, prior }, got ${JSON.stringify(controller) ?? 'nothing'}`);
  let resolvedController: KlPriorControllerConfig;
  try {
    resolvedController = parseControllerConfig(controller);
  } catch (err) {
    throw new UsageError(`${file}: controller: ${(err as Error).message.replace(/^Invalid controller config: /, '')}`);
  }
  const { controller: _overrides, presets, ...rest } = parsed.data;
  const checked = checkRunConfig({ ...rest, suite, variant, seed: seed as number, controller: resolvedController, ...(presets ? { presets } : {}) }, file);
  return { ...checked, meta };
}

/** The trainer-options part of a resolved config. */
export function trainingPart(c: ResolvedRunConfig): TrainingConfig {
  const { ppo, kl, optimizer, normalisation, network, weights, eval: evalCfg, envsPerTask } = c;
  return { ppo, kl, optimizer, normalisation, network, weights, eval: evalCfg, envsPerTask };
}
