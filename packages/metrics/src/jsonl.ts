/**
 * JSON Lines files (`metrics.jsonl`, `eval.jsonl`): one JSON object per line, `\n`-terminated.
 *
 * Conventions (also in README.md):
 * - Each record is written with ONE append of the complete line (`{...}\n`) to a file opened with
 *   O_APPEND, so a crash leaves at most one incomplete line, at the end (a "torn tail").
 * - Keys keep the order given (JS insertion order; integer-like keys such as `"0"` would be moved
 *   first by JavaScript itself, and metric keys never look like that).
 * - Numbers are written by `JSON.stringify` (ECMAScript Number::toString: the shortest decimal that
 *   round-trips), so identical values give byte-identical text. `-0` is written as `0`.
 * - Non-finite numbers are written as the JSON strings `"NaN"`, `"Infinity"`, `"-Infinity"` and
 *   read back as numbers by `readJsonl`. These three strings are therefore reserved: a string field
 *   with exactly that text comes back as a number.
 * - A line counts as complete only when its `\n` was written. Everything after the last `\n`, and a
 *   last line that does not parse, is a torn tail: ignored by `readJsonl`, cut by `truncateTornTail`.
 *   An unparsable line followed by more lines is corruption and an error naming file and line.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JsonValue } from '@varshare/base';

/** JSON values, owned by `@varshare/base`. */
export type { JsonValue } from '@varshare/base';

/** One line of a JSONL file: a JSON object. */
export type JsonRecord = { readonly [key: string]: JsonValue };

const NON_FINITE_TEXT: ReadonlyMap<string, number> = new Map([
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
]);

function encodeNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function decodeNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? (NON_FINITE_TEXT.get(value) ?? value) : value;
}

/** JSON text of a value with the non-finite convention (`NaN` → `"NaN"`, ±`Infinity` → `"±Infinity"`). */
export function stringifyJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, encodeNonFinite, indent);
  if (text === undefined) throw new TypeError('value is not representable as JSON');
  return text;
}

/** Parses JSON text and turns the strings `"NaN"`, `"Infinity"`, `"-Infinity"` back into numbers. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, decodeNonFinite) as unknown;
}

/** One record as it appears on disk: its JSON text plus `\n`. Throws if `record` is not a plain object. */
export function serializeRecord(record: JsonRecord): string {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new TypeError('a JSONL record must be a JSON object');
  }
  return `${stringifyJson(record)}\n`;
}

