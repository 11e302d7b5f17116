/**
 * TensorBoard event files written by hand (no TensorBoard writer exists on npm; TOOLCHAIN-NOTES.md).
 *
 * File = sequence of TFRecord records:
 *   [u64 LE payload length][u32 LE masked CRC32C of those 8 bytes][payload][u32 LE masked CRC32C of payload]
 * with masked(crc) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8 (mod 2^32) and CRC32C = Castagnoli,
 * reflected polynomial 0x82F63B78.
 *
 * Payload = `tensorflow.Event` protobuf (tensorflow/core/util/event.proto; field numbers checked
 * against the published proto):
 *   Event   { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3;
 *             Summary summary = 5; SessionLog session_log = 7; ... } }
 *   Summary { repeated Value value = 1; }          (tensorflow/core/framework/summary.proto)
 *   Summary.Value { string tag = 1; oneof value { float simple_value = 2; ... } }
 *   SessionLog { SessionStatus status = 1; ... }  with START = 1
 * The first event of a file carries `file_version = "brain.Event:2"`.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { TFEVENTS_PREFIX } from './runDir';

// ── CRC32C ──────────────────────────────────────────────────────────────────────────────────────
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC32C (Castagnoli) of `data`: init 0xFFFFFFFF, reflected, final xor 0xFFFFFFFF. `crc32c("123456789") = 0xE3069283`. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    c = (CRC32C_TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC32C: `((crc >>> 15) | (crc << 17)) + 0xa282ead8` as uint32. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Wraps a payload into one TFRecord (length, masked CRC of length, payload, masked CRC of payload). */
export function frameRecord(payload: Uint8Array): Uint8Array {
  const out = Buffer.alloc(8 + 4 + payload.length + 4);
  out.writeBigUInt64LE(BigInt(payload.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(payload, 12);
  out.writeUInt32LE(maskedCrc32c(payload), 12 + payload.length);
  return out;
}

// ── protobuf encoding (only the wire types we need) ─────────────────────────────────────────────
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

class ProtoWriter {
  private readonly parts: number[] = [];

  private varint(value: bigint): void {
    // int64 on the wire: two's complement in 64 bits, 7 bits per byte, low group first.
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
  }

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  double(field: number, value: number): this {
    this.key(field, WIRE_FIXED64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value, 0);
    this.parts.push(...b);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value, 0);
    this.parts.push(...b);
    return this;
  }

  int64(field: number, value: number): this {
    this.key(field, WIRE_VARINT);
    this.varint(BigInt(value));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.varint(BigInt(value.length));
    for (const byte of value) this.parts.push(byte);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** The `file_version` every event file starts with. */
export const EVENT_FILE_VERSION = 'brain.Event:2';

function checkStep(step: number): void {
  if (!Number.isSafeInteger(step)) throw new RangeError(`TensorBoard step must be a safe integer, got ${step}`);
}

/** Event `{ wall_time, file_version: "brain.Event:2" }` (the first event of a file). */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).string(3, EVENT_FILE_VERSION).finish();
}

/**
 * Event `{ wall_time, step, summary: { value: [{ tag, simple_value }, ...] } }`, values in the
 * record's key order. simple_value is float32, so values are rounded to single precision.
 */
export function encodeScalarsEvent(wallTime: number, step: number, record: Readonly<Record<string, number>>): Uint8Array {
  checkStep(step);
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(record)) {
    summary.bytes(1, new ProtoWriter().string(1, tag).float(2, value).finish());
  }
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}

/**
 * Event `{ wall_time, step, session_log: { status: START } }`. TensorBoard's event accumulator
 * treats it as a restart and drops already-loaded points with step >= `step` ("orphaned" data of an
 * interrupted run), so pass the FIRST step the resumed run will write (checkpoint update + 1).
 */
export function encodeSessionStartEvent(wallTime: number, step: number): Uint8Array {
  checkStep(step);
  const sessionLog = new ProtoWriter().int64(1, 1).finish();
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(7, sessionLog).finish();
}

/** Options of `TensorBoardWriter`. */
export interface TensorBoardWriterOptions {
  /** Integer seconds in the file name `events.out.tfevents.<timestamp>.<hostname>`; passed in so tests and reruns control it. */
  readonly timestamp: number;
  /** Host name in the file name. Defaults to `os.hostname()`. */
  readonly hostname?: string;
  /** wall_time of the file_version event (seconds). Defaults to `timestamp`. */
  readonly wallTime?: number;
}

/**
 * Writes scalars to a new event file in `logDir` (created if needed). Events are buffered in memory
 * until `flush()`/`close()`. If the file name is taken (same timestamp and host), `.1`, `.2`, ... is
 * appended; TensorBoard reads any file whose name contains `tfevents`.
 */
export class TensorBoardWriter {
  /** Path of the event file. */
  readonly path: string;
  private fd: number | undefined;
  private pending: Uint8Array[] = [];

  constructor(logDir: string, options: TensorBoardWriterOptions) {
    if (!Number.isSafeInteger(options.timestamp) || options.timestamp < 0) {
      throw new RangeError(`timestamp must be a non-negative integer (seconds), got ${options.timestamp}`);
    }
    const host = (options.hostname ?? osHostname()).replace(/[/\\]/g, '_');
    mkdirSync(logDir, { recursive: true });
    const base = join(logDir, `${TFEVENTS_PREFIX}${options.timestamp}.${host}`);
    let path = base;
    for (let n = 1; existsSync(path); n++) path = `${base}.${n}`;
    this.path = path;
    this.fd = openSync(path, 'wx');
    this.pending.push(frameRecord(encodeFileVersionEvent(options.wallTime ?? options.timestamp)));
    this.flush();
  }

  /** Queues one event holding every entry of `record` as a scalar at `step`. */
  addScalars(step: number, record: Readonly<Record<string, number>>, wallTime: number): void {
    this.assertOpen();
    this.pending.push(frameRecord(encodeScalarsEvent(wallTime, step, record)));
  }

  /** Queues a SessionLog START at `step` = first step written after a resume (checkpoint update + 1), so TensorBoard hides the interrupted run's points from `step` on. */
  addSessionStart(step: number, wallTime: number): void {
    this.assertOpen();
    this.pending.push(frameRecord(encodeSessionStartEvent(wallTime, step)));
  }

  /** Writes queued events to the file (one write of whole records, so a reader never sees half an event unless the process dies mid-write). */
  flush(): void {
    this.assertOpen();
    if (this.pending.length === 0) return;
    const bytes = Buffer.concat(this.pending);
    this.pending = [];
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd as number, bytes, off, bytes.length - off);
  }

  /**
   * Flushes and fsyncs: every queued event is on disk. The trainer calls it with each update, as it
   * syncs metrics.jsonl, so a killed run loses no event that its checkpoint covers.
   */
  sync(): void {
    this.flush();
    fsyncSync(this.fd as number);
  }

  /** Flushes, fsyncs and closes. Idempotent. */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private assertOpen(): void {
    if (this.fd === undefined) throw new Error(`${this.path}: TensorBoardWriter is closed`);
  }
}
