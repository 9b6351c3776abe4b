// Shared by the test/proc tests: real processes to look at, always killed afterwards. These read
// /proc with plain fs calls, never through src/proc, so they stay independent of the code tested.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';

export const HELPER = fileURLToPath(new URL('../../native/nslab-helper', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const me = userInfo();
export const asRoot = me.uid === 0;

export function fixture(name: string): string {
  return readFileSync(FIXTURES + name, 'utf8');
}

/** A PID that cannot exist: one above pid_max. */
export function impossiblePid(): number {
  return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;
}

// Last line of defence if a test dies between spawn and its finally.
const live = new Set<number>();
process.on('exit', () => {
  for (const pid of live) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
});

function track(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('spawn failed');
  live.add(child.pid);
  return child.pid;
}

async function stop(child: ChildProcess, ...pids: number[]): Promise<void> {
  for (const pid of [...pids, child.pid!]) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    live.delete(pid);
  }
  if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function comm(pid: number): string {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; }
}

/** Polls until pid has exec'd the program named comm, so whatever ran before exec is done. */
async function waitForComm(pid: () => number | undefined, name: string, child: ChildProcess, stderr: () => string): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const p = pid();
    if (p !== undefined && comm(p) === name) return p;
    if (child.exitCode !== null || child.signalCode !== null) break;
    await sleep(10);
  }
  throw new Error(`process never became '${name}' (exit ${child.exitCode}); stderr: ${stderr()}`);
}

/** Runs fn with the PID of a plain child (default `sleep 30`), killed afterwards. */
export async function withChild<T>(fn: (pid: number) => Promise<T> | T, argv = ['sleep', '30'], comm = 'sleep'): Promise<T> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const pid = track(child);
  try {
    await waitForComm(() => pid, comm, child, () => stderr);
    return await fn(pid);
  } finally {
    await stop(child);
  }
}

export interface Sandbox {
  helperPid: number;
  /** The sandboxed program as seen from here, found as the helper's only child. */
  pid: number;
}

function ensureHelper(): void {
  if (existsSync(HELPER)) return;
  const built = spawnSync(process.execPath, [fileURLToPath(new URL('../../native/build.mjs', import.meta.url))], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('could not build native/nslab-helper');
}

/**
 * Runs fn with a process in fresh namespaces: `nslab-helper run <flags> -- <argv>`. The helper
 * reports nothing on stdout, so the sandbox is read from the helper's children file. Waits for
 * the exec of the program whose comm is `comm`, so setup the program did before it is complete.
 */
export async function withSandbox<T>(
  flags: string[],
  fn: (sb: Sandbox) => Promise<T> | T,
  argv = ['sleep', '30'],
  comm = 'sleep',
): Promise<T> {
  ensureHelper();
  const child = spawn(HELPER, ['run', ...flags, '--', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const helperPid = track(child);
  let sandboxPid: number | undefined;
  try {
    const children = (): number | undefined => {
      try {
        const text = readFileSync(`/proc/${helperPid}/task/${helperPid}/children`, 'utf8').trim();
        sandboxPid = text ? Number(text.split(/\s+/)[0]) : undefined;
      } catch { /* helper not there yet or gone */ }
      return sandboxPid;
    };
    const pid = await waitForComm(children, comm, child, () => stderr);
    return await fn({ helperPid, pid });
  } finally {
    await stop(child, ...(sandboxPid ? [sandboxPid] : []));
  }
}
