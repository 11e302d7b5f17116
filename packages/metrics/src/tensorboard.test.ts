import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import protobuf from 'protobufjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32c, frameRecord, maskedCrc32c, TensorBoardWriter } from './tensorboard';

// Published field numbers: tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto.
const PROTO = `
syntax = "proto3";
package tensorflow;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    SessionLog session_log = 7;
  }
}
message SessionLog {
  enum SessionStatus { STATUS_UNSPECIFIED = 0; START = 1; STOP = 2; CHECKPOINT = 3; }
  SessionStatus status = 1;
  string checkpoint_path = 2;
  string msg = 3;
}
message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
    }
  }
  repeated Value value = 1;
}
`;
const Event = protobuf.parse(PROTO, { keepCase: true }).root.lookupType('tensorflow.Event');

/** Independent bitwise CRC32C (no table): reflected Castagnoli polynomial 0x82F63B78. */
function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function maskBitwise(data: Uint8Array): number {
  const c = crc32cBitwise(data);
  // rotate right by 15, add the TFRecord delta, mod 2^32
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) % 0x100000000 >>> 0;
}

interface DecodedEvent {
  wall_time: number;
  step: number;
  file_version?: string;
  summary?: { value: { tag: string; simple_value: number }[] };
  session_log?: { status: number };
}

/** Reads every record, checking both CRCs with the bitwise implementation. */
function readEventFile(path: string): DecodedEvent[] {
  const buf = readFileSync(path);
  const events: DecodedEvent[] = [];
  let off = 0;
  while (off < buf.length) {
    const lenBytes = buf.subarray(off, off + 8);
    const len = Number(buf.readBigUInt64LE(off));
    expect(buf.readUInt32LE(off + 8)).toBe(maskBitwise(lenBytes));
    const payload = buf.subarray(off + 12, off + 12 + len);
    expect(buf.readUInt32LE(off + 12 + len)).toBe(maskBitwise(payload));
    const msg = Event.decode(payload);
    events.push(Event.toObject(msg, { longs: Number, defaults: true, oneofs: false }) as unknown as DecodedEvent);
    off += 12 + len + 4;
  }
  expect(off).toBe(buf.length);
  return events;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'metrics-tb-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('crc32c', () => {
  it('gives the standard check value and agrees with a bitwise implementation', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32c(check)).toBe(0xe3069283);
    expect(crc32cBitwise(check)).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI) B.4 test vector: 32 bytes of zeros → 0x8A9136AA.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);
    expect(crc32c(bytes)).toBe(crc32cBitwise(bytes));
    expect(maskedCrc32c(bytes)).toBe(maskBitwise(bytes));
  });

  it('frames a record as [len u64][mask(len)][payload][mask(payload)]', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const rec = Buffer.from(frameRecord(payload));
    expect(rec.length).toBe(8 + 4 + 3 + 4);
    expect(rec.readBigUInt64LE(0)).toBe(3n);
    expect(rec.readUInt32LE(8)).toBe(maskBitwise(rec.subarray(0, 8)));
    expect([...rec.subarray(12, 15)]).toEqual([1, 2, 3]);
    expect(rec.readUInt32LE(15)).toBe(maskBitwise(payload));
  });
});

describe('TensorBoardWriter', () => {
  it('writes a file that decodes with the published Event/Summary schema', () => {
    const w = new TensorBoardWriter(join(dir, 'run'), { timestamp: 1700000000, hostname: 'testhost', wallTime: 1700000000.25 });
    expect(basename(w.path)).toBe('events.out.tfevents.1700000000.testhost');
    w.addScalars(1, { 'train/return_mean': 21.5, 'losses/policy_loss': -0.125, 'charts/SPS': 1234 }, 1700000001.5);
    w.addScalars(2, { 'train/return_mean': 0.1, nan: Number.NaN, inf: Number.POSITIVE_INFINITY }, 1700000002.5);
    w.addScalars(2 ** 40, { big: 1 }, 1700000003);
    w.addSessionStart(2, 1700000004);
    w.close();
    w.close();
    expect(() => w.addScalars(3, { a: 1 }, 0)).toThrow(/closed/);

    const events = readEventFile(w.path);
    expect(events).toHaveLength(5);
    expect(events[0]).toMatchObject({ wall_time: 1700000000.25, step: 0, file_version: 'brain.Event:2' });
    expect(events[0]?.summary).toBeUndefined();

    expect(events[1]).toMatchObject({ wall_time: 1700000001.5, step: 1 });
    expect(events[1]?.summary?.value).toEqual([
      { tag: 'train/return_mean', simple_value: 21.5, node_name: '' },
      { tag: 'losses/policy_loss', simple_value: -0.125, node_name: '' },
      { tag: 'charts/SPS', simple_value: 1234, node_name: '' },
    ]);
    const v2 = events[2]?.summary?.value ?? [];
    expect(events[2]?.step).toBe(2);
    expect(v2.map((v) => v.tag)).toEqual(['train/return_mean', 'nan', 'inf']);
    expect(v2[0]?.simple_value).toBe(Math.fround(0.1)); // float32 on the wire
    expect(v2[1]?.simple_value).toBeNaN();
    expect(v2[2]?.simple_value).toBe(Number.POSITIVE_INFINITY);
    expect(events[3]?.step).toBe(2 ** 40);
    expect(events[4]).toMatchObject({ step: 2, session_log: { status: 1 } });
  });

  it('buffers until flush and never reuses an existing file name', () => {
    const w1 = new TensorBoardWriter(dir, { timestamp: 5, hostname: 'h' });
    w1.addScalars(1, { a: 1 }, 6);
    expect(readEventFile(w1.path)).toHaveLength(1); // only file_version so far
    w1.flush();
    expect(readEventFile(w1.path)).toHaveLength(2);
    w1.addScalars(2, { a: 2 }, 7);
    w1.sync();
    expect(readEventFile(w1.path)).toHaveLength(3);
    w1.close();
    const w2 = new TensorBoardWriter(dir, { timestamp: 5, hostname: 'h' });
    w2.close();
    expect(readdirSync(dir).sort()).toEqual(['events.out.tfevents.5.h', 'events.out.tfevents.5.h.1']);
    expect(readEventFile(w2.path)[0]).toMatchObject({ wall_time: 5, file_version: 'brain.Event:2' });
  });

  it('produces identical bytes for identical input', () => {
    const write = (sub: string) => {
      const w = new TensorBoardWriter(join(dir, sub), { timestamp: 9, hostname: 'h' });
      w.addScalars(3, { x: 1.25, y: -2 }, 10);
      w.close();
      return readFileSync(w.path);
    };
    expect(write('a')).toEqual(write('b'));
  });

  it('rejects bad timestamps and steps', () => {
    expect(() => new TensorBoardWriter(dir, { timestamp: 1.5, hostname: 'h' })).toThrow(RangeError);
    const w = new TensorBoardWriter(dir, { timestamp: 1, hostname: 'h' });
    expect(() => w.addScalars(0.5, { a: 1 }, 0)).toThrow(RangeError);
    w.close();
  });
});
