// Threads are tasks. In Linux each thread of a process is a task of its own, with its own
// /proc/PID/task/TID: credentials, capabilities, no_new_privs, seccomp filters and namespace
// links belong to the task, so one thread can differ from the others of its process. Node has
// about a dozen (V8's workers, libuv's threadpool); these helpers read them from the calling
// thread (Node's main one), through /proc/self/task, as a learner would with ls and cat.
import { promises as fsp, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { SandboxContext } from '../sandbox/types.js';
import { readOr } from './context.js';

export interface Thread {
  /** The thread's id as this /proc numbers it. */
  tid: number;
  /** Its name (/proc/self/task/TID/comm): 'node', 'libuv-worker', 'V8Worker'; '?' once it ended. */
  comm: string;
}

/** Every thread of this process, in tid order. */
export function threads(ctx: SandboxContext): Thread[] {
  return ctx.proc.listThreads('self').map((tid) => ({ tid, comm: readOr(`/proc/self/task/${tid}/comm`, '?').trim() }));
}

/** The main thread's id as this /proc numbers it: /proc/self names the thread-group leader. (The
 * sandbox may read a /proc of another PID namespace than the one gettid() answers in.) */
export function mainTid(): number {
  return Number(readlinkSync('/proc/self'));
}

/** One thread's namespace link of `kind` ('mnt:[4026531841]'), or '?' once it ended. */
export function threadNs(tid: number, kind: string): string {
  try {
    return readlinkSync(`/proc/self/task/${tid}/ns/${kind}`);
  } catch {
    return '?';
  }
}

/** The named lines of one thread's status, tabs as spaces, like statusLines for a process; a
 * thread that is gone yields "KEY: (task TID gone)". */
export function threadLines(ctx: SandboxContext, tid: number, ...keys: string[]): string[] {
  let status: ReturnType<SandboxContext['proc']['readTaskStatus']> | undefined;
  try {
    status = ctx.proc.readTaskStatus('self', tid);
  } catch {
    status = undefined;
  }
  return keys.map((k) => (status ? status.line(k).replace(/\t/g, ' ') || `${k}: (no such line)` : `${k}: (task ${tid} gone)`));
}

/** libuv starts its threadpool on the first asynchronous fs call: make one, so that the pool's
 * threads exist before the experiment does what they should (or should not) follow. */
export async function startThreadpool(): Promise<void> {
  await fsp.readFile('/proc/self/status');
}

/** fs.promises.readFile, which runs on a libuv threadpool thread: the file as that thread's
 * namespaces and root see it (its text, trimmed), or the errno it got. */
export function readOnPool(path: string): Promise<{ ok: boolean; code?: string; text?: string }> {
  return fsp.readFile(path, 'utf8').then(
    (text) => ({ ok: true, text: text.trim() }),
    (err: NodeJS.ErrnoException) => ({ ok: false, code: err.code }),
  );
}

/** Runs `code` (CommonJS, with require) on a thread started now, a worker_threads Worker cloned
 * from the calling thread, and resolves with the first message it posts (parentPort.postMessage):
 * what a thread created at this moment inherits, where the threadpool's older threads differ. */
export async function onNewThread<T>(code: string): Promise<T> {
  const w = new Worker(code, { eval: true });
  try {
    return await new Promise<T>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.once('exit', (c) => reject(new Error(`the new thread exited (${c}) before it posted anything`)));
    });
  } finally {
    await w.terminate();
  }
}
