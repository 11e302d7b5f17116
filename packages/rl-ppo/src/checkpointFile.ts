import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '@varshare/metrics';
import type { Checkpoint, CheckpointJson } from './ppoTrainer';

const MAGIC = 'VSCK1\n';

/** A checkpoint as stored: the trainer state plus who it belongs to. */
export interface CheckpointFile extends Checkpoint {
  /**
   * The run this checkpoint belongs to, as the caller stamped it (the trainer app stores the digest
   * and the resolved config of the run, and checks them on resume). Undefined in older checkpoints.
   */
  readonly run?: unknown;
}

/** A file that is not a complete checkpoint written by {@link saveCheckpoint} (truncated, edited, not one). */
export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
}

interface ArrayIndexEntry {
  readonly name: string;
  readonly shape: number[];
  readonly offset: number;
  readonly length: number;
}

/**
 * Writes a checkpoint as one file, atomically (temp file + rename): `VSCK1\n`, a u32 length, a JSON
 * header (the JSON state, the caller's `run` stamp and, per array, name/shape/offset), then the
 * float32 arrays little-endian. A crash mid-write leaves the previous checkpoint intact.
 */
export function saveCheckpoint(path: string, ckpt: Checkpoint, run?: unknown): void {
  const index: ArrayIndexEntry[] = [];
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(ckpt.arrays)) {
    index.push({ name, shape, offset, length: data.length });
    offset += data.length;
  }
  const header = Buffer.from(JSON.stringify({ json: ckpt.json, arrays: index, ...(run !== undefined ? { run } : {}) }), 'utf8');
  const body = Buffer.alloc(offset * 4);
  for (const entry of index) {
    const data = (ckpt.arrays[entry.name] as { data: Float32Array }).data;
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(body, entry.offset * 4);
  }
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  writeFileAtomic(path, Buffer.concat([Buffer.from(MAGIC, 'utf8'), len, header, body]));
}

const isIndexEntry = (e: unknown): e is ArrayIndexEntry => {
  const v = e as Partial<ArrayIndexEntry> | null;
  return (
    typeof v === 'object' && v !== null && typeof v.name === 'string' && Array.isArray(v.shape) && v.shape.every((d) => Number.isInteger(d) && d >= 0) &&
    Number.isInteger(v.offset) && (v.offset as number) >= 0 && Number.isInteger(v.length) && (v.length as number) >= 0
  );
};

/**
 * Reads a file written by {@link saveCheckpoint}.
 * @throws CheckpointFormatError naming the file and what is wrong (truncated, trailing bytes, bad header)
 */
export function loadCheckpoint(path: string): CheckpointFile {
  const buf = readFileSync(path);
  const bad = (what: string) => new CheckpointFormatError(`${path}: ${what}`);
  if (buf.length < MAGIC.length + 4 || buf.subarray(0, MAGIC.length).toString('utf8') !== MAGIC) {
    throw bad(buf.length === 0 ? 'empty file, not a VarShare checkpoint' : 'not a VarShare checkpoint (no VSCK1 header)');
  }
  const headerLen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerLen > buf.length) throw bad(`truncated: ${buf.length} bytes, the header alone needs ${start + headerLen}`);
  let header: { json?: CheckpointJson; arrays?: unknown; run?: unknown };
  try {
    header = JSON.parse(buf.subarray(start, start + headerLen).toString('utf8')) as typeof header;
  } catch (err) {
    throw bad(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || typeof header.json !== 'object' || header.json === null || !Array.isArray(header.arrays) || !header.arrays.every(isIndexEntry)) {
    throw bad('header does not describe a checkpoint (json state and array index expected)');
  }
  const entries = header.arrays as ArrayIndexEntry[];
  const bodyStart = start + headerLen;
  const floats = entries.reduce((end, e) => Math.max(end, e.offset + e.length), 0);
  const expected = bodyStart + floats * 4;
  if (buf.length < expected) throw bad(`truncated: ${buf.length} bytes, expected ${expected}`);
  if (buf.length > expected) throw bad(`${buf.length - expected} bytes after the last array (expected ${expected} bytes in all)`);
  const arrays: Checkpoint['arrays'] = {};
  for (const e of entries) {
    if (e.shape.reduce((a, b) => a * b, 1) !== e.length) throw bad(`array '${e.name}' has shape [${e.shape.join(', ')}] but ${e.length} values`);
    const data = new Float32Array(e.length);
    new Uint8Array(data.buffer).set(buf.subarray(bodyStart + e.offset * 4, bodyStart + (e.offset + e.length) * 4));
    arrays[e.name] = { shape: e.shape, data };
  }
  return { json: header.json, arrays, ...(header.run !== undefined ? { run: header.run } : {}) };
}
