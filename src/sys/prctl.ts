// prctl(2) wrappers. Most of these settings are per thread (the bounding set, no_new_privs,
// the death signal): from Node they change the main thread only, unless the process was born
// with them (set by the helper before exec).
import {
  CAPS,
  PR_CAPBSET_DROP,
  PR_CAPBSET_READ,
  PR_GET_CHILD_SUBREAPER,
  PR_GET_NO_NEW_PRIVS,
  PR_GET_PDEATHSIG,
  PR_GET_SECCOMP,
  PR_OPTIONS,
  PR_SET_CHILD_SUBREAPER,
  PR_SET_NO_NEW_PRIVS,
  PR_SET_PDEATHSIG,
  SIGNALS,
} from './constants.js';
import { errnoAfter, native, prctlRaw } from './libc.js';
import { record, valueName, type SysResult } from './trace.js';

function prctl(option: number, args: (number | Buffer)[], shown: string[]): SysResult {
  const ret = prctlRaw(option, ...args);
  const code = errnoAfter(ret);
  return record(`prctl(${[valueName(option, PR_OPTIONS), ...shown].join(', ')})`, ret, code);
}

/** prctl with an int out-parameter: the value and the call's result. */
function prctlGetInt(option: number): SysResult & { value: number } {
  const out = Buffer.alloc(4);
  const ret = prctlRaw(option, out);
  const code = errnoAfter(ret);
  const value = native.i32(out, 0);
  const result = record(`prctl(${valueName(option, PR_OPTIONS)}, [${ret === -1 ? '?' : value}])`, ret, code);
  return { ...result, value };
}

export function setPdeathsig(sig: number): SysResult {
  return prctl(PR_SET_PDEATHSIG, [sig], [valueName(sig, SIGNALS)]);
}

export function getPdeathsig(): SysResult & { value: number } {
  return prctlGetInt(PR_GET_PDEATHSIG);
}

export function capbsetDrop(cap: number): SysResult {
  return prctl(PR_CAPBSET_DROP, [cap], [valueName(cap, CAPS)]);
}

/** ret is 1 when the capability is in the calling thread's bounding set, 0 when not. */
export function capbsetRead(cap: number): SysResult {
  return prctl(PR_CAPBSET_READ, [cap], [valueName(cap, CAPS)]);
}

export function setNoNewPrivs(): SysResult {
  return prctl(PR_SET_NO_NEW_PRIVS, [1, 0, 0, 0], ['1', '0', '0', '0']);
}

/** ret is 1 when no_new_privs is set on the calling thread. */
export function getNoNewPrivs(): SysResult {
  return prctl(PR_GET_NO_NEW_PRIVS, [0, 0, 0, 0], ['0', '0', '0', '0']);
}

/** ret is the calling thread's seccomp mode: 0 disabled, 2 filter (strict mode would be killed). */
export function getSeccomp(): SysResult {
  return prctl(PR_GET_SECCOMP, [], []);
}

export function setChildSubreaper(on: boolean): SysResult {
  return prctl(PR_SET_CHILD_SUBREAPER, [on ? 1 : 0], [on ? '1' : '0']);
}

export function getChildSubreaper(): SysResult & { value: number } {
  return prctlGetInt(PR_GET_CHILD_SUBREAPER);
}
