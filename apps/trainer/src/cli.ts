/**
 * `varshare` — train, resume, evaluate and sweep the VarShare KL/prior experiments
 * (CLI contract: shared/design/CONTRACTS.md). Exit codes: 0 ok, 1 run failed, 2 bad input, 130 interrupted.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EVAL_RETURN_MEAN } from '@varshare/base';
import { listVariants } from '@varshare/controllers';
import { listSuites } from '@varshare/envs';
import { MAX_SEED, resolveRunConfig, userConfigSchema } from './config';
import { UsageError } from './errors';
import { VERSION, evaluateRun, runTraining, type TrainOutcome } from './runTraining';
import { readManifestEntry, sweep } from './sweep';

const HELP: Record<string, string> = {
  main: `varshare ${VERSION} — VarShare KL/prior experiments

Usage: varshare <command> [options]

Commands:
  list                         suites (with task names) and variants
  train --suite S --variant V --seed N [--steps N] [--out DIR] [--config FILE] [--set key.path=value ...]
  resume RUN_DIR [--steps N]   continue a run from its last checkpoint (or restart it from its config
                               when it has none); --steps N extends it to N steps
  eval RUN_DIR [--episodes N]  deterministic evaluation (posterior means) of the last checkpoint
  sweep --suite S --variants V1,V2 --seeds 1,2,3 [--steps N] [--out DIR] [--jobs J] [--executor local|slurm] [--dry-run]

Run 'varshare <command> --help' for a command's options.`,
  train: `Usage: varshare train --suite S --variant V --seed N [options]

  --suite S            suite: see 'varshare list' (cartpole-mt, lunarlander-mt, arm-mt10, gym:<ENV_ID>)
  --variant V          baseline | exp1-fixed-prior | exp2-beta-anneal | exp3-ratio-controller |
                       exp4-loss-gap-prior | exp5-empirical-bayes | a user preset | a+b compositions
  --seed N             run seed (paired across variants), 0 … 4294967295
  --steps N            total environment steps (default: experiments/<suite>.yaml, else 200000);
                       rounded up to whole PPO batches (tasks × envsPerTask × ppo.numSteps), with a note
  --out DIR            output root; the run directory is DIR/S/V/seed-N (default: runs)
  --config FILE        YAML or JSON config (same keys as --set)
  --set key.path=val   override one key, e.g. --set ppo.learningRate=1e-3 --set network.hiddenSizes=[64,64]
  --threads N          threads of this run (default: all cores): evaluation on a worker, heavy
                       suites' env rows (lunarlander-mt, arm-mt10) and the update's large kernel
                       calls split over them — the same numbers for any N
  --no-progress        no progress display

Each flag may be given once (--set as often as needed). An existing run directory is never
overwritten: continue it with 'varshare resume RUN_DIR'.

Config keys (defaults in brackets; per-suite defaults in experiments/<suite>.yaml):
${describeKeys()}`,
  resume: `Usage: varshare resume RUN_DIR [--steps N] [--threads N] [--no-progress]

Continues the run from RUN_DIR/checkpoints/latest.ckpt; the logs after that update are replaced.
A run with no checkpoint yet restarts from update 0 with its config.json and seed (the same run).
config.json is validated like 'train' input, and the checkpoint must carry this run's digest
(config, variant, seed): a copied-in checkpoint or an edited config.json is refused, naming the keys.
  --steps N            extend (or finish early-stopped) the run to N total steps, recorded in
                       config.json meta.extensions; N is rounded up to whole PPO batches`,
  eval: 'Usage: varshare eval RUN_DIR [--episodes N] [--threads N]\n\nDeterministic evaluation (posterior means) of the last checkpoint; prints JSON and writes RUN_DIR/evaluations/update-<U>-episodes-<N>.json (with the run locked).',
  sweep: `Usage: varshare sweep --suite S --variants V1,V2,... --seeds 1,2,3 [options]

  --steps N, --out DIR, --config FILE, --set k=v   as for train (applied to every run)
  --jobs J             parallel worker processes for --executor local (default: number of cores);
                       each run gets ⌊cores / J⌋ threads (--threads of train)
  --executor E         local | slurm (slurm writes an sbatch --array script and submits it)
  --dry-run            write the manifest (and the Slurm script) only

Every variant gets the same seeds (paired). Completed runs are skipped; partial ones resumed (from
their config when they have no checkpoint yet); runs another process is writing are reported, not raced.`,
  list: 'Usage: varshare list\n\nPrints the suites with their tasks and the variants.',
};

function describeKeys(): string {
  const lines: string[] = [];
  const walk = (schema: unknown, prefix: string) => {
    const s = schema as { def?: { type?: string; innerType?: unknown; shape?: Record<string, unknown> }; description?: string };
    let inner: unknown = s;
    while ((inner as { def?: { type?: string } }).def?.type === 'default' || (inner as { def?: { type?: string } }).def?.type === 'optional') {
      inner = (inner as { def: { innerType: unknown } }).def.innerType;
    }
    const shape = (inner as { def?: { shape?: Record<string, unknown> } }).def?.shape;
    if (shape && prefix.split('.').length < 3) {
      for (const [k, v] of Object.entries(shape)) walk(v, prefix ? `${prefix}.${k}` : k);
      return;
    }
    const desc = (schema as { description?: string }).description ?? (inner as { description?: string }).description ?? '';
    const def = prefix.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), defaults);
    lines.push(`  ${prefix.padEnd(34)} ${desc}${def === undefined ? '' : ` [${JSON.stringify(def)}]`}`);
  };
  const defaults = userConfigSchema.parse({});
  walk(userConfigSchema, '');
  return lines.join('\n');
}

type Flags = NonNullable<ParseArgsConfig['options']>;

/** `--help` on a command: printed by {@link runCli}, exit code 0. */
class HelpRequest extends Error {}

