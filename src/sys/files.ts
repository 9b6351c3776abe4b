// File calls for experiments that must show the syscall itself (an errno, a mode, an xattr),
// where Node's fs would hide it behind an exception or a different call.
import { O_ACCMODE, O_ACCMODES, O_CREAT, O_FLAGS, XATTR_FLAGS } from './constants.js';
import { errnoAfter, fn } from './libc.js';
import { bytes, flagNames, octal, record, str, valueName, type SysResult } from './trace.js';

function openFlags(flags: number): string {
  const mode = valueName(flags & O_ACCMODE, O_ACCMODES);
  const rest = flags & ~O_ACCMODE;
  return rest ? `${mode}|${flagNames(rest, O_FLAGS)}` : mode;
}

export function open(path: string, flags: number, mode = 0): SysResult {
  // open(2) is variadic in glibc: the mode travels as an extra argument.
  const ret = fn('int open(const char *path, int flags, ...)')(path, flags, 'unsigned int', mode) as number;
  const shownMode = flags & O_CREAT ? `, ${octal(mode)}` : '';
  return record(`open(${str(path)}, ${openFlags(flags)}${shownMode})`, ret, errnoAfter(ret));
}

export function read(fd: number, max: number): SysResult & { data: Buffer } {
  const buf = Buffer.alloc(max);
  const ret = Number(fn('long read(int fd, void *buf, size_t count)')(fd, buf, max));
  const code = errnoAfter(ret);
  const data = ret > 0 ? buf.subarray(0, ret) : Buffer.alloc(0);
  const result = record(`read(${fd}, ${ret >= 0 ? bytes(data) : '...'}, ${max})`, ret, code);
  return { ...result, data };
}

export function write(fd: number, data: Buffer | string): SysResult {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const ret = Number(fn('long write(int fd, const void *buf, size_t count)')(fd, buf, buf.length));
  return record(`write(${fd}, ${bytes(buf)}, ${buf.length})`, ret, errnoAfter(ret));
}

export function close(fd: number): SysResult {
  const ret = fn('int close(int fd)')(fd) as number;
  return record(`close(${fd})`, ret, errnoAfter(ret));
}

export function mkdir(path: string, mode: number): SysResult {
  const ret = fn('int mkdir(const char *path, unsigned int mode)')(path, mode) as number;
  return record(`mkdir(${str(path)}, ${octal(mode)})`, ret, errnoAfter(ret));
}

export function rmdir(path: string): SysResult {
  const ret = fn('int rmdir(const char *path)')(path) as number;
  return record(`rmdir(${str(path)})`, ret, errnoAfter(ret));
}

/** umask never fails; ret is the previous mask. */
export function umask(mask: number): SysResult {
  const ret = fn('unsigned int umask(unsigned int mask)')(mask) as number;
  return record(`umask(${octal(mask)})`, ret, 0, { shownRet: octal(ret) });
}

export function setxattr(path: string, name: string, value: Buffer, flags: number): SysResult {
  const ret = fn('int setxattr(const char *path, const char *name, const void *value, size_t size, int flags)')(
    path,
    name,
    value,
    value.length,
    flags,
  ) as number;
  const call = `setxattr(${str(path)}, ${str(name)}, ${bytes(value)}, ${value.length}, ${flagNames(flags, XATTR_FLAGS)})`;
  return record(call, ret, errnoAfter(ret));
}

const XATTR_SIZE_MAX = 65536;

export function getxattr(path: string, name: string): SysResult & { value: Buffer | null } {
  const buf = Buffer.alloc(XATTR_SIZE_MAX);
  const ret = Number(
    fn('long getxattr(const char *path, const char *name, void *value, size_t size)')(path, name, buf, buf.length),
  );
  const code = errnoAfter(ret);
  const value = ret >= 0 ? Buffer.from(buf.subarray(0, ret)) : null;
  const result = record(`getxattr(${str(path)}, ${str(name)}, ${value ? bytes(value) : '...'}, ${buf.length})`, ret, code);
  return { ...result, value };
}

export function removexattr(path: string, name: string): SysResult {
  const ret = fn('int removexattr(const char *path, const char *name)')(path, name) as number;
  return record(`removexattr(${str(path)}, ${str(name)})`, ret, errnoAfter(ret));
}
