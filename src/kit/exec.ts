// A program watched across its execve. What the kernel gives a program there (its uids after a
// set-user-ID bit, its capabilities from a file's security.capability, NoNewPrivs) shows in
// /proc/PID/status only while it runs: the lesson starts it, as another user if need be, and
// reads that status once the exec has happened, instead of sleeping and hoping it was in time.
import { spawn } from 'node:child_process';
import type { SandboxContext } from '../sandbox/types.js';
import { timeScale } from './context.js';

export interface Watched<T> {
  code: number | null;
  signal: string | null;
  /** What it printed, stdout and stderr together, trimmed. */
  output: string;
  /** What `look` returned the first time it returned something. */
  seen: T | undefined;
  /** Why there is nothing seen: it could not start, it exited first, or the deadline passed. */
  error?: string;
}

export interface WatchOptions {
  /** Run it as this user and group (setuid/setgid before the exec, as `setpriv --reuid` does). */
  uid?: number;
  gid?: number;
  /** Kill it, and the children it started, as soon as it has been seen, instead of letting it
   * finish: for a program that would otherwise wait. */
  stop?: boolean;
  /** Kill it if it is still running after this long (scaled by timeScale()); default 8000 ms. */
  timeoutMs?: number;
}

/** Runs `file` and polls `look(pid, output)` while it runs until `look` returns something (it
 * throws or returns undefined while the exec has not happened yet: check the status's Name; or
 * until `output`, what it has printed so far, shows it got where it was going). Resolves when
 * the program is gone, with what it printed, how it ended and what was seen. */
export function watchExec<T>(ctx: SandboxContext, file: string, args: string[], look: (pid: number, output: string) => T | undefined, opts: WatchOptions = {}): Promise<Watched<T>> {
  const who = opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid ?? opts.uid };
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...who });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  let seen: T | undefined;
  let late: string | undefined;
  const kill = (): void => {
    try {
      for (const kid of ctx.proc.readChildren(child.pid!)) process.kill(kid, 'SIGKILL');
    } catch {
      /* no children, or already gone */
    }
    child.kill('SIGKILL');
  };
  const poll = setInterval(() => {
    if (seen !== undefined || !child.pid) return;
    try {
      seen = look(child.pid, output);
    } catch {
      /* not exec'd yet, or gone */
    }
    if (seen !== undefined && opts.stop) kill();
  }, 5);
  const ms = (opts.timeoutMs ?? 8000) * timeScale();
  const timer = setTimeout(() => {
    late = `still running after ${ms} ms`;
    kill();
  }, ms);
  return new Promise((resolve) => {
    const done = (code: number | null, signal: string | null, error?: string): void => {
      clearInterval(poll);
      clearTimeout(timer);
      const why = error ?? late ?? `exited ${code ?? signal} before it could be seen`;
      resolve({ code, signal, output: output.trim(), seen, ...(seen === undefined ? { error: why } : {}) });
    };
    child.once('error', (err) => done(null, null, err.message));
    child.once('close', (code, signal) => done(code, signal));
  });
}
