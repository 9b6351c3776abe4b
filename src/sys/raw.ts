// The escape hatch: any syscall by number, bypassing glibc. Needed where the wrapper hides
// the kernel's behaviour, e.g. raw SYS_setresuid changes only the calling thread, while glibc
// makes every thread follow.
import { syscallName } from './constants.js';
import { errnoAfter, syscallRaw } from './libc.js';
import { record, type SysResult } from './trace.js';

export function syscall6(nr: number, ...args: number[]): SysResult {
  if (args.length > 6) throw new TypeError(`syscall6: at most 6 arguments, got ${args.length}`);
  for (const a of args) if (!Number.isInteger(a)) throw new TypeError(`syscall6: arguments must be integers, got ${a}`);
  const ret = syscallRaw(nr, ...args);
  const code = errnoAfter(ret);
  const name = syscallName(nr);
  return record(`syscall(${name ? `SYS_${name}` : nr}${args.map((a) => `, ${a}`).join('')})`, ret, code);
}
