import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError, loadCheckpoint, saveCheckpoint } from './checkpointFile';
import type { Checkpoint, CheckpointJson } from './ppoTrainer';

const dir = mkdtempSync(join(tmpdir(), 'varshare-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ckpt: Checkpoint = {
  json: { format: 'varshare-ppo-checkpoint/1', update: 3 } as unknown as CheckpointJson,
  arrays: {
    'agent/w': { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    'rollout/obs': { shape: [2], data: Float32Array.from([-0.5, 7]) },
  },
};

function errorOf(path: string): Error {
  try {
    loadCheckpoint(path);
  } catch (err) {
    return err as Error;
  }
  throw new Error('loadCheckpoint accepted a bad file');
}

describe('checkpoint file', () => {
  const path = join(dir, 'a.ckpt');
  saveCheckpoint(path, ckpt, { digest: 'abc', config: { seed: 1 } });
  const bytes = readFileSync(path);

  it('round-trips state, arrays and the run stamp', () => {
    const back = loadCheckpoint(path);
    expect(back.json).toEqual(ckpt.json);
    expect(back.arrays['agent/w']).toEqual(ckpt.arrays['agent/w']);
    expect(back.arrays['rollout/obs']).toEqual(ckpt.arrays['rollout/obs']);
    expect(back.run).toEqual({ digest: 'abc', config: { seed: 1 } });
  });

  it('reads a checkpoint without a run stamp (older files)', () => {
    saveCheckpoint(join(dir, 'plain.ckpt'), ckpt);
    expect(loadCheckpoint(join(dir, 'plain.ckpt')).run).toBeUndefined();
  });

  it('names what is wrong with a truncated, padded, empty or foreign file', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['body cut', bytes.subarray(0, bytes.length - 3), /truncated: \d+ bytes, expected \d+/],
      ['header cut', bytes.subarray(0, 30), /truncated: 30 bytes, the header alone needs/],
      ['trailing bytes', Buffer.concat([bytes, Buffer.from([0, 0, 0, 0])]), /4 bytes after the last array/],
      ['empty', Buffer.alloc(0), /empty file/],
      ['foreign', Buffer.from('{"json": 1}'), /not a VarShare checkpoint/],
    ];
    for (const [name, content, message] of cases) {
      const p = join(dir, `${name}.ckpt`);
      writeFileSync(p, content);
      const err = errorOf(p);
      expect(err, name).toBeInstanceOf(CheckpointFormatError);
      expect(err.message, name).toMatch(message);
      expect(err.message, name).toContain(p);
    }
  });

  it('rejects a header that was edited into invalid JSON', () => {
    const p = join(dir, 'edited.ckpt');
    const edited = Buffer.from(bytes);
    edited[10] = '{'.charCodeAt(0) + 1; // inside the JSON header
    writeFileSync(p, edited);
    expect(errorOf(p).message).toMatch(/header is not valid JSON|does not describe a checkpoint/);
  });
});
