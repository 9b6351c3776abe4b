// Processes and threads. waitpid decodes the status word the way the W* macros do, so callers
// never handle the raw bits.
import { SIGNALS, WAIT_FLAGS, sysno } from './constants.js';
import { errnoAfter, fn, native, syscallRaw } from './libc.js';
import { flagNames, record, valueName, type SysResult } from './trace.js';

export function kill(pid: number, sig: number): SysResult {
  const ret = fn('int kill(int pid, int sig)')(pid, sig) as number;
  return record(`kill(${pid}, ${valueName(sig, SIGNALS)})`, ret, errnoAfter(ret));
}

export interface WaitResult extends SysResult {
  status: number;
  exited: boolean;
  exitCode: number | null;
  signal: number | null;
}

function describeStatus(status: number): string {
  const low = status & 0x7f;
  if (low === 0) return `[{WIFEXITED(s) && WEXITSTATUS(s) == ${(status >> 8) & 0xff}}]`;
  if ((status & 0xff) === 0x7f) return `[{WIFSTOPPED(s) && WSTOPSIG(s) == ${valueName((status >> 8) & 0xff, SIGNALS)}}]`;
  if (status === 0xffff) return '[{WIFCONTINUED(s)}]';
  const core = status & 0x80 ? ' && WCOREDUMP(s)' : '';
  return `[{WIFSIGNALED(s) && WTERMSIG(s) == ${valueName(low, SIGNALS)}${core}}]`;
}

/**
 * Blocks the calling (main) thread unless options has WNOHANG. libuv also reaps children it
 * spawned; whoever waits first gets the status, the other sees ECHILD.
 */
export function waitpid(pid: number, options: number): WaitResult {
  const out = Buffer.alloc(4);
  const ret = fn('int waitpid(int pid, void *status, int options)')(pid, out, options) as number;
  const code = errnoAfter(ret);
  const status = ret > 0 ? native.i32(out, 0) : 0;
  const low = status & 0x7f;
  const reaped = ret > 0;
  const exited = reaped && low === 0;
  const signaled = reaped && low !== 0 && low !== 0x7f && status !== 0xffff;
  const result = record(
    `waitpid(${pid}, ${reaped ? describeStatus(status) : '...'}, ${flagNames(options, WAIT_FLAGS)})`,
    ret,
    code,
  );
  return {
    ...result,
    status,
    exited,
    exitCode: exited ? (status >> 8) & 0xff : null,
    signal: signaled ? low : null,
  };
}

/** The PID as this process's PID namespace sees it. Not traced: a query, called often. */
export function getpid(): number {
  return fn('int getpid(void)')() as number;
}

/** The calling thread's id (equals getpid() on the main thread). Not traced. */
export function gettid(): number {
  return syscallRaw(sysno('gettid'));
}

/** gettid() run on a libuv threadpool thread, to show which thread koffi `.async` calls use. */
export function gettidAsync(): Promise<number> {
  return new Promise((resolve, reject) => {
    fn('int gettid(void)').async((err: unknown, tid: number) => (err ? reject(err) : resolve(tid)));
  });
}
