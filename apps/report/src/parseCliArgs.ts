/**
 * Command line of `varshare-report RUNS_DIR --out DIR [options]` → `ReportOptions`, or one clear
 * message (CONTRACTS.md: bad input gives one message naming the offending flag, exit code 2).
 */
import { parseArgs } from 'node:util';
import { ReportOptionsSchema } from './config';
import type { ReportOptions } from './config';

/** Usage text printed by `--help` and after a bad-input message. */
export const USAGE = `Usage: varshare-report RUNS_DIR --out DIR [options]

Reads RUNS_DIR/<suite>/<variant>/seed-<N>/ run directories and writes DIR/index.html,
DIR/summary.md, DIR/summary.json and one CSV per table.

Options:
  --out DIR             report directory (required; replaced atomically)
  --score raw|minmax    headline score: raw eval return (default) or per-task min-max normalised
  --baseline NAME       variant the others are compared against (default: baseline)
  --reps N              bootstrap replications of final-score CIs (default: 2000)
  --curve-reps N        bootstrap replications per curve point (default: 500)
  --seed N              bootstrap seed (default: 0)
  --include-running     also read runs that are still running
  -h, --help            show this help`;

/** Result of `parseCliArgs`. */
export type CliParse =
  | { readonly kind: 'options'; readonly options: ReportOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

function integerFlag(name: string, raw: string | undefined): number | string | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) return `--${name} must be a non-negative integer, got "${raw}"`;
  return Number(raw);
}

/**
 * Parses `argv` (without `node` and the script). Never throws; exactly one positional RUNS_DIR and
 * `--out` are required. Existence of RUNS_DIR is checked later, by the caller.
 */
export function parseCliArgs(argv: readonly string[]): CliParse {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string' },
        score: { type: 'string' },
        baseline: { type: 'string' },
        reps: { type: 'string' },
        'curve-reps': { type: 'string' },
        seed: { type: 'string' },
        'include-running': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // node:util's messages name the flag but run on ("Unknown option '--foo'. To specify a positional…").
    const text = (err as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(text);
    if (unknown) return { kind: 'error', message: `unknown flag ${unknown[1]}` };
    return { kind: 'error', message: text.split('. ')[0] ?? text };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (positionals.length === 0) return { kind: 'error', message: 'missing RUNS_DIR (the directory holding <suite>/<variant>/seed-<N>/ runs)' };
  if (positionals.length > 1) return { kind: 'error', message: `expected one RUNS_DIR, got ${positionals.length}: ${positionals.join(' ')}` };
  if (values.out === undefined || values.out === '') return { kind: 'error', message: 'missing --out DIR (where to write the report)' };
  const ints: Record<string, number | undefined> = {};
  for (const [flag, key] of [['reps', 'bootstrapReps'], ['curve-reps', 'curveReps'], ['seed', 'bootstrapSeed']] as const) {
    const v = integerFlag(flag, values[flag]);
    if (typeof v === 'string') return { kind: 'error', message: v };
    ints[key] = v;
  }
  const input = {
    runsDir: positionals[0],
    outDir: values.out,
    ...(values.score !== undefined && { score: values.score }),
    ...(values.baseline !== undefined && { baseline: values.baseline }),
    ...(ints['bootstrapReps'] !== undefined && { bootstrapReps: ints['bootstrapReps'] }),
    ...(ints['curveReps'] !== undefined && { curveReps: ints['curveReps'] }),
    ...(ints['bootstrapSeed'] !== undefined && { bootstrapSeed: ints['bootstrapSeed'] }),
    ...(values['include-running'] !== undefined && { includeRunning: values['include-running'] }),
  };
  const result = ReportOptionsSchema.safeParse(input);
  if (!result.success) {
    const flagOf: Record<string, string> = {
      score: '--score', baseline: '--baseline', bootstrapReps: '--reps', curveReps: '--curve-reps', bootstrapSeed: '--seed', outDir: '--out', runsDir: 'RUNS_DIR',
    };
    const issue = result.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    return { kind: 'error', message: `${flagOf[key] ?? key}: ${issue?.message ?? 'invalid value'}` };
  }
  return { kind: 'options', options: result.data };
}
