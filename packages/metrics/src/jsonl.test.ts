import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  JsonlCorruptError,
  JsonlWriter,
  parseJson,
  readJsonl,
  serializeRecord,
  stringifyJson,
  truncateAfter,
  truncateAfterUpdate,
  truncateTornTail,
} from './jsonl';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'metrics-jsonl-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('serializeRecord', () => {
  it('keeps key order, ends with one newline and writes identical values identically', () => {
    const a = serializeRecord({ update: 1, env_steps: 2048, 'losses/policy_loss': 0.1 + 0.2 });
    expect(a).toBe('{"update":1,"env_steps":2048,"losses/policy_loss":0.30000000000000004}\n');
    // Same values computed differently → same bytes.
    expect(serializeRecord({ update: 1, env_steps: 2048, 'losses/policy_loss': 0.30000000000000004 })).toBe(a);
    expect(serializeRecord({ b: 1, a: 2 })).toBe('{"b":1,"a":2}\n');
  });

  it('writes non-finite numbers as strings and reads them back as numbers', () => {
    const line = serializeRecord({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY, d: -0, e: [Number.NaN] });
    expect(line).toBe('{"a":"NaN","b":"Infinity","c":"-Infinity","d":0,"e":["NaN"]}\n');
    const back = parseJson(line) as Record<string, unknown>;
    expect(back['a']).toBeNaN();
    expect(back['b']).toBe(Number.POSITIVE_INFINITY);
    expect(back['c']).toBe(Number.NEGATIVE_INFINITY);
    expect(back['e']).toEqual([Number.NaN]);
    expect(stringifyJson({ x: Number.NaN }, 2)).toBe('{\n  "x": "NaN"\n}');
  });

  it('rejects non-objects', () => {
    expect(() => serializeRecord([1, 2] as never)).toThrow(TypeError);
    expect(() => serializeRecord(null as never)).toThrow(TypeError);
  });
});

