/**
 * What a run is: the digest of its resolved config (suite, variant and seed included; `meta`
 * excluded). It goes into `config.json` meta and into every checkpoint, so that `resume` can tell a
 * checkpoint of this run from one copied in from another run or a config.json edited since.
 */
import { createHash } from 'node:crypto';
import type { ResolvedRunConfig } from './config';

/** `config.json` meta.extensions[]: one explicit `varshare resume RUN_DIR --steps N`. */
export interface RunExtension {
  readonly fromSteps: number;
  readonly toSteps: number;
  /** Update of the checkpoint the run was extended from (0 before the first one). */
  readonly atUpdate: number;
  /** ISO 8601 time of the extension. */
  readonly at: string;
}

/** Stored in each checkpoint: whose state it is. */
export interface RunStamp {
  readonly digest: string;
  readonly config: ResolvedRunConfig;
}

/** JSON text with object keys sorted at every level, so equal configs give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** sha256 (hex) of the canonical JSON of the resolved config (without meta). */
export function configDigest(config: ResolvedRunConfig): string {
  const { meta: _meta, ...rest } = config as ResolvedRunConfig & { meta?: unknown };
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The run stamp of `config`. */
export function runStamp(config: ResolvedRunConfig): RunStamp {
  const { meta: _meta, ...rest } = config as ResolvedRunConfig & { meta?: unknown };
  return { digest: configDigest(config), config: rest as ResolvedRunConfig };
}

/** Leaf-level differences `a` → `b` as dotted paths with both values, e.g. `ppo.learningRate: 0.001 → 0.01`. */
export function configDifferences(a: unknown, b: unknown, path = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => (k === 'meta' && path === '' ? [] : configDifferences(a[k], b[k], path ? `${path}.${k}` : k)));
  }
  if (canonicalJson(a) === canonicalJson(b)) return [];
  const show = (v: unknown) => (v === undefined ? '(absent)' : canonicalJson(v));
  return [`${path || '(root)'}: ${show(a)} → ${show(b)}`];
}

/** Whether `meta.extensions` leads from a checkpoint's `fromSteps` to config.json's `toSteps`. */
export function extendedFromTo(extensions: readonly RunExtension[], fromSteps: number, toSteps: number): boolean {
  let steps = fromSteps;
  for (const e of extensions) if (e.fromSteps === steps) steps = e.toSteps;
  return steps === toSteps;
}

/** `meta.extensions` of a config.json meta, [] when absent or not a list of extensions. */
export function extensionsOf(meta: Record<string, unknown>): RunExtension[] {
  const list = meta['extensions'];
  if (!Array.isArray(list)) return [];
  return list.filter((e): e is RunExtension => typeof e === 'object' && e !== null && typeof (e as RunExtension).fromSteps === 'number' && typeof (e as RunExtension).toSteps === 'number');
}
