// A snapshot of what nslab could leave behind on the host: mount points, hostname, processes
// started from this checkout or named nslab or orphans of this user, cgroups named nslab, nslab
// temp files. Taken before and after a run; any difference is a leak.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readStat, type ProcStat } from '../../src/proc/index.js';
import { scaled } from '../../src/sandbox/time.js';

export interface HostSnapshot {
  mounts: string[];
  hostname: string;
  processes: string[];
  cgroups: string[];
  tempFiles: string[];
}

const checkout = resolve(import.meta.dirname, '..', '..');

/** Where a mount of nslab's could be: a path naming nslab (its rootfs, its temp dirs), the temp
 * dir, this checkout, the cgroup tree, or one of the host's own roots. A single test watches
 * only those: other software on the machine (podman's overlays, say) mounts and unmounts
 * meanwhile, and that is no test's residue; the whole run's snapshot watches every mount. */
function nslabMayMount(point: string): boolean {
  const under = (dir: string) => point === dir || point.startsWith(`${dir}/`);
  return point.includes('nslab') || under(tmpdir()) || under(checkout) || under('/sys/fs/cgroup') || ['/', '/proc', '/sys', '/dev'].includes(point);
}

/** The host's mount points; for a single test ('session') only those nslab could make. */
export function mountPoints(scope: Scope): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]!)
    .filter((p) => scope === 'host' || nslabMayMount(p))
    .sort();
}

/** The processes a snapshot watches. 'session': everything in this test's session (the test
 * runner starts each test file in a session of its own, and an orphan keeps its session when
 * it is re-parented), so concurrent test files don't see each other. 'host': every process
 * whose command line names nslab or this checkout, and every orphan (its parent init) of this
 * user: what a program nslab ran left behind in a session of its own, as rootless podman's
 * pause process is, names neither. The caller and its ancestors are excluded. */
function watchedProcesses(scope: Scope, exclude: Set<number>): string[] {
  const mySession = readStat('self').session;
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || exclude.has(pid)) continue;
    let cmd = '';
    let stat: ProcStat;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      stat = readStat(pid);
    } catch {
      continue; // exited meanwhile
    }
    // tsx's esbuild service, started by this test process itself the first time it transforms a
    // file that was not in tsx's cache (a fresh clone): the loader's helper, not nslab's residue.
    if (/\besbuild --service=/.test(cmd) && stat.ppid === process.pid) continue;
    const watched = scope === 'session' ? stat.session === mySession : cmd.includes('nslab') || cmd.includes(checkout) || (stat.ppid === 1 && ownedByMe(pid));
    if (watched) out.push(`${pid} ${cmd}`);
  }
  return out.sort();
}

const ownedByMe = (pid: number): boolean => {
  try {
    return statSync(`/proc/${pid}`).uid === process.getuid?.();
  } catch {
    return false;
  }
};

function ancestry(): Set<number> {
  const set = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !set.has(pid)) {
    set.add(pid);
    try {
      pid = readStat(pid).ppid;
    } catch {
      break;
    }
  }
  return set;
}

function nslabCgroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 4) return;
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      try {
        if (!statSync(p).isDirectory()) continue;
      } catch {
        continue;
      }
      if (e.includes('nslab')) found.push(p);
      walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found.sort();
}

/** Lesson cgroups are named nslab-<owner pid>-<n> (the runc tests' nslab-test-<pid>-<n>). A
 * single test watches those whose owner is a live process of its own session: test files run
 * side by side, and one's cgroups coming and going is not another's residue. A dead owner's
 * leftovers, and a cgroup whose name names no owner (someone else's on this machine), are the
 * whole run's to catch. */
function ownedBySession(dir: string): boolean {
  const owner = /nslab(?:-[a-z]+)*-(\d+)-\d+$/.exec(dir)?.[1];
  if (!owner) return false;
  try {
    return readStat(Number(owner)).session === readStat('self').session;
  } catch {
    return false;
  }
}

function nslabTempFiles(): string[] {
  try {
    return readdirSync(tmpdir())
      .filter((e) => e.startsWith('nslab'))
      .map((e) => join(tmpdir(), e))
      .sort();
  } catch {
    return [];
  }
}

export type Scope = 'session' | 'host';

/** 'session' for a single test (temp files and other tests' cgroups are left to the whole-run
 * snapshot, since test files running side by side make and remove their own); 'host' for the
 * whole run. */
export function snapshotHost(scope: Scope = 'session'): HostSnapshot {
  return {
    mounts: mountPoints(scope),
    hostname: hostname(),
    processes: watchedProcesses(scope, ancestry()),
    cgroups: scope === 'host' ? nslabCgroups() : nslabCgroups().filter(ownedBySession),
    tempFiles: scope === 'host' ? nslabTempFiles() : [],
  };
}

/** Differences as readable lines; empty when the host looks the same. */
export function diffHost(before: HostSnapshot, after: HostSnapshot): string[] {
  const out: string[] = [];
  const list = (what: string, a: string[], b: string[], both = true): void => {
    for (const x of b) if (!a.includes(x)) out.push(`${what} appeared: ${x}`);
    if (both) for (const x of a) if (!b.includes(x)) out.push(`${what} disappeared: ${x}`);
  };
  list('mount', before.mounts, after.mounts);
  // A process that ends is never residue (tsx's esbuild service comes and goes); only new ones.
  list('process', before.processes, after.processes, false);
  list('cgroup', before.cgroups, after.cgroups, false);
  list('temp file', before.tempFiles, after.tempFiles);
  if (before.hostname !== after.hostname) out.push(`hostname changed: ${before.hostname} -> ${after.hostname}`);
  return out;
}

/** Wait briefly for processes to finish dying (a SIGKILLed sandbox is reaped asynchronously):
 * up to ms on a reference machine, scaled to this one. */
export async function settledDiff(before: HostSnapshot, ms = 3000, scope: Scope = 'session'): Promise<string[]> {
  const until = Date.now() + scaled(ms);
  let diff = diffHost(before, snapshotHost(scope));
  while (diff.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    diff = diffHost(before, snapshotHost(scope));
  }
  return diff;
}
