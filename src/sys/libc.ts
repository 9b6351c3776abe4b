// The one place that talks to koffi. libc is loaded on first use, so importing src/sys costs
// nothing for code that never makes a call, and each function is declared once.
import type KoffiModule from 'koffi';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';

let koffiModule: typeof KoffiModule | null = null;
/** koffi itself, loaded on first use: its native addon costs about a quarter of a bare Node
 * start, which a sandbox that makes no syscall (and `nslab --version`) should not pay. */
export function koffi(): typeof KoffiModule {
  koffiModule ??= createRequire(import.meta.url)('koffi') as typeof KoffiModule;
  return koffiModule;
}

type KoffiLib = ReturnType<typeof KoffiModule.load>;
type KoffiFunction = ReturnType<KoffiLib['func']>;

let lib: KoffiLib | null = null;
const declared = new Map<string, KoffiFunction>();

function libc(): KoffiLib {
  if (!lib) lib = koffi().load('libc.so.6');
  return lib;
}

/** A libc function from its C prototype, declared on first use. */
export function fn(prototype: string): KoffiFunction {
  let f = declared.get(prototype);
  if (!f) {
    f = libc().func(prototype);
    declared.set(prototype, f);
  }
  return f;
}

/**
 * errno for a call that just returned `ret`. Must run right after the native call, before any
 * other native work on this thread can overwrite errno; after a success errno is stale, so it
 * is reported as 0. For `.async` calls koffi saves the worker thread's errno and restores it
 * around the callback, so calling this first thing in the callback is equally exact.
 */
export function errnoAfter(ret: number | bigint): number {
  return Number(ret) === -1 ? koffi().errno() : 0;
}

// syscall(2) and prctl(2) are variadic: koffi needs a type next to every extra argument, and
// the kernel reads whole registers, so every extra argument is passed as a full word.
const WORD = 'long';

export type SyscallArg = number | bigint | string | Buffer | null;

export function syscallRaw(nr: number, ...args: SyscallArg[]): number {
  const typed: unknown[] = [];
  for (const a of args) {
    if (typeof a === 'string') typed.push('const char *', a);
    else if (a === null || Buffer.isBuffer(a)) typed.push('void *', a);
    else typed.push(WORD, a);
  }
  return Number(fn('long syscall(long number, ...)')(nr, ...typed));
}

export function prctlRaw(option: number, ...args: (number | Buffer)[]): number {
  const typed: unknown[] = [];
  for (let i = 0; i < 4; i++) {
    const a = args[i] ?? 0;
    if (Buffer.isBuffer(a)) typed.push('void *', a);
    else typed.push('unsigned long', a);
  }
  return fn('int prctl(int option, ...)')(option, ...typed) as number;
}

// Structs are laid out in native byte order; both supported machines are little-endian, but
// say so once rather than assume it everywhere.
const LE = endianness() === 'LE';
export const native = {
  i32: (b: Buffer, off: number): number => (LE ? b.readInt32LE(off) : b.readInt32BE(off)),
  u32: (b: Buffer, off: number): number => (LE ? b.readUInt32LE(off) : b.readUInt32BE(off)),
  u16: (b: Buffer, off: number): number => (LE ? b.readUInt16LE(off) : b.readUInt16BE(off)),
  setI32: (b: Buffer, v: number, off: number): void => void (LE ? b.writeInt32LE(v, off) : b.writeInt32BE(v, off)),
  setU32: (b: Buffer, v: number, off: number): void => void (LE ? b.writeUInt32LE(v, off) : b.writeUInt32BE(v, off)),
  setU16: (b: Buffer, v: number, off: number): void => void (LE ? b.writeUInt16LE(v, off) : b.writeUInt16BE(v, off)),
};
