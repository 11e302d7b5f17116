/**
 * Suite registry: suites by name (`cartpole-mt`, `lunarlander-mt`, …), extensible with
 * {@link registerSuite} so other packages can add e.g. `arm-mt10` or a `gym:*` prefix.
 */
import { CARTPOLE_TASKS, CartPoleEnv } from './cartPole';
import { SuiteOptionsSchema, TaskEnvOptionsSchema } from './config';
import type { SuiteOptionsInput, TaskEnvOptions, TaskEnvOptionsInput } from './config';
import { LUNARLANDER_TASKS, LunarLanderEnv } from './lunarLander';
import { ARM_MT10_TASKS, ArmMt10Env } from './armMt10';
import type { SuiteOptions } from './config';
import { GymBridgeVectorEnv } from './gymBridge';
import { isMujocoLoaded, loadMujoco } from './mujoco';
import { MultiTaskVectorEnv } from './multiTaskVectorEnv';
import type { ActionKind } from './spaces';
import type { TaskEnv } from './taskEnv';
import type { VectorEnv } from './vectorEnv';

/**
 * How a suite is built. `suiteName` is the name the caller used (useful for prefix registrations
 * such as `gym:*`, where it carries the env id).
 */
export interface SuiteFactory {
  /** One line for `listSuites` / `varshare list`. */
  readonly description: string;
  /** Options this suite name fixes (e.g. `lunarlander-mt-continuous` fixes `continuous: true`). */
  readonly fixedOptions?: Partial<TaskEnvOptions>;
  /** Task names, in task-index order. */
  taskNames(suiteName: string): readonly string[];
  /** Action kind under the given options; throws for options the suite does not support. */
  actionKind(options: TaskEnvOptions, suiteName: string): ActionKind;
  /** One env initially running `taskIndex` (able to switch to any task of the suite via `setTask`). */
  createEnv(taskIndex: number, options: TaskEnvOptions, suiteName: string): TaskEnv;
  /** Builds the whole vector env itself (suites whose rows are not in-process `TaskEnv`s, e.g. `gym:*`). */
  createVectorEnv?(options: SuiteOptions, suiteName: string): VectorEnv;
  /** Asynchronous set-up that must finish before `createSuite` (e.g. loading a WASM module). */
  prepare?(suiteName: string): Promise<void>;
  /**
   * Stepping one row costs far more than a thread round trip (~25 µs; a MuJoCo arm row takes
   * ~0.2 ms), so stepping the rows on several threads (`ShardedVectorEnv`) pays. Defaults to false.
   * lunarlander-mt is not heavy since its joint solver stopped allocating: two shards stepped its
   * 40 rows in 2.04 ms against 2.07 ms on one thread (`tools/bench/env-shards.ts`).
   */
  readonly heavySteps?: boolean;
}

/** One entry of {@link listSuites}. */
export interface SuiteSummary {
  readonly name: string;
  readonly tasks: readonly string[];
  /** Action kind under default options. */
  readonly actionKind: ActionKind;
  readonly description: string;
}

const registry = new Map<string, SuiteFactory>();

/**
 * Registers a suite. A name ending in `*` (e.g. `gym:*`) registers a prefix: any name starting with
 * the part before `*` resolves to it (and is passed to the factory). Prefix entries are not listed
 * by {@link listSuites} (their task lists depend on the full name).
 * @throws Error when the name is already registered
 */
export function registerSuite(name: string, factory: SuiteFactory): void {
  if (name.length === 0 || (name.endsWith('*') && name.length === 1)) throw new RangeError('registerSuite: empty suite name');
  if (registry.has(name)) throw new Error(`registerSuite: suite "${name}" is already registered`);
  registry.set(name, factory);
}

/** Names of all registered suites (prefix registrations shown with their `*`). */
export function suiteNames(): string[] {
  return [...registry.keys()];
}

function resolve(name: string): SuiteFactory {
  const exact = registry.get(name);
  if (exact !== undefined) return exact;
  for (const [key, factory] of registry) {
    if (key.endsWith('*') && name.startsWith(key.slice(0, -1)) && name.length >= key.length) return factory;
  }
  throw new Error(`Unknown suite "${name}". Known suites: ${suiteNames().join(', ')}`);
}

function resolveOptions(name: string, factory: SuiteFactory, input: TaskEnvOptionsInput): TaskEnvOptions {
  const parsed = TaskEnvOptionsSchema.parse(input);
  const fixed = factory.fixedOptions ?? {};
  for (const key of Object.keys(fixed) as (keyof TaskEnvOptions)[]) {
    if (input[key] !== undefined && input[key] !== fixed[key]) {
      throw new RangeError(`suite "${name}" fixes ${key} = ${String(fixed[key])}, but options set ${key} = ${String(input[key])}`);
    }
  }
  return { ...parsed, ...fixed };
}

