// Context helpers for experiments: the steps lessons kept writing again (a rootfs or a skip, a
// syscall that must work, a fresh /proc, a scratch tmpfs, waiting on state instead of time).
// They run inside the sandbox and take the context, so they use the syscall layer and /proc
// readers the engine handed in: a lesson that imports the kit loads no second copy of them.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxContext } from '../sandbox/types.js';
import { scaled, timeScale } from '../sandbox/time.js';

type Ctx = SandboxContext;
/** What every call of ctx.sys returns (src/sys/trace.ts SysResult), as far as the kit needs. */
export interface Traced {
  ok: boolean;
  ret: number;
  trace: string;
}

/** The rootfs path, or a skip: for experiments that declare rootfs: true but must not run
 * without one (a user's NSLAB_ROOTFS that could not be had, say). */
export function needRootfs(ctx: Ctx): string {
  return ctx.rootfs ?? ctx.skip("this experiment needs nslab's rootfs, and there is none here");
}

/** A syscall that has to work for the experiment to mean anything: its result, or an error
 * whose message is what was being done and the kernel's answer. */
export function must<R extends Traced>(r: R, what: string): R {
  if (!r.ok) throw new Error(`${what} failed: ${r.trace}`);
  return r;
}

/** Make every mount below / private first: nothing this experiment mounts can propagate out. */
export function privateRoot(ctx: Ctx): string {
  const { sys } = ctx;
  return must(sys.mount(null, '/', null, sys.MS_REC | sys.MS_PRIVATE, null), 'make / rprivate').trace;
}

/** Mount a procfs of this experiment's PID namespace over `at` (default /proc): walking it then
 * meets only the processes this lesson started. Needs a new PID namespace and mount namespace. */
export function freshProc(ctx: Ctx, at = '/proc'): string {
  const { sys } = ctx;
  return must(sys.mount('proc', at, 'proc', sys.MS_NOSUID | sys.MS_NODEV | sys.MS_NOEXEC, null), `mount a fresh proc on ${at}`).trace;
}

/** A small tmpfs at `at` for fifos and output files, gone with the mount namespace. */
export function scratch(ctx: Ctx, at: string, opts = 'size=1m,mode=0755'): string {
  const { sys } = ctx;
  return must(sys.mount('tmpfs', at, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, opts), `mount a scratch tmpfs on ${at}`).trace;
}

/** A file's text, or `fallback` when it cannot be read (a process that exited, a file a lesson
 * only sometimes makes). */
export function readOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** A directory's entries, sorted, as `ls` lists them; or, when it cannot be read, one entry
 * naming the errno ('(ENOENT)'), so a listing in evidence always says what happened. */
export function lsOr(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch (err) {
    return [`(${(err as NodeJS.ErrnoException).code})`];
  }
}

/** The named lines of /proc/PID/status, tabs as spaces: evidence as the learner would grep it.
 * A process that is gone yields "KEY: (PID N gone)". */
export function statusLines(ctx: Ctx, pid: number | 'self', ...keys: string[]): string[] {
  let status: ReturnType<Ctx['proc']['readStatus']> | undefined;
  try {
    status = ctx.proc.readStatus(pid);
  } catch {
    status = undefined;
  }
  return keys.map((k) => {
    if (!status) return `${k}: (PID ${pid} gone)`;
    try {
      return status.line(k).replace(/\t/g, ' ');
    } catch {
      return `${k}: (no such line)`;
    }
  });
}

/** How much slower this machine is than the one the lesson was written on (NSLAB_TIME_SCALE,
 * set by the VM test under emulation; else 1). Deadlines, never delays, are scaled. */
export { scaled, timeScale };

/** Poll `probe` until it returns something other than undefined/false, and return that. Waits
 * only as long as the state takes to appear; past the (scaled) deadline it throws, naming
 * `what` it was waiting for, so a lesson never sleeps a fixed time hoping it was enough. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, opts: { timeoutMs?: number; everyMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 3000) * timeScale();
  let every = opts.everyMs ?? 2;
  for (;;) {
    let v: T | undefined | false;
    try {
      v = await probe();
    } catch {
      v = undefined;
    }
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(every);
    every = Math.min(every * 2, 50);
  }
}

/** A background program, and the moment it reaches a state: `ready(pid)` is polled (read its
 * status, its children, a file it writes) until it holds. */
export async function startAndWait(
  ctx: Ctx,
  what: string,
  file: string,
  args: string[],
  ready: (pid: number) => boolean,
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Awaited<ReturnType<Ctx['background']>>> {
  const bg = await ctx.background(file, args, opts.env ? { env: opts.env } : {});
  await waitFor(what, () => ready(bg.pid), { timeoutMs: opts.timeoutMs });
  return bg;
}

/** `read(pid)` for every process this /proc lists, in PID order, leaving out what it returns
 * undefined for and any process that exited while the walk went on (the way ps and lsns walk). */
export function eachProcess<T>(ctx: Ctx, read: (pid: number) => T | undefined): T[] {
  return ctx.proc.listPids().flatMap((pid) => {
    try {
      const v = read(pid);
      return v === undefined ? [] : [v];
    } catch {
      return [];
    }
  });
}

/** Write `text` to a file through the traced open and write, as newuidmap writes a uid_map: the
 * write's trace line, or the open's when the open failed, so the kernel's answer is evidence. */
export function tracedWrite(ctx: Ctx, path: string, text: string): string {
  const { sys } = ctx;
  const fd = sys.open(path, sys.O_WRONLY);
  if (!fd.ok) return fd.trace;
  const w = sys.write(fd.ret, text);
  sys.close(fd.ret);
  return w.trace;
}
