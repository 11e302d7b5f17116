/** The bin as a user runs it (from source, no build): outputs on success; exit 2 and nothing written on bad input. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const bin = join(here, '..', 'bin', 'varshare-report.mjs');
const fixtures = join(here, 'fixtures', 'trainer');
const work = mkdtempSync(join(tmpdir(), 'varshare-report-bin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });

describe('bin/varshare-report.mjs', () => {
  it('writes the report and lists the runs it left out', () => {
    const out = join(work, 'report');
    const r = run(fixtures, '--out', out, '--reps', '200', '--curve-reps', '100');
    expect(r.stderr).toContain('left out');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`report: ${out}/index.html`);
    for (const f of ['index.html', 'summary.md', 'summary.json', 'final_performance.csv', 'skipped_runs.csv']) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it.each([
    ['an unknown flag', [fixtures, '--out', 'o1', '--nope'], 'unknown flag --nope'],
    ['a missing RUNS_DIR', [join(work, 'absent'), '--out', 'o2'], 'does not exist'],
    ['a RUNS_DIR without runs', [work, '--out', 'o3'], 'no run directories found'],
    ['no --out', [fixtures], 'missing --out'],
  ])('exits 2 with one message and writes nothing for %s', (_name, args, text) => {
    const before = readdirSync(work).sort();
    const r = run(...(args as string[]));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(text);
    expect(r.stderr.trim().split('\n').length).toBe(1);
    expect(r.stdout).toBe('');
    expect(readdirSync(work).sort()).toEqual(before);
  });

  it('refuses to replace a directory that is not a report', () => {
    const precious = join(work, 'precious');
    mkdirSync(join(precious, 'data'), { recursive: true });
    const r = run(fixtures, '--out', precious);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('refusing to replace');
    expect(readdirSync(precious)).toEqual(['data']);
  });
});