/**
 * Task names of any suite name, prefix registrations included (`gym:A,B` → `['A', 'B']`), without
 * building it.
 * @throws Error for an unknown or malformed suite name
 */
export function suiteTaskNames(name: string): readonly string[] {
  return resolve(name).taskNames(name);
}

/** Every non-prefix suite with its tasks, default action kind and description. */
export function listSuites(): SuiteSummary[] {
  const out: SuiteSummary[] = [];
  for (const [name, factory] of registry) {
    if (name.endsWith('*')) continue;
    out.push({
      name,
      tasks: factory.taskNames(name),
      actionKind: factory.actionKind(resolveOptions(name, factory, {}), name),
      description: factory.description,
    });
  }
  return out;
}

/**
 * Builds the multi-task vector env of a suite.
 * @param name    suite name, e.g. `'cartpole-mt'`, `'lunarlander-mt'` (+ `{ continuous: true }`)
 * @param options seed (default 0), rowsPerTask (default 4), taskSampling (default 'round-robin'),
 *                continuous (default false), maxEpisodeSteps (default: the suite's)
 * @throws Error naming the suite and listing the known ones when the name is unknown
 */
export function createSuite(name: string, options: SuiteOptionsInput = {}): VectorEnv {
  const factory = resolve(name);
  const parsed = SuiteOptionsSchema.parse(options);
  if (factory.createVectorEnv !== undefined) return factory.createVectorEnv(parsed, name);
  return createSuiteRows(name, options, null);
}

/**
 * Whether a suite's rows are in-process `TaskEnv`s, so they can be stepped by several threads
 * (`ShardedVectorEnv`); false for suites that build their own vector env (`gym:*`).
 */
export function suiteIsShardable(name: string): boolean {
  return resolve(name).createVectorEnv === undefined;
}

/** Whether stepping a suite's rows on several threads pays (a shardable suite with `heavySteps`). */
export function suiteStepsAreHeavy(name: string): boolean {
  const f = resolve(name);
  return f.createVectorEnv === undefined && f.heavySteps === true;
}

/**
 * Rows `rows.start … rows.start + rows.count − 1` of a suite's vector env (all rows when null): a
 * shard that steps exactly as those rows of {@link createSuite}'s env (see `MultiTaskVectorEnv`'s
 * `rows` option). Shardable suites only.
 */
export function createSuiteRows(name: string, options: SuiteOptionsInput, rows: { readonly start: number; readonly count: number } | null): MultiTaskVectorEnv {
  const factory = resolve(name);
  if (factory.createVectorEnv !== undefined) throw new Error(`suite "${name}" builds its own vector env and cannot be split into row shards`);
  const parsed = SuiteOptionsSchema.parse(options);
  const envOptions = resolveOptions(name, factory, { continuous: options.continuous, maxEpisodeSteps: options.maxEpisodeSteps, seed: parsed.seed });
  factory.actionKind(envOptions, name);
  return new MultiTaskVectorEnv((taskIndex) => factory.createEnv(taskIndex, envOptions, name), {
    seed: parsed.seed,
    rowsPerTask: parsed.rowsPerTask,
    taskSampling: parsed.taskSampling,
    ...(rows ? { rows } : {}),
  });
}

/**
 * Runs a suite's asynchronous set-up (for `arm-mt10`: instantiating MuJoCo's WASM module); a no-op
 * for suites without one. Call it once before `createSuite`/`createTaskEnv` for such suites.
 * @throws Error for an unknown suite name
 */
export async function prepareSuite(name: string): Promise<void> {
  const factory = resolve(name);
  if (factory.prepare !== undefined) await factory.prepare(name);
}

/**
 * Builds one env of a suite running `taskIndex`.
 * @param options seed (default 0, used until `reset({ seed })`), continuous, maxEpisodeSteps
 */
export function createTaskEnv(name: string, taskIndex: number, options: TaskEnvOptionsInput = {}): TaskEnv {
  const factory = resolve(name);
  const envOptions = resolveOptions(name, factory, options);
  factory.actionKind(envOptions, name);
  const tasks = factory.taskNames(name);
  if (!Number.isInteger(taskIndex) || taskIndex < 0 || taskIndex >= tasks.length) {
    throw new RangeError(`suite "${name}": task index must be an integer in [0, ${tasks.length}), got ${String(taskIndex)}`);
  }
  return factory.createEnv(taskIndex, envOptions, name);
}

// ---- built-in suites -----------------------------------------------------------------------------

