// Entering another process's namespaces, as nsenter(1) does. Node cannot do it for itself:
// setns() moves only the calling thread, and the mount and user namespaces refuse a threaded
// caller. nslab's helper is a small single-threaded C program: `nslab-helper join --target PID
// FLAGS -- ARGV` setns()es the whole process into the namespaces of PID that FLAGS name ('-n',
// '-m', '--all', as nsenter takes them), then execs ARGV there: `nsenter -t PID FLAGS ARGV`.
import type { SandboxContext, SpawnResult } from '../sandbox/types.js';

/** The helper's arguments for nsenter -t PID FLAGS ARGV: for ctx.background(ctx.helper, ...). */
export function nsenterArgs(pid: number, flags: string[], argv: string[]): string[] {
  return ['join', '--target', String(pid), ...flags, '--', ...argv];
}

/** Run ARGV to completion in the namespaces FLAGS name of PID. */
export function nsenter(ctx: SandboxContext, pid: number, flags: string[], argv: string[], opts: { timeoutMs?: number } = {}): Promise<SpawnResult> {
  return ctx.spawn(ctx.helper, nsenterArgs(pid, flags, argv), opts);
}
