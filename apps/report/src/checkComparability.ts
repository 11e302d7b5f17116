/**
 * Comparability check (spec: "Keep the RL backbone and training pipeline identical across
 * experiments"; "Use the same random seeds across experiment variants"). Within a suite, every run's
 * resolved config must match every other's except for the variant's own toggles — the `controller`
 * subtree, `variant` and `seed` — and where/when it ran (`VARIANT_OWN_PATHS`). Anything else that differs (budget `steps`, env,
 * PPO, network, acting mode, code version `meta.version`/`meta.gitCommit`, backend…) is a warning, and
 * so are differing seed sets.
 */
import type { LoadedRun } from './loadRuns';
import { canonicalJson } from './runTables';

/**
 * Config paths that may differ between compared runs: the variant's own toggles (`variant`,
 * `controller`, and `presets`, the data user-defined variants are made of) and per-run identity
 * (`seed`, start time, host name, and the digest of the resolved config, which includes variant and
 * seed by design).
 */
export const VARIANT_OWN_PATHS: readonly string[] = ['variant', 'seed', 'controller', 'presets', 'meta.startTime', 'meta.hostname', 'meta.configDigest'];

/** One comparability warning. */
export interface ComparabilityWarning {
  readonly suite: string;
  /** `config` (a differing config path), `seeds` (differing seed sets). */
  readonly kind: 'config' | 'seeds';
  /** Config path such as `steps` or `meta.gitCommit`; `seeds` for seed sets. */
  readonly path: string;
  /** Human label of what differs: budget, code version, acting mode, backend, suite config, seed sets. */
  readonly category: string;
  readonly message: string;
}

function categoryOf(path: string): string {
  if (path === 'steps') return 'budget';
  if (path === 'meta.version' || path === 'meta.gitCommit') return 'code version';
  if (path.startsWith('meta.actingMode')) return 'acting mode';
  if (path === 'meta.backend') return 'backend';
  if (path === 'suite' || path.startsWith('env')) return 'suite config';
  return 'config';
}

/** Leaves of a JSON value as `path → canonical JSON` (arrays are leaves, compared whole). */
export function flattenConfig(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix !== '') out.set(prefix, '{}');
    for (const [k, v] of entries) flattenConfig(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (prefix !== '') {
    out.set(prefix, canonicalJson(value));
  }
  return out;
}

function isOwnPath(path: string): boolean {
  return VARIANT_OWN_PATHS.some((p) => path === p || path.startsWith(`${p}.`));
}

const label = (r: LoadedRun): string => `${r.variant}/seed-${r.seed}`;

function listGroups(groups: Map<string, string[]>, max = 4): string {
  return [...groups.entries()]
    .map(([value, runs]) => `${value === undefined ? '(absent)' : value} in ${runs.length > max ? `${runs.slice(0, max).join(', ')} +${runs.length - max} more` : runs.join(', ')}`)
    .join('; ');
}

/** Warnings for the runs of ONE suite; empty when everything beyond the variant toggles matches. */
export function checkComparability(suite: string, runs: readonly LoadedRun[]): ComparabilityWarning[] {
  const warnings: ComparabilityWarning[] = [];
  const flat = runs.map((r) => ({ run: r, leaves: flattenConfig(r.data.config) }));
  const paths = new Set<string>();
  for (const f of flat) for (const p of f.leaves.keys()) if (!isOwnPath(p)) paths.add(p);
  for (const path of [...paths].sort()) {
    const groups = new Map<string, string[]>();
    for (const f of flat) {
      const v = f.leaves.get(path) ?? '(absent)';
      const g = groups.get(v);
      if (g === undefined) groups.set(v, [label(f.run)]);
      else g.push(label(f.run));
    }
    if (groups.size > 1) {
      const category = categoryOf(path);
      warnings.push({ suite, kind: 'config', path, category, message: `${category}: \`${path}\` differs — ${listGroups(groups)}` });
    }
  }
  const seedSets = new Map<string, number[]>();
  for (const r of runs) seedSets.set(r.variant, [...(seedSets.get(r.variant) ?? []), r.seed]);
  const distinct = new Set([...seedSets.values()].map((s) => [...s].sort((a, b) => a - b).join(',')));
  if (distinct.size > 1) {
    const desc = [...seedSets.entries()].map(([v, s]) => `${v} {${[...s].sort((a, b) => a - b).join(', ')}}`).join('; ');
    warnings.push({ suite, kind: 'seeds', path: 'seeds', category: 'seed sets', message: `seed sets differ between variants (paired comparisons use only shared seeds): ${desc}` });
  }
  return warnings;
}