const cartPoleFactory: SuiteFactory = {
  description: 'CartPole-v1 physics, 10 tasks varying pole length/mass, cart mass, gravity, force and limits; Discrete(2); success = reaching the time limit (500)',
  taskNames: () => CARTPOLE_TASKS.map((t) => t.name),
  actionKind(options) {
    if (options.continuous) throw new RangeError('suite "cartpole-mt" has no continuous variant (continuous must be false)');
    return 'discrete';
  },
  createEnv: (taskIndex, options) =>
    new CartPoleEnv({ taskIndex, seed: options.seed, ...(options.maxEpisodeSteps !== undefined ? { maxEpisodeSteps: options.maxEpisodeSteps } : {}) }),
};

function lunarLanderFactory(fixed: boolean | undefined): SuiteFactory {
  const variant = fixed === undefined ? 'Discrete(4), or 2-d continuous with { continuous: true }' : fixed ? '2-d continuous in [-1, 1]' : 'Discrete(4)';
  return {
    description: `Box2D (planck) lunar lander, 10 tasks varying gravity, wind/turbulence, engine power and pad position; ${variant}; success = at rest on the pad`,
    ...(fixed !== undefined ? { fixedOptions: { continuous: fixed } } : {}),
    taskNames: () => LUNARLANDER_TASKS.map((t) => t.name),
    actionKind: (options) => (options.continuous ? 'continuous' : 'discrete'),
    createEnv: (taskIndex, options) =>
      new LunarLanderEnv({
        taskIndex,
        seed: options.seed,
        continuous: options.continuous,
        ...(options.maxEpisodeSteps !== undefined ? { maxEpisodeSteps: options.maxEpisodeSteps } : {}),
      }),
  };
}

const armMt10Factory: SuiteFactory = {
  description: 'MuJoCo arm with a 2-finger gripper, 10 Meta-World-MT10-like manipulation tasks; 39-d observation, 4-d action in [-1, 1]; 500 steps; success = distance to goal under a per-task threshold (needs `await prepareSuite("arm-mt10")`)',
  taskNames: () => ARM_MT10_TASKS,
  actionKind: () => 'continuous',
  heavySteps: true,
  createEnv: (taskIndex, options) =>
    new ArmMt10Env({ taskIndex, seed: options.seed, ...(options.maxEpisodeSteps !== undefined ? { maxEpisodeSteps: options.maxEpisodeSteps } : {}) }),
  prepare: async () => {
    if (!isMujocoLoaded()) await loadMujoco();
  },
};

/** `gym:A,B` → ['A', 'B']; `gym:metaworld-mt10` stays one id (the server expands it to 10 tasks). */
function gymEnvIds(suiteName: string): string[] {
  const ids = suiteName.slice('gym:'.length).split(',').map((s) => s.trim());
  if (ids.length === 0 || ids.some((s) => s.length === 0)) throw new RangeError(`suite "${suiteName}": expected gym:<ENV_ID>[,<ENV_ID>…]`);
  return ids;
}

const METAWORLD_MT10_TASKS = ['reach-v2', 'push-v2', 'pick-place-v2', 'door-open-v2', 'drawer-open-v2', 'drawer-close-v2', 'button-press-topdown-v2', 'peg-insert-side-v2', 'window-open-v2', 'window-close-v2'];

const gymFactory: SuiteFactory = {
  description: 'Python Gymnasium envs through the bridge: gym:<ENV_ID>[,<ENV_ID>…] (one task per id), gym:toy:<Class> (python/toy_envs.py), gym:metaworld-mt10 (10 tasks)',
  taskNames: (name) => (name === 'gym:metaworld-mt10' ? METAWORLD_MT10_TASKS : gymEnvIds(name)),
  actionKind: (_options, name) => {
    throw new Error(`suite "${name}" runs in a Python process and has no single in-process env: use createSuite("${name}", …)`);
  },
  createEnv: (_taskIndex, _options, name) => {
    throw new Error(`suite "${name}" runs in a Python process and has no single in-process env: use createSuite("${name}", …)`);
  },
  createVectorEnv(options, name) {
    if (options.taskSampling !== 'round-robin') throw new RangeError(`suite "${name}": the Gym bridge supports taskSampling 'round-robin' only`);
    if (options.continuous) throw new RangeError(`suite "${name}": the action space comes from the Gym env; do not pass continuous`);
    return new GymBridgeVectorEnv(gymEnvIds(name), {
      seed: options.seed,
      rowsPerTask: options.rowsPerTask,
      ...(options.maxEpisodeSteps !== undefined ? { maxEpisodeSteps: options.maxEpisodeSteps } : {}),
    });
  },
};

registerSuite('cartpole-mt', cartPoleFactory);
registerSuite('lunarlander-mt', lunarLanderFactory(undefined));
registerSuite('lunarlander-mt-discrete', lunarLanderFactory(false));
registerSuite('lunarlander-mt-continuous', lunarLanderFactory(true));
registerSuite('arm-mt10', armMt10Factory);
registerSuite('gym:*', gymFactory);
