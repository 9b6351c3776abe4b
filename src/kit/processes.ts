// Processes a lesson started, followed by their state instead of by the clock: which program a
// PID runs, a child once it has exec'd, and what became of a signal. kill(2) decides at once
// whether a signal is dropped (ignored, or sent to a namespace's init that has no handler for
// it) or queued; a queued one shows in SigPnd/ShdPnd until a thread takes it, a fatal one marks
// the process exiting (PF_EXITING in /proc/PID/stat), and a handler installed one-shot
// (SA_RESETHAND) is reset to the default in SigCgt as the signal is taken.
import type { ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import type { BackgroundProcess, SandboxContext } from '../sandbox/types.js';
import { parseStat } from '../proc/stat.js';
import { readOr, waitFor } from './context.js';
import type { Exit } from './exit.js';

type Ctx = SandboxContext;

/** The rootfs's programs, looked up before anything starts: a missing one skips the experiment
 * with the package that brings it (ctx.bin), however the run was sabotaged. */
export function bins(ctx: Ctx, ...names: string[]): string[] {
  return names.map((n) => ctx.bin(n));
}

/** PID `pid` runs program `name`: its argv[0] ends in /name once whatever started it has exec'd
 * it. A Node program can announce that it is ready by setting process.title to a name. */
export function runs(pid: number, name: string): boolean {
  return basename(readOr(`/proc/${pid}/cmdline`).split('\0')[0] ?? '') === name;
}

/** The first child of `parent` (a PID of this /proc), once it runs `name`. */
export function childRunning(ctx: Ctx, parent: number, name: string, opts: { timeoutMs?: number } = {}): Promise<number> {
  return waitFor(`${name} as the child of PID ${parent}`, () => {
    const kid = ctx.proc.readChildren(parent)[0];
    return kid !== undefined && runs(kid, name) && kid;
  }, { timeoutMs: opts.timeoutMs ?? 5000 });
}

/** A program as PID 1 of a new PID namespace, started by nslab's helper (`run -p`, as `unshare
 * -p -f` would): the helper's handle, which exits the way the program did, and the program's PID
 * as this /proc numbers it, once it runs `name`. */
export async function startAsPid1(ctx: Ctx, prog: string[], name: string): Promise<{ bg: BackgroundProcess; pid: number }> {
  const bg = await ctx.background(ctx.helper, ['run', '-p', '--', ...prog]);
  return { bg, pid: await childRunning(ctx, bg.pid, name) };
}

/** How a child_process child ended, as a promise (listen before it can end). */
export function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** The first `count` lines a child_process child prints on stdout: fewer if it has not printed
 * them by the (scaled) deadline. */
export async function linesFrom(child: ChildProcess, count: number, opts: { timeoutMs?: number } = {}): Promise<string[]> {
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  const said = (): string[] => text.split('\n').filter(Boolean);
  await waitFor(`${count} lines from PID ${child.pid}`, () => said().length >= count, opts).catch(() => undefined);
  return said();
}

const PF_EXITING = 0x4;
const SIGKILL = 9;
const bit = (sig: number): bigint => 1n << BigInt(sig - 1);
const mask = (line: string): bigint => BigInt(`0x${line.split(':')[1]?.trim() || '0'}`);

/**
 * Calls `send` (which signals `pid` with `signals`) and waits only until the kernel has settled
 * their fate: the process ended (`exited` resolved: its Exit), or it is alive with none of them
 * pending, not exiting, asleep again, and any handler that caught one has run (seen as a one-shot
 * handler reset in SigCgt, then the process asleep on a later read). A signal dropped at the send
 * settles at once. A handler that stays installed and does not exit settles only by the (scaled)
 * deadline. Resolves null while the process is alive.
 */
export async function signalSettled(ctx: Ctx, pid: number, exited: Promise<Exit>, signals: number[], send: () => unknown, opts: { timeoutMs?: number } = {}): Promise<Exit | null> {
  let end: Exit | null = null;
  void exited.then((e) => (end = e));
  const sent = signals.reduce((m, s) => m | bit(s), 0n);
  const caught = ctx.proc.readStatus(pid).sigCgt & sent;
  await send();
  let handled = false;
  const settled = (): boolean => {
    if (end) return true;
    const st = ctx.proc.readStatus(pid);
    const { flags } = parseStat(readOr(`/proc/${pid}/stat`));
    const pending = st.sigPnd | mask(st.line('ShdPnd'));
    if (pending & (sent | bit(SIGKILL)) || flags & PF_EXITING || !/^[ST]/.test(st.state)) return false;
    // The handler has run once the task sleeps again on a read after the one that saw its reset.
    const ran = handled;
    handled ||= (st.sigCgt & caught) === 0n;
    return caught === 0n || ran;
  };
  await waitFor(`PID ${pid} to take or drop signal ${signals.join(', ')}`, settled, { timeoutMs: opts.timeoutMs ?? 1000 }).catch(() => undefined);
  return end;
}

/** CPU time a process has used, utime + stime in clock ticks (fields 14 and 15 of
 * /proc/PID/stat); NaN once it is gone. */
export function cpuTicks(pid: number): number {
  const { utime, stime } = parseStat(readOr(`/proc/${pid}/stat`));
  return utime + stime;
}
