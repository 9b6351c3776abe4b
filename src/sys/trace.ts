// strace-like lines for every call, so a lesson can show exactly what was asked of the kernel
// and what it answered, in the notation learners meet again in `strace` output.
import { errnoName, strerror } from './errno.js';

export interface SysResult {
  ok: boolean;
  ret: number;
  errno: string | null;
  code: number;
  message: string;
  trace: string;
}

const lines: string[] = [];

export const trace = {
  lines,
  note(text: string): void {
    lines.push(`# ${text}`);
  },
  clear(): void {
    lines.length = 0;
  },
  take(): string[] {
    return lines.splice(0, lines.length);
  },
};

export interface RecordOptions {
  /** Appended to the line, e.g. ' [threadpool]'. */
  suffix?: string;
  /** How to print a successful return value when decimal is not how strace shows it. */
  shownRet?: string;
}

/** The result of a call whose argument list is already formatted; records its trace line. */
export function record(call: string, ret: number, code: number, options: RecordOptions = {}): SysResult {
  const suffix = options.suffix ?? '';
  const ok = ret !== -1;
  const result: SysResult = {
    ok,
    ret,
    errno: ok ? null : errnoName(code),
    code: ok ? 0 : code,
    message: ok ? '' : strerror(code),
    trace: '',
  };
  result.trace = ok ? `${call} = ${options.shownRet ?? ret}${suffix}` : `${call} = -1 ${result.errno} (${result.message})${suffix}`;
  lines.push(result.trace);
  return result;
}

/** A table of flag names, in print order. Multi-bit values and 0 are allowed. */
export type FlagTable = readonly (readonly [string, number])[];

/**
 * 'MS_REC|MS_PRIVATE' for the bits of `flags` named in `table`; leftover bits in hex (strace
 * style: 'MS_BIND|0x40000000'); '0' when nothing is set. Entries with value 0 print only when
 * `flags` is 0 and the table names 0 (e.g. O_RDONLY is handled by the caller, not here).
 */
export function flagNames(flags: number, table: FlagTable): string {
  let rest = flags >>> 0;
  const parts: string[] = [];
  for (const [name, value] of table) {
    const v = value >>> 0;
    if (v !== 0 && (rest & v) >>> 0 === v) {
      parts.push(name);
      rest = (rest & ~v) >>> 0;
    }
  }
  if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
  if (parts.length === 0) {
    const zero = table.find(([, v]) => v === 0);
    return zero ? zero[0] : '0';
  }
  return parts.join('|');
}

/** One value from a table of exclusive values (signals, socket domains); the number otherwise. */
export function valueName(value: number, table: FlagTable): string {
  const hit = table.find(([, v]) => v === value);
  return hit ? hit[0] : String(value);
}

const ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x09: '\\t', 0x0d: '\\r', 0x0b: '\\v', 0x0c: '\\f' };

/** Bytes as strace prints them: escapes for the usual suspects, octal for other non-printables. */
function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const esc = ESCAPES[b];
    if (esc) out += esc;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else {
      // Shortest octal, unless the next byte is a digit that would extend it.
      const next = bytes[i + 1];
      const digitFollows = next !== undefined && next >= 0x30 && next <= 0x39;
      out += '\\' + (digitFollows ? b.toString(8).padStart(3, '0') : b.toString(8));
    }
  }
  return out;
}

/** A C string argument: "quoted", or NULL. */
export function str(s: string | null | undefined): string {
  if (s === null || s === undefined) return 'NULL';
  return `"${escapeBytes(Buffer.from(s, 'utf8'))}"`;
}

/** A data buffer, cut at `max` bytes with strace's '...' marker. */
export function bytes(data: Uint8Array | null, max = 32): string {
  if (data === null) return 'NULL';
  const shown = data.subarray(0, max);
  return `"${escapeBytes(shown)}"${data.length > max ? '...' : ''}`;
}

export function octal(n: number): string {
  return n === 0 ? '0' : `0${n.toString(8)}`;
}

export function hex(n: number | bigint): string {
  return n === 0 || n === 0n ? '0' : `0x${n.toString(16)}`;
}
