// seccomp(2) through syscall(2) (glibc has no wrapper), plus the few classic-BPF encoders a
// lesson needs to write a filter by hand. Without SECCOMP_FILTER_FLAG_TSYNC the filter lands
// on the calling thread only, and Node's other threads stay unfiltered (see KERNEL-NOTES).
import { SECCOMP_FLAGS, SECCOMP_OPERATIONS, sysno } from './constants.js';
import { errnoAfter, fn, koffi, native } from './libc.js';
import { flagNames, record, valueName, type SysResult } from './trace.js';

const SOCK_FILTER_SIZE = 8;
const BPF_MAXINSNS = 4096;

let fprogType: ReturnType<ReturnType<typeof koffi>['struct']> | null = null;

// struct sock_fprog { unsigned short len; struct sock_filter *filter; }
function sockFprog(): ReturnType<ReturnType<typeof koffi>['struct']> {
  if (!fprogType) fprogType = koffi().struct({ len: 'uint16_t', filter: 'void *' });
  return fprogType;
}

/** One struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }. */
export function sockFilter(code: number, jt: number, jf: number, k: number): Buffer {
  const b = Buffer.alloc(SOCK_FILTER_SIZE);
  native.setU16(b, code, 0);
  b.writeUInt8(jt, 2);
  b.writeUInt8(jf, 3);
  native.setU32(b, k >>> 0, 4);
  return b;
}

export const bpfStmt = (code: number, k: number): Buffer => sockFilter(code, 0, 0, k);
export const bpfJump = (code: number, k: number, jt: number, jf: number): Buffer => sockFilter(code, jt, jf, k);

/** The filter program as the kernel wants it: instructions back to back. */
export function filterProgram(instructions: Buffer[]): Buffer {
  return Buffer.concat(instructions);
}

/**
 * seccomp(operation, flags, &(struct sock_fprog){ filter.length / 8, filter }). ret is 0 (or,
 * with SECCOMP_FILTER_FLAG_TSYNC, the id of a thread that could not be synchronized).
 */
export function seccomp(operation: number, flags: number, filter: Buffer): SysResult {
  if (filter.length % SOCK_FILTER_SIZE !== 0 || filter.length / SOCK_FILTER_SIZE > BPF_MAXINSNS) {
    throw new TypeError(`seccomp: filter must be 8-byte struct sock_filter entries (at most ${BPF_MAXINSNS}), got ${filter.length} bytes`);
  }
  const len = filter.length / SOCK_FILTER_SIZE;
  const ret = Number(
    fn('long syscall(long number, ...)')(
      sysno('seccomp'),
      'unsigned int',
      operation,
      'unsigned int',
      flags,
      koffi().pointer(sockFprog()),
      { len, filter },
    ),
  );
  const call = `seccomp(${valueName(operation, SECCOMP_OPERATIONS)}, ${flagNames(flags, SECCOMP_FLAGS)}, {len=${len}, filter=...})`;
  return record(call, ret, errnoAfter(ret));
}
