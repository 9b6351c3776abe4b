// The wire between the host and the sandbox's entry: fd 3, a socketpair, carrying frames of
// [u32 length][tagged JSON]. Not Node's IPC channel: setting it up in the child loads
// child_process, net and the streams; nor node:v8's serializer, which loads the streams too
// (heap snapshots). Each of those costs more than the rest of the entry. The tags keep what
// structured clone would that observations use (BigInt capability masks, Map, Set, NaN,
// Infinity, array holes).
import { readSync, writeSync } from 'node:fs';

export const CHANNEL_FD = 3;

const TAG = '\u0000nslab';
type Tagged = { [TAG]: 'bigint' | 'map' | 'set' | 'undefined' | 'number'; v?: unknown };

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `value` has been through toJSON already; the holder still has the original.
  const raw = (this as Record<string, unknown>)[key];
  if (typeof raw === 'bigint') return { [TAG]: 'bigint', v: raw.toString() };
  // Only array slots: an undefined property is as good as a missing one, and JSON drops it.
  if (raw === undefined && Array.isArray(this)) return { [TAG]: 'undefined' };
  if (typeof raw === 'number' && !Number.isFinite(raw)) return { [TAG]: 'number', v: String(raw) };
  if (raw instanceof Map) return { [TAG]: 'map', v: [...raw] };
  if (raw instanceof Set) return { [TAG]: 'set', v: [...raw] };
  if (typeof raw === 'function' || typeof raw === 'symbol') {
    throw new TypeError(`${key || 'the value'} is a ${typeof raw}, which cannot leave the sandbox`);
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !(TAG in value)) return value;
  const t = value as Tagged;
  switch (t[TAG]) {
    case 'bigint':
      return BigInt(t.v as string);
    case 'undefined':
      return undefined;
    case 'number':
      return Number(t.v);
    case 'map':
      return new Map(t.v as [unknown, unknown][]);
    case 'set':
      return new Set(t.v as unknown[]);
  }
}

const serialize = (msg: unknown): Buffer => Buffer.from(JSON.stringify(msg, replacer) ?? 'null');
const deserialize = (body: Buffer): unknown => JSON.parse(body.toString('utf8'), reviver);

export function encode(msg: unknown): Buffer {
  const body = serialize(msg);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32LE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Turns a byte stream back into messages, however the chunks fall. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): unknown[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: unknown[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32LE(0);
      if (this.buf.length < 4 + len) break;
      out.push(deserialize(this.buf.subarray(4, 4 + len)));
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}

function readExactly(fd: number, n: number): Buffer {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const r = readSync(fd, buf, got, n - got, null);
    if (r === 0) throw new Error('the host closed the channel');
    got += r;
  }
  return buf;
}

/** One whole frame, blocking: only for the first message, before the event loop has work. Reads
 * exactly the frame's bytes, so a reader that takes over the fd later starts at a boundary. */
export function readFrameSync(fd = CHANNEL_FD): unknown {
  const len = readExactly(fd, 4).readUInt32LE(0);
  return deserialize(readExactly(fd, len));
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes a frame whole before returning, so process.exit() right after loses nothing. The fd
 * turns non-blocking once a reader socket wraps it; then a full socket buffer means wait for
 * the host to drain it (it always reads), not give up. */
export function writeFrameSync(frame: Buffer, fd = CHANNEL_FD): void {
  let off = 0;
  while (off < frame.length) {
    try {
      off += writeSync(fd, frame, off, frame.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