/** A JSONL file line that is not valid JSON (or not an object) and is not the last line. */
export class JsonlCorruptError extends Error {
  override readonly name = 'JsonlCorruptError';
  constructor(
    readonly file: string,
    /** 1-based line number. */
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: corrupt JSONL line (${detail})`);
  }
}

/** Options of `JsonlWriter`. */
export interface JsonlWriterOptions {
  /** fsync after every append (durable against power loss, ~ms per line). Defaults to false; call `sync()` before checkpointing instead. */
  readonly fsyncEachAppend?: boolean;
}

/**
 * Appends records to a JSONL file, one complete line per write. Creates the file (and parent
 * directories) if needed. Refuses to open a file whose last line is incomplete: run
 * `truncateTornTail` (or `truncateAfterUpdate`) first, otherwise the next record would be glued to
 * the torn bytes and corrupt the middle of the file.
 */
export class JsonlWriter {
  private fd: number | undefined;
  private readonly fsyncEachAppend: boolean;

  constructor(
    readonly path: string,
    options: JsonlWriterOptions = {},
  ) {
    this.fsyncEachAppend = options.fsyncEachAppend ?? false;
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'a+');
    try {
      const size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) {
          throw new Error(`${path}: last line is incomplete (torn tail); call truncateTornTail() before appending`);
        }
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.fd = fd;
  }

  /** Writes `record` as one line. Throws after `close()`. */
  append(record: JsonRecord): void {
    if (this.fd === undefined) throw new Error(`${this.path}: JsonlWriter is closed`);
    const bytes = Buffer.from(serializeRecord(record), 'utf8');
    // One write(2) normally takes the whole line; loop only for the rare short write.
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    if (this.fsyncEachAppend) fsyncSync(this.fd);
  }

  /** fsync: every appended record is on disk. Call before writing a checkpoint, so resume never finds fewer records than the checkpoint covers. */
  sync(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  /** Syncs and closes the file. Idempotent. */
  close(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

/** Result of `readJsonl`. */
export interface JsonlReadResult {
  /** Complete records in file order. */
  readonly records: readonly JsonRecord[];
  /** True when an incomplete/unparsable last line was ignored. */
  readonly tornTail: boolean;
}

interface ScannedLine {
  readonly record: JsonRecord;
  /** Byte offset of the line start. */
  readonly start: number;
  /** Byte offset just after the line's `\n`. */
  readonly end: number;
}

interface Scan {
  readonly lines: readonly ScannedLine[];
  /** Byte offset after the last good line (and any blank lines before the torn tail). */
  readonly goodEnd: number;
  readonly tornTail: boolean;
}

function parseLine(text: string): { ok: true; record: JsonRecord } | { ok: false; detail: string } {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, detail: 'not a JSON object' };
  }
  return { ok: true, record: value as JsonRecord };
}

function scan(buf: Buffer, file: string): Scan {
  const lines: ScannedLine[] = [];
  let start = 0;
  let lineNo = 0;
  let goodEnd = 0;
  let pending: { lineNo: number; detail: string; start: number } | undefined;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) {
      // Bytes after the last `\n`: the write of this line did not finish.
      if (pending) throw new JsonlCorruptError(file, pending.lineNo, pending.detail);
      return { lines, goodEnd, tornTail: true };
    }
    lineNo++;
    const text = buf.toString('utf8', start, nl);
    const end = nl + 1;
    if (text.trim() === '') {
      if (!pending) goodEnd = end;
    } else {
      // An unparsable line is only a torn tail if nothing but blank lines follow it.
      if (pending) throw new JsonlCorruptError(file, pending.lineNo, pending.detail);
      const parsed = parseLine(text);
      if (parsed.ok) {
        lines.push({ record: parsed.record, start, end });
        goodEnd = end;
      } else {
        pending = { lineNo, detail: parsed.detail, start };
      }
    }
    start = end;
  }
  return { lines, goodEnd, tornTail: pending !== undefined };
}

/**
 * Reads all complete records. A torn last line is ignored and reported (`tornTail: true`); a bad
 * line before the last one throws `JsonlCorruptError` (file + 1-based line). Blank lines are skipped.
 * A missing file throws the usual ENOENT error.
 */
export function readJsonl(path: string): JsonlReadResult {
  const { lines, tornTail } = scan(readFileSync(path), path);
  return { records: lines.map((l) => l.record), tornTail };
}

function truncateTo(path: string, length: number): void {
  truncateSync(path, length);
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Result of the truncation helpers. */
export interface JsonlTruncateResult {
  /** Records left in the file. */
  readonly kept: number;
  /** Complete records removed (not counting a torn tail). */
  readonly removed: number;
  /** True when a torn tail was removed. */
  readonly tornTail: boolean;
  /** Bytes removed in total. */
  readonly removedBytes: number;
}

/**
 * Cuts the torn tail (if any) so the file ends after its last complete line, ready for
 * `JsonlWriter`. A missing file is left missing (nothing to repair). Throws `JsonlCorruptError` on
 * corruption before the last line.
 */
export function truncateTornTail(path: string): JsonlTruncateResult {
  return truncateAfter(path, () => false);
}

/**
 * Keeps the records before the first one for which `isPast(record, index)` is true and removes it
 * and everything after it (including a torn tail). Used on resume: the file then holds exactly the
 * records an uninterrupted run had written at the checkpoint, and appending continues byte-identically.
 * The kept prefix is not rewritten (in-place truncate + fsync). A missing file gives all zeros.
 */
export function truncateAfter(path: string, isPast: (record: JsonRecord, index: number) => boolean): JsonlTruncateResult {
  if (!existsSync(path)) return { kept: 0, removed: 0, tornTail: false, removedBytes: 0 };
  const buf = readFileSync(path);
  const { lines, goodEnd, tornTail } = scan(buf, path);
  let cut = goodEnd;
  let kept = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as ScannedLine;
    if (isPast(line.record, i)) {
      cut = line.start;
      kept = i;
      break;
    }
  }
  if (cut < buf.length) truncateTo(path, cut);
  return { kept, removed: lines.length - kept, tornTail, removedBytes: buf.length - cut };
}

/**
 * `truncateAfter` for the run-directory files: keeps records with `update <= lastUpdate` (the
 * update of the checkpoint being resumed). Stops at the first record with a larger or missing/non-numeric
 * `update`, so records stay a prefix of the file.
 */
export function truncateAfterUpdate(path: string, lastUpdate: number): JsonlTruncateResult {
  return truncateAfter(path, (r) => {
    const u = r['update'];
    return typeof u !== 'number' || !(u <= lastUpdate);
  });
}