describe('JsonlWriter + readJsonl', () => {
  it('appends one line per record and reads them back', () => {
    const path = join(dir, 'sub', 'metrics.jsonl');
    const w = new JsonlWriter(path);
    w.append({ update: 1, x: 1.5 });
    w.append({ update: 2, x: Number.NaN });
    w.sync();
    w.close();
    w.close();
    expect(() => w.append({ update: 3 })).toThrow(/closed/);
    expect(readFileSync(path, 'utf8')).toBe('{"update":1,"x":1.5}\n{"update":2,"x":"NaN"}\n');
    const { records, tornTail } = readJsonl(path);
    expect(tornTail).toBe(false);
    expect(records).toHaveLength(2);
    expect(records[1]?.['x']).toBeNaN();
  });

  it('reopening appends after existing lines', () => {
    const path = join(dir, 'm.jsonl');
    const w1 = new JsonlWriter(path, { fsyncEachAppend: true });
    w1.append({ update: 1 });
    w1.close();
    const w2 = new JsonlWriter(path);
    w2.append({ update: 2 });
    w2.close();
    expect(readFileSync(path, 'utf8')).toBe('{"update":1}\n{"update":2}\n');
  });

  it('ignores and reports a torn last line written by hand', () => {
    const path = join(dir, 'm.jsonl');
    writeFileSync(path, '{"update":1}\n{"update":2}\n{"update":3,"x":0.12');
    const r = readJsonl(path);
    expect(r.tornTail).toBe(true);
    expect(r.records).toEqual([{ update: 1 }, { update: 2 }]);
  });

  it('treats an unterminated but parsable last line as torn (its newline was never written)', () => {
    const path = join(dir, 'm.jsonl');
    writeFileSync(path, '{"update":1}\n{"update":2}');
    expect(readJsonl(path)).toEqual({ records: [{ update: 1 }], tornTail: true });
  });

  it('treats a newline-terminated garbage last line (e.g. NUL fill after a crash) as torn', () => {
    const path = join(dir, 'm.jsonl');
    writeFileSync(path, '{"update":1}\n\u0000\u0000\u0000\n\n');
    expect(readJsonl(path)).toEqual({ records: [{ update: 1 }], tornTail: true });
  });

  it('throws JsonlCorruptError naming file and line for a corrupt middle line', () => {
    const path = join(dir, 'm.jsonl');
    writeFileSync(path, '{"update":1}\n{"update":\n{"update":3}\n');
    let caught: unknown;
    try {
      readJsonl(path);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JsonlCorruptError);
    expect((caught as JsonlCorruptError).line).toBe(2);
    expect((caught as JsonlCorruptError).file).toBe(path);
    expect((caught as Error).message).toContain(`${path}:2`);
    // A non-object line in the middle is corrupt as well.
    writeFileSync(path, '{"update":1}\n[1,2]\n{"update":3}\n');
    expect(() => readJsonl(path)).toThrow(/:2: corrupt JSONL line \(not a JSON object\)/);
    // A corrupt line followed by a torn tail is still corruption.
    writeFileSync(path, '{"update":1}\nxx\n{"upd');
    expect(() => readJsonl(path)).toThrow(JsonlCorruptError);
  });

  it('skips blank lines and reads an empty file as no records', () => {
    const path = join(dir, 'm.jsonl');
    writeFileSync(path, '');
    expect(readJsonl(path)).toEqual({ records: [], tornTail: false });
    writeFileSync(path, '{"a":1}\n\n{"a":2}\n');
    expect(readJsonl(path).records).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('refuses to append after a torn tail until it is truncated', () => {
    const path = join(dir, 'm.jsonl');
    writeFileSync(path, '{"update":1}\n{"upd');
    expect(() => new JsonlWriter(path)).toThrow(/torn tail/);
    const t = truncateTornTail(path);
    expect(t).toEqual({ kept: 1, removed: 0, tornTail: true, removedBytes: 5 });
    const w = new JsonlWriter(path);
    w.append({ update: 2 });
    w.close();
    expect(readFileSync(path, 'utf8')).toBe('{"update":1}\n{"update":2}\n');
    expect(truncateTornTail(path)).toEqual({ kept: 2, removed: 0, tornTail: false, removedBytes: 0 });
  });
});

describe('resume truncation', () => {
  it('a killed-and-resumed file equals the uninterrupted one byte for byte', () => {
    const rec = (u: number) => ({ update: u, env_steps: u * 512, 'losses/value_loss': 1 / u });
    // Uninterrupted run: updates 1..6.
    const straight = join(dir, 'straight.jsonl');
    const ws = new JsonlWriter(straight);
    for (let u = 1; u <= 6; u++) ws.append(rec(u));
    ws.close();
    // Interrupted: wrote 1..4 (checkpoint at 3), then died mid-line while writing 5.
    const resumed = join(dir, 'resumed.jsonl');
    const w1 = new JsonlWriter(resumed);
    for (let u = 1; u <= 4; u++) w1.append(rec(u));
    w1.close();
    appendFileSync(resumed, serializeRecord(rec(5)).slice(0, 10));
    // Resume from the checkpoint at update 3: drop 4 and the torn 5, then redo 4..6.
    expect(truncateAfterUpdate(resumed, 3)).toMatchObject({ kept: 3, removed: 1, tornTail: true });
    const w2 = new JsonlWriter(resumed);
    for (let u = 4; u <= 6; u++) w2.append(rec(u));
    w2.close();
    expect(readFileSync(resumed)).toEqual(readFileSync(straight));
  });

  it('truncateAfter cuts at the first matching record and leaves the prefix untouched', () => {
    const path = join(dir, 'e.jsonl');
    writeFileSync(path, '{"update":2}\n{"update":4}\n{"update":6}\n');
    expect(truncateAfter(path, (r) => (r['update'] as number) > 4)).toEqual({ kept: 2, removed: 1, tornTail: false, removedBytes: 13 });
    expect(readFileSync(path, 'utf8')).toBe('{"update":2}\n{"update":4}\n');
    // Nothing past: nothing removed.
    expect(truncateAfterUpdate(path, 100)).toMatchObject({ kept: 2, removed: 0 });
    // Checkpoint before every record: file becomes empty.
    expect(truncateAfterUpdate(path, 0)).toMatchObject({ kept: 0, removed: 2 });
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('treats a record without numeric update as past the checkpoint, and a missing file as empty', () => {
    const path = join(dir, 'e.jsonl');
    writeFileSync(path, '{"update":1}\n{"note":"x"}\n{"update":2}\n');
    expect(truncateAfterUpdate(path, 5)).toMatchObject({ kept: 1, removed: 2 });
    expect(truncateAfterUpdate(join(dir, 'missing.jsonl'), 3)).toEqual({ kept: 0, removed: 0, tornTail: false, removedBytes: 0 });
  });

  it('refuses to truncate a file with a corrupt middle line', () => {
    const path = join(dir, 'e.jsonl');
    writeFileSync(path, '{"update":1}\n{bad\n{"update":2}\n');
    expect(() => truncateAfterUpdate(path, 1)).toThrow(JsonlCorruptError);
    expect(readFileSync(path, 'utf8')).toBe('{"update":1}\n{bad\n{"update":2}\n');
  });
});
