// unshare/setns and the UTS namespace's hostname. From Node these act on the calling thread
// only (see KERNEL-NOTES): the sync calls run on the main thread, the async one on a libuv
// threadpool thread, which is exactly the trap the async variant exists to demonstrate.
import { CLONE_FLAGS } from './constants.js';
import { errnoAfter, fn } from './libc.js';
import { flagNames, record, str, type SysResult } from './trace.js';

const unshareFn = () => fn('int unshare(int flags)');

export function unshare(flags: number): SysResult {
  const ret = unshareFn()(flags) as number;
  return record(`unshare(${flagNames(flags, CLONE_FLAGS)})`, ret, errnoAfter(ret));
}

/** unshare(2) run on a libuv threadpool thread: it changes that thread, not the main one. */
export function unshareAsync(flags: number): Promise<SysResult> {
  return new Promise((resolve, reject) => {
    unshareFn().async(flags, (err: unknown, ret: number) => {
      if (err) return reject(err);
      // koffi restored the worker's errno for the duration of this callback.
      const code = errnoAfter(ret);
      resolve(record(`unshare(${flagNames(flags, CLONE_FLAGS)})`, ret, code, { suffix: ' [threadpool]' }));
    });
  });
}

export function setns(fd: number, nstype: number): SysResult {
  const ret = fn('int setns(int fd, int nstype)')(fd, nstype) as number;
  return record(`setns(${fd}, ${flagNames(nstype, CLONE_FLAGS)})`, ret, errnoAfter(ret));
}

export function sethostname(name: string): SysResult {
  const bytes = Buffer.from(name, 'utf8');
  const ret = fn('int sethostname(const char *name, size_t len)')(name, bytes.length) as number;
  return record(`sethostname(${str(name)}, ${bytes.length})`, ret, errnoAfter(ret));
}

const HOST_NAME_MAX = 64;

export function gethostname(): SysResult & { name: string } {
  const buf = Buffer.alloc(HOST_NAME_MAX + 1);
  const ret = fn('int gethostname(void *name, size_t len)')(buf, buf.length) as number;
  const code = errnoAfter(ret);
  const end = buf.indexOf(0);
  const name = ret === 0 ? buf.subarray(0, end < 0 ? buf.length : end).toString('utf8') : '';
  const result = record(`gethostname(${ret === 0 ? str(name) : '...'}, ${buf.length})`, ret, code);
  return { ...result, name };
}
