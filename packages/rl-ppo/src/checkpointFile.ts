import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '@varshare/metrics';
import type { Checkpoint, CheckpointJson } from './ppoTrainer';

const MAGIC = 'VSCK1\n';

/**
 * Writes a checkpoint as one file, atomically (temp file + rename): `VSCK1\n`, a u32 length, a JSON
 * header (the JSON state and, per array, name/shape/offset), then the float32 arrays little-endian.
 * A crash mid-write leaves the previous checkpoint intact.
 */
export function saveCheckpoint(path: string, ckpt: Checkpoint): void {
  const index: { name: string; shape: number[]; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(ckpt.arrays)) {
    index.push({ name, shape, offset, length: data.length });
    offset += data.length;
  }
  const header = Buffer.from(JSON.stringify({ json: ckpt.json, arrays: index }), 'utf8');
  const body = Buffer.alloc(offset * 4);
  for (const entry of index) {
    const data = (ckpt.arrays[entry.name] as { data: Float32Array }).data;
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(body, entry.offset * 4);
  }
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  writeFileAtomic(path, Buffer.concat([Buffer.from(MAGIC, 'utf8'), len, header, body]));
}

/** Reads a file written by {@link saveCheckpoint}. */
export function loadCheckpoint(path: string): Checkpoint {
  const buf = readFileSync(path);
  if (buf.subarray(0, MAGIC.length).toString('utf8') !== MAGIC) throw new Error(`${path}: not a VarShare checkpoint`);
  const headerLen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  const header = JSON.parse(buf.subarray(start, start + headerLen).toString('utf8')) as {
    json: CheckpointJson;
    arrays: { name: string; shape: number[]; offset: number; length: number }[];
  };
  const bodyStart = start + headerLen;
  const arrays: Checkpoint['arrays'] = {};
  for (const e of header.arrays) {
    const bytes = buf.subarray(bodyStart + e.offset * 4, bodyStart + (e.offset + e.length) * 4);
    if (bytes.length !== e.length * 4) throw new Error(`${path}: truncated array '${e.name}'`);
    const data = new Float32Array(e.length);
    new Uint8Array(data.buffer).set(bytes);
    arrays[e.name] = { shape: e.shape, data };
  }
  return { json: header.json, arrays };
}