function parse(argv: string[], options: Flags, positionals: number, command: string) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, allowPositionals: positionals > 0, strict: true, tokens: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.replace(/\. To specify a positional argument.*$/, '')}`);
  }
  if (parsed.values.help) throw new HelpRequest(HELP[command] ?? (HELP['main'] as string));
  // parseArgs lets the last of a repeated flag win silently; a repeated --seed is a typo, not a choice.
  const seen = new Map<string, string | undefined>();
  for (const t of parsed.tokens as { kind: string; name: string; value?: string }[]) {
    if (t.kind !== 'option' || options[t.name]?.multiple) continue;
    if (seen.has(t.name)) {
      const first = seen.get(t.name);
      throw new UsageError(`${command}: --${t.name} is given more than once${first !== undefined && t.value !== undefined ? ` ('${first}' and '${t.value}')` : ''}; give it once`);
    }
    seen.set(t.name, t.value);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`${command}: unexpected argument '${parsed.positionals[positionals]}'`);
  return parsed;
}

function requireString(values: Record<string, unknown>, key: string, command: string): string {
  const v = values[key];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`${command}: --${key} is required`);
  return v;
}

function parseInteger(value: string | undefined, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${flag}: expected an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min} … ${max}`}, got '${value}'`);
  }
  return Number(value);
}

function printOutcome(o: TrainOutcome): number {
  if (o.status === 'completed') {
    const r = o.finalEval?.[EVAL_RETURN_MEAN];
    process.stdout.write(`completed: ${o.runDir}${r !== undefined ? ` (final eval return ${r.toFixed(2)})` : ''}\n`);
    return 0;
  }
  if (o.status === 'interrupted') {
    process.stderr.write(`interrupted: checkpoint written at update ${o.lastCheckpointUpdate}; continue with 'varshare resume ${o.runDir}'\n`);
    return 130;
  }
  // The message says what exists (the kept checkpoint, or that there is none yet).
  process.stderr.write(`failed: ${o.message ?? 'unknown error'} (run dir ${o.runDir})\n`);
  return 1;
}

const trainFlags: Flags = {
  suite: { type: 'string' },
  variant: { type: 'string' },
  seed: { type: 'string' },
  steps: { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  threads: { type: 'string' },
  'no-progress': { type: 'boolean' },
};

/** `--threads N`: 1 … 256; default all cores of this machine (os.availableParallelism()). */
function parseThreads(value: string | undefined): number {
  return parseInteger(value, 'threads', 1, 256) ?? availableParallelism();
}

/** Runs one CLI command; returns the exit code. Throws {@link UsageError} for bad input. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP['main']}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  switch (command) {
    case 'list': {
      parse(rest, {}, 0, 'list');
      process.stdout.write('Suites:\n');
      for (const s of listSuites()) process.stdout.write(`  ${s.name} (${s.actionKind}, ${s.tasks.length} tasks) — ${s.description}\n    tasks: ${s.tasks.join(', ')}\n`);
      process.stdout.write('  gym:<ENV_ID> — a Gymnasium env served by the Python bridge\nVariants:\n');
      for (const v of listVariants()) process.stdout.write(`  ${v.name.padEnd(24)} ${v.description}\n`);
      return 0;
    }
    case 'train': {
      const { values } = parse(rest, trainFlags, 0, 'train');
      const v = values as Record<string, string | boolean | string[] | undefined>;
      const suite = requireString(v, 'suite', 'train');
      const variant = requireString(v, 'variant', 'train');
      const seed = parseInteger(requireString(v, 'seed', 'train'), 'seed', 0, MAX_SEED) as number;
      const steps = parseInteger(v['steps'] as string | undefined, 'steps', 1);
      const { config, rounding } = resolveRunConfig({ suite, variant, seed, ...(steps !== undefined ? { steps } : {}), ...(v['config'] ? { configFile: v['config'] as string } : {}), sets: (v['set'] as string[] | undefined) ?? [] });
      const out = resolve((v['out'] as string | undefined) ?? 'runs');
      return printOutcome(await runTraining({ mode: 'train', config, out, ...(rounding ? { rounding } : {}) }, { progress: !v['no-progress'], threads: parseThreads(v['threads'] as string | undefined) }));
    }
    case 'resume': {
      const { values, positionals } = parse(rest, { 'no-progress': { type: 'boolean' }, steps: { type: 'string' }, threads: { type: 'string' } }, 1, 'resume');
      const dir = positionals[0];
      if (!dir) throw new UsageError('resume: RUN_DIR is required');
      const v = values as Record<string, string | boolean | undefined>;
      const steps = parseInteger(v['steps'] as string | undefined, 'steps', 1);
      return printOutcome(await runTraining({ mode: 'resume', dir, ...(steps !== undefined ? { steps } : {}) }, { progress: !v['no-progress'], threads: parseThreads(v['threads'] as string | undefined) }));
    }
    case 'eval': {
      const { values, positionals } = parse(rest, { episodes: { type: 'string' }, threads: { type: 'string' } }, 1, 'eval');
      const dir = positionals[0];
      if (!dir) throw new UsageError('eval: RUN_DIR is required');
      const episodes = parseInteger((values as Record<string, unknown>)['episodes'] as string | undefined, 'episodes', 1, 100_000);
      const { result } = await evaluateRun(dir, episodes, parseThreads((values as Record<string, unknown>)['threads'] as string | undefined));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    case 'sweep': {
      const { values } = parse(
        rest,
        {
          suite: { type: 'string' },
          variants: { type: 'string' },
          seeds: { type: 'string' },
          steps: { type: 'string' },
          out: { type: 'string' },
          config: { type: 'string' },
          set: { type: 'string', multiple: true },
          jobs: { type: 'string' },
          executor: { type: 'string' },
          'dry-run': { type: 'boolean' },
        },
        0,
        'sweep',
      );
      const v = values as Record<string, string | boolean | string[] | undefined>;
      const suite = requireString(v, 'suite', 'sweep');
      const variants = requireString(v, 'variants', 'sweep').split(',').map((s) => s.trim()).filter(Boolean);
      const seeds = requireString(v, 'seeds', 'sweep').split(',').map((s) => parseInteger(s.trim(), 'seeds', 0, MAX_SEED) as number);
      const executor = ((v['executor'] as string | undefined) ?? 'local') as 'local' | 'slurm';
      if (executor !== 'local' && executor !== 'slurm') throw new UsageError(`--executor: expected local or slurm, got '${executor}'`);
      const steps = parseInteger(v['steps'] as string | undefined, 'steps', 1);
      const jobs = parseInteger(v['jobs'] as string | undefined, 'jobs', 1);
      return sweep(
        {
          suite,
          variants,
          seeds,
          ...(steps !== undefined ? { steps } : {}),
          out: (v['out'] as string | undefined) ?? 'runs',
          ...(v['config'] ? { configFile: v['config'] as string } : {}),
          sets: (v['set'] as string[] | undefined) ?? [],
          ...(jobs !== undefined ? { jobs } : {}),
          executor,
          dryRun: Boolean(v['dry-run']),
        },
        (s) => process.stderr.write(`${s}\n`),
      );
    }
    case 'sweep-task': {
      const { positionals } = parse(rest, {}, 2, 'sweep-task');
      const entry = readManifestEntry(positionals[0] ?? '', parseInteger(positionals[1], 'index') ?? -1);
      // As a local sweep: a run that has a config.json is continued (from its config when it has no
      // checkpoint). One thread: the array task asks Slurm for one CPU (--cpus-per-task=1).
      return main(existsSync(join(entry.runDir, 'config.json')) ? ['resume', entry.runDir, '--no-progress', '--threads', '1'] : ['train', ...entry.args, '--no-progress', '--threads', '1']);
    }
    default:
      throw new UsageError(`unknown command '${command}' (commands: list, train, resume, eval, sweep)`);
  }
}


/**
 * The CLI with error handling: bad input → one `varshare: …` line on stderr and exit code 2; any
 * other error → exit code 1. Used by the bin and by tests (in-process).
 */
export async function runCli(argv: string[], stderr: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    if (err instanceof HelpRequest) {
      process.stdout.write(`${err.message}\n`);
      return 0;
    }
    if (err instanceof UsageError) {
      stderr(`varshare: ${err.message}\n`);
      return 2;
    }
    // An operating-system error (disk full, I/O error) is one line; anything else is a bug: the stack helps.
    if (typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall !== undefined) {
      stderr(`varshare: ${(err as Error).message}\n`);
      return 1;
    }
    stderr(`varshare: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
