// ioctl_ns(2): ask a namespace file descriptor about its relatives. NS_GET_USERNS gives the
// user namespace that owns a namespace, NS_GET_PARENT the parent of a user or PID namespace;
// both return a new file descriptor (close it). EPERM means the answer lies outside the
// caller's namespace scope, e.g. the parent of the user namespace the caller lives in.
import { errnoAfter, fn, native } from './libc.js';
import { record, valueName, type FlagTable, type SysResult } from './trace.js';

// linux/nsfs.h: _IO(0xb7, n)
const NSIO = 0xb7;
export const NS_GET_USERNS = (NSIO << 8) | 0x1;
export const NS_GET_PARENT = (NSIO << 8) | 0x2;
export const NS_GET_NSTYPE = (NSIO << 8) | 0x3;
export const NS_GET_OWNER_UID = (NSIO << 8) | 0x4;

const NS_IOCTLS: FlagTable = [
  ['NS_GET_USERNS', NS_GET_USERNS],
  ['NS_GET_PARENT', NS_GET_PARENT],
  ['NS_GET_NSTYPE', NS_GET_NSTYPE],
  ['NS_GET_OWNER_UID', NS_GET_OWNER_UID],
];

const ioctlFn = () => fn('int ioctl(int fd, unsigned long request, ...)');

/** NS_GET_USERNS, NS_GET_PARENT (ret: a new fd) or NS_GET_NSTYPE (ret: a CLONE_NEW* value). */
export function nsIoctl(fd: number, request: number): SysResult {
  const ret = ioctlFn()(fd, request) as number;
  return record(`ioctl(${fd}, ${valueName(request, NS_IOCTLS)})`, ret, errnoAfter(ret));
}

/** NS_GET_OWNER_UID on a user namespace fd: the uid of its creator, as the caller sees it. */
export function nsOwnerUid(fd: number): SysResult & { uid: number } {
  const out = Buffer.alloc(4);
  const ret = ioctlFn()(fd, NS_GET_OWNER_UID, 'void *', out) as number;
  const code = errnoAfter(ret);
  const uid = ret === 0 ? native.u32(out, 0) : -1;
  const result = record(`ioctl(${fd}, NS_GET_OWNER_UID, ${ret === 0 ? `[${uid}]` : '...'})`, ret, code);
  return { ...result, uid };
}
