// The cgroup janitor: a process outside nslab's process group that removes nslab's cgroups once
// nslab is gone, however it went. An 'exit' handler never runs after SIGKILL, and sweeping at
// the next start leaves the cgroup there until someone starts nslab again; the janitor (a
// subcommand of native/nslab-helper, see cmd_janitor there) waits for end-of-file on a pipe from
// this process, which the kernel closes when it dies, and then removes every nslab-<pid>-<n> of
// this pid. Started before the first cgroup is made, so no cgroup of ours ever exists without it.
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { cgroupLayout, type CgroupLayout } from '../proc/index.js';
import { helperPath } from './helper.js';
import { scaled } from './time.js';

let janitor: ChildProcess | undefined;

/** The mounted cgroup hierarchies, where the janitor looks (as findOwnedCgroups does). */
export function cgroupRoots(layout: CgroupLayout = cgroupLayout()): string[] {
  const roots = new Set<string>();
  for (const m of [layout.v2Mount, ...Object.values(layout.v1)]) {
    if (!m) continue;
    try {
      roots.add(realpathSync(m));
    } catch {
      /* not visible from here */
    }
  }
  return [...roots];
}

/**
 * Starts this process's janitor, once; returns its PID, or null when it cannot start (no
 * helper built): then the sweep at the next start stays the only cleanup after a SIGKILL.
 * When spawn() returns, the janitor has exec'd in a session of its own (detached: setsid), so a
 * kill of this process's group from then on no longer reaches it.
 */
export function ensureJanitor(): number | null {
  if (janitor) return janitor.pid ?? null;
  let child: ChildProcess;
  try {
    const args = ['janitor', '--owner', String(process.pid), '--timeout-ms', String(scaled(5000)), ...cgroupRoots()];
    child = spawn(helperPath(), args, { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  } catch {
    return null;
  }
  child.on('error', () => {
    /* it could not start: the next start's sweep remains */
  });
  // Nothing is ever written: the pipe exists to be closed by our death. Neither it nor the
  // janitor may keep this process alive.
  child.stdin?.on('error', () => {});
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  child.unref();
  janitor = child;
  return child.pid ?? null;
}
