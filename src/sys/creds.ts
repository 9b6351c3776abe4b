// Credentials. glibc's set*id wrappers change every thread of the process (glibc signals each
// thread to make the same syscall), unlike the raw syscalls: see syscall6 for those.
import { errnoAfter, fn, native } from './libc.js';
import { record, type SysResult } from './trace.js';

// uid_t and gid_t are unsigned 32-bit; -1 ("leave unchanged") passes as the same bit pattern.
function id(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -1 || v > 0xffffffff) throw new TypeError(`${what}: not a uid/gid: ${v}`);
  return v === 0xffffffff ? -1 : v | 0;
}

export function setresuid(r: number, e: number, s: number): SysResult {
  const ret = fn('int setresuid(int r, int e, int s)')(id(r, 'setresuid'), id(e, 'setresuid'), id(s, 'setresuid')) as number;
  return record(`setresuid(${r}, ${e}, ${s})`, ret, errnoAfter(ret));
}

export function setresgid(r: number, e: number, s: number): SysResult {
  const ret = fn('int setresgid(int r, int e, int s)')(id(r, 'setresgid'), id(e, 'setresgid'), id(s, 'setresgid')) as number;
  return record(`setresgid(${r}, ${e}, ${s})`, ret, errnoAfter(ret));
}

export function setuid(u: number): SysResult {
  const ret = fn('int setuid(int uid)')(id(u, 'setuid')) as number;
  return record(`setuid(${u})`, ret, errnoAfter(ret));
}

export function seteuid(u: number): SysResult {
  const ret = fn('int seteuid(int uid)')(id(u, 'seteuid')) as number;
  return record(`seteuid(${u})`, ret, errnoAfter(ret));
}

export function setgid(g: number): SysResult {
  const ret = fn('int setgid(int gid)')(id(g, 'setgid')) as number;
  return record(`setgid(${g})`, ret, errnoAfter(ret));
}

export function setegid(g: number): SysResult {
  const ret = fn('int setegid(int gid)')(id(g, 'setegid')) as number;
  return record(`setegid(${g})`, ret, errnoAfter(ret));
}

export function setgroups(gids: number[]): SysResult {
  const list = Buffer.alloc(4 * gids.length);
  gids.forEach((g, i) => native.setI32(list, id(g, 'setgroups'), 4 * i));
  const ret = fn('int setgroups(size_t size, void *list)')(gids.length, gids.length ? list : null) as number;
  return record(`setgroups(${gids.length}, [${gids.join(', ')}])`, ret, errnoAfter(ret));
}

type ResIds = SysResult & { r: number; e: number; s: number };

function getres(name: 'getresuid' | 'getresgid'): ResIds {
  const out = Buffer.alloc(12);
  const ret = fn(`int ${name}(void *r, void *e, void *s)`)(out.subarray(0, 4), out.subarray(4, 8), out.subarray(8, 12)) as number;
  const code = errnoAfter(ret);
  const [r, e, s] = [0, 4, 8].map((off) => native.u32(out, off)) as [number, number, number];
  const result = record(`${name}([${r}], [${e}], [${s}])`, ret, code);
  return { ...result, r, e, s };
}

export function getresuid(): ResIds {
  return getres('getresuid');
}

export function getresgid(): ResIds {
  return getres('getresgid');
}
