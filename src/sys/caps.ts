// capget/capset with _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set, combined here into
// 64-bit masks (BigInt), the same shape /proc/PID/status prints as CapEff/CapPrm/CapInh.
import { _LINUX_CAPABILITY_VERSION_3 } from './constants.js';
import { errnoAfter, fn, native } from './libc.js';
import { hex, record, type SysResult } from './trace.js';

export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

// struct __user_cap_header_struct { __u32 version; int pid; }
function header(pid: number): Buffer {
  const b = Buffer.alloc(8);
  native.setU32(b, _LINUX_CAPABILITY_VERSION_3, 0);
  native.setI32(b, pid, 4);
  return b;
}

// struct __user_cap_data_struct { __u32 effective, permitted, inheritable; } [2]: word 0 holds
// capabilities 0-31, word 1 holds 32-63.
const DATA_SIZE = 2 * 12;
const FIELDS = ['effective', 'permitted', 'inheritable'] as const;

function decode(data: Buffer): CapSets {
  const sets = { effective: 0n, permitted: 0n, inheritable: 0n };
  FIELDS.forEach((field, i) => {
    const low = BigInt(native.u32(data, i * 4));
    const high = BigInt(native.u32(data, 12 + i * 4));
    sets[field] = (high << 32n) | low;
  });
  return sets;
}

function encode(sets: CapSets): Buffer {
  const data = Buffer.alloc(DATA_SIZE);
  FIELDS.forEach((field, i) => {
    const mask = sets[field];
    if (typeof mask !== 'bigint' || mask < 0n || mask >= 1n << 64n) {
      throw new TypeError(`capset: ${field} must be a 64-bit BigInt mask, got ${String(mask)}`);
    }
    native.setU32(data, Number(mask & 0xffffffffn), i * 4);
    native.setU32(data, Number(mask >> 32n), 12 + i * 4);
  });
  return data;
}

function showSets(sets: CapSets): string {
  return `{effective=${hex(sets.effective)}, permitted=${hex(sets.permitted)}, inheritable=${hex(sets.inheritable)}}`;
}

/** The capability sets of a thread (pid 0: the calling thread). */
export function capget(pid = 0): SysResult & CapSets {
  const hdr = header(pid);
  const data = Buffer.alloc(DATA_SIZE);
  const ret = fn('int capget(void *hdrp, void *datap)')(hdr, data) as number;
  const code = errnoAfter(ret);
  const sets = ret === 0 ? decode(data) : { effective: 0n, permitted: 0n, inheritable: 0n };
  const result = record(
    `capget({_LINUX_CAPABILITY_VERSION_3, ${pid}}, ${ret === 0 ? showSets(sets) : '...'})`,
    ret,
    code,
  );
  return { ...result, ...sets };
}

/** Sets the calling thread's capabilities (other threads keep theirs). */
export function capset(sets: CapSets): SysResult {
  const data = encode(sets);
  const ret = fn('int capset(void *hdrp, void *datap)')(header(0), data) as number;
  return record(`capset({_LINUX_CAPABILITY_VERSION_3, 0}, ${showSets(sets)})`, ret, errnoAfter(ret));
}
