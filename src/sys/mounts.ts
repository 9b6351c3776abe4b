// Mount table and root directory changes. All of them act on the caller's mount namespace and
// fs_struct, so from Node they are only safe inside a sandbox the helper created.
import { MS_FLAGS, UMOUNT_FLAGS, sysno } from './constants.js';
import { errnoAfter, fn, syscallRaw } from './libc.js';
import { flagNames, record, str, type SysResult } from './trace.js';

export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number,
  data: string | null = null,
): SysResult {
  const ret = fn(
    'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
  )(source, target, fstype, flags, data) as number;
  const call = `mount(${str(source)}, ${str(target)}, ${str(fstype)}, ${flagNames(flags, MS_FLAGS)}, ${str(data)})`;
  return record(call, ret, errnoAfter(ret));
}

export function umount2(target: string, flags: number): SysResult {
  const ret = fn('int umount2(const char *target, int flags)')(target, flags) as number;
  return record(`umount2(${str(target)}, ${flagNames(flags, UMOUNT_FLAGS)})`, ret, errnoAfter(ret));
}

/** pivot_root(2) has no glibc wrapper, hence the raw syscall. */
export function pivotRoot(newRoot: string, putOld: string): SysResult {
  const ret = syscallRaw(sysno('pivot_root'), newRoot, putOld);
  return record(`pivot_root(${str(newRoot)}, ${str(putOld)})`, ret, errnoAfter(ret));
}

export function chroot(path: string): SysResult {
  const ret = fn('int chroot(const char *path)')(path) as number;
  return record(`chroot(${str(path)})`, ret, errnoAfter(ret));
}

export function chdir(path: string): SysResult {
  const ret = fn('int chdir(const char *path)')(path) as number;
  return record(`chdir(${str(path)})`, ret, errnoAfter(ret));
}

export function fchdir(fd: number): SysResult {
  const ret = fn('int fchdir(int fd)')(fd) as number;
  return record(`fchdir(${fd})`, ret, errnoAfter(ret));
}
