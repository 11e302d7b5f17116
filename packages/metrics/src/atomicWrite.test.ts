import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicTempPath, isAtomicTempFile, writeFileAtomic, writeJsonAtomic } from './atomicWrite';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'metrics-atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('uses a unique temp file in the same directory', () => {
    const target = join(dir, 'summary.json');
    const a = atomicTempPath(target);
    const b = atomicTempPath(target);
    expect(dirname(a)).toBe(dir);
    expect(a).not.toBe(b);
    expect(basename(a).startsWith('summary.json.tmp-')).toBe(true);
    expect(isAtomicTempFile(basename(a))).toBe(true);
    expect(isAtomicTempFile('summary.json')).toBe(false);
  });

  it('replaces the file and leaves no temp file behind', () => {
    const target = join(dir, 'ckpt.bin');
    writeFileSync(target, 'old');
    writeFileAtomic(target, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(target)]).toEqual([1, 2, 3]);
    writeFileAtomic(target, 'text', { fsync: false });
    expect(readFileSync(target, 'utf8')).toBe('text');
    expect(readdirSync(dir)).toEqual(['ckpt.bin']);
  });

  it('on failure keeps the old content and removes the temp file', () => {
    // rename(file → existing non-empty directory) fails after the temp file was fully written.
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x');
    expect(() => writeFileAtomic(target, 'new content')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('x');
  });

  it('fails cleanly when the directory does not exist', () => {
    expect(() => writeFileAtomic(join(dir, 'nope', 'f.json'), '{}')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('writeJsonAtomic', () => {
  it('writes indented JSON with a trailing newline and the non-finite convention', () => {
    const target = join(dir, 's.json');
    writeJsonAtomic(target, { status: 'completed', x: Number.NaN });
    expect(readFileSync(target, 'utf8')).toBe('{\n  "status": "completed",\n  "x": "NaN"\n}\n');
  });
});
