// The bins run the build only while it is of the sources in the checkout (tools/buildStamp.mjs), and
// the build runs the same training as the sources. The second part needs a stamped build (`npm run
// build`); it is skipped without one — unless VARSHARE_BUILT=1, which makes a missing or stale build a
// failure (.ci/run builds, then sets it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInputs, freshBuild, sourceHash, writeStamp } from '../../../tools/buildStamp.mjs';
import { BIN, TINY, rowsWithoutTiming } from './helpers';

const NO_TYPESCRIPT = new URL('./fixtures/noTypeScript.mjs', import.meta.url).href;
const tmp = mkdtempSync(join(tmpdir(), 'varshare-stamp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A miniature checkout: one package with sources and a test, one app with a built entry. */
function checkout(): string {
  const root = mkdtempSync(join(tmp, 'repo-'));
  const write = (p: string, text: string) => {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  };
  write('packages/x/package.json', '{"name":"x"}');
  write('packages/x/src/a.ts', 'export const a = 1;\n');
  write('packages/x/src/a.test.ts', 'it("a", () => {});\n');
  write('apps/t/src/main.ts', 'import "x";\n');
  write('apps/t/dist/main.js', 'export {};\n');
  write('tsup.shared.ts', 'export default {};\n');
  return root;
}

describe('build stamp', () => {
  it('lists sources, package manifests and tsup settings, not tests or builds', () => {
    const root = checkout();
    expect(buildInputs(root)).toEqual(['apps/t/src/main.ts', 'packages/x/package.json', 'packages/x/src/a.ts', 'tsup.shared.ts']);
  });

  it('selects the build exactly while the stamp matches the sources', () => {
    const root = checkout();
    const entry = 'apps/t/dist/main.js';
    const env = {};
    expect(freshBuild(entry, root, env)).toBeNull(); // no stamp: never built
    writeStamp(sourceHash(root), root);
    expect(freshBuild(entry, root, env)).toBe(join(root, entry));
    expect(freshBuild(entry, root, { VARSHARE_FROM_SOURCE: '1' })).toBeNull();
    expect(freshBuild('apps/t/dist/other.js', root, env)).toBeNull(); // no such entry
    // An edited source, then restored.
    writeFileSync(join(root, 'packages/x/src/a.ts'), 'export const a = 2;\n');
    expect(freshBuild(entry, root, env)).toBeNull();
    writeFileSync(join(root, 'packages/x/src/a.ts'), 'export const a = 1;\n');
    expect(freshBuild(entry, root, env)).toBe(join(root, entry));
    // An added source, then removed; a package manifest edited.
    writeFileSync(join(root, 'packages/x/src/b.ts'), '');
    expect(freshBuild(entry, root, env)).toBeNull();
    unlinkSync(join(root, 'packages/x/src/b.ts'));
    writeFileSync(join(root, 'packages/x/package.json'), '{"name":"x","exports":{}}');
    expect(freshBuild(entry, root, env)).toBeNull();
    writeFileSync(join(root, 'packages/x/package.json'), '{"name":"x"}');
    // A test is no input of the build.
    writeFileSync(join(root, 'packages/x/src/a.test.ts'), 'it("b", () => {});\n');
    expect(freshBuild(entry, root, env)).toBe(join(root, entry));
    // A damaged stamp is no stamp.
    writeFileSync(join(root, '.build-stamp.json'), '{"sourceHash":');
    expect(freshBuild(entry, root, env)).toBeNull();
  });
});

const required = process.env['VARSHARE_BUILT'] === '1';
const built = freshBuild('apps/trainer/dist/main.js');
if (built === null && !required) process.stderr.write("buildStamp.test.ts: the build-vs-sources run is skipped: no current build (run 'npm run build'; VARSHARE_BUILT=1 makes this a failure)\n");

describe.runIf(built !== null || required)('the bin from the build', () => {
  it('is current (npm run build stamped these sources)', () => {
    expect(built).not.toBeNull();
  });

  it('trains the same run as the sources (kernel threads, env shard and evaluation workers included)', () => {
    const run = (name: string, env: Record<string, string>, nodeArgs: string[] = []) => {
      const out = join(tmp, name);
      const r = spawnSync(process.execPath, [...nodeArgs, BIN, 'train', '--suite', 'cartpole-mt', '--variant', 'exp3-ratio-controller', '--seed', '4', '--steps', '960', '--threads', '2', '--out', out, '--no-progress', ...TINY], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      expect(r.status, r.stderr).toBe(0);
      return join(out, 'cartpole-mt', 'exp3-ratio-controller', 'seed-4');
    };
    // The run from the build fails if its main thread loads any TypeScript module.
    const fromBuild = run('built', {}, ['--import', NO_TYPESCRIPT]);
    // …which the guard would catch: the sources under it fail.
    const guarded = spawnSync(process.execPath, ['--import', NO_TYPESCRIPT, BIN, '--help'], { encoding: 'utf8', env: { ...process.env, VARSHARE_FROM_SOURCE: '1' } });
    expect(guarded.status).not.toBe(0);
    expect(guarded.stderr).toMatch(/a TypeScript module was loaded/);
    const fromSource = run('source', { VARSHARE_FROM_SOURCE: '1' });
    expect(rowsWithoutTiming(join(fromBuild, 'metrics.jsonl'))).toEqual(rowsWithoutTiming(join(fromSource, 'metrics.jsonl')));
    expect(readFileSync(join(fromBuild, 'eval.jsonl'), 'utf8')).toBe(readFileSync(join(fromSource, 'eval.jsonl'), 'utf8'));
    const meta = (dir: string) => (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { meta?: { threads?: unknown } }).meta?.threads;
    expect(meta(fromBuild)).toEqual(meta(fromSource));
  }, 180_000);
});
