// The outside view of a process an exercise judges: what the host reads from /proc/PID,
// however that process got into its state (nslab's shell, unshare, pivot_root, setpriv).
// Only the host's /proc is trusted: nothing the process prints, nothing it says about itself.
import { readFileSync, statSync } from 'node:fs';
import {
  ProcReadError,
  decodeCaps,
  parseMountinfo,
  readCmdline,
  readComm,
  readNs,
  readRoot,
  readStat,
  readStatus,
  readUidMap,
  statPath,
  type MountEntry,
} from '../proc/index.js';
import type { ProcessView, ViewMount } from '../lessons/types.js';

/** A process that cannot be looked at, with the sentence that says why. */
export class InspectError extends Error {
  override name = 'InspectError';
  constructor(
    readonly pid: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** nslab's own view, against which a process is compared: read once per check. */
export interface HostBaseline {
  ns: Record<string, string>;
  root: { dev: number; ino: number };
  rootMount: ViewMount | null;
}

function viewMount(m: MountEntry): ViewMount {
  return {
    mountPoint: m.mountPoint,
    root: m.root,
    dev: `${m.major}:${m.minor}`,
    fsType: m.fsType,
    source: m.source,
    propagation: m.propagation,
    ...(m.optional.shared !== undefined ? { shared: m.optional.shared } : {}),
    ...(m.optional.master !== undefined ? { master: m.optional.master } : {}),
    raw: m.raw,
  };
}

/** The mount a path resolves to: the last mountinfo entry at that point is the top-most. */
function topMountAt(mounts: ViewMount[], point: string): ViewMount | null {
  let found: ViewMount | null = null;
  for (const m of mounts) if (m.mountPoint === point) found = m;
  return found;
}

function nsLinks(pid: number | 'self'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [kind, link] of Object.entries(readNs(pid))) out[kind] = link.link;
  return out;
}

export function hostBaseline(): HostBaseline {
  const mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).map(viewMount);
  return { ns: nsLinks('self'), root: statPath('/'), rootMount: topMountAt(mounts, '/') };
}

function whyNot(pid: number, err: unknown): InspectError {
  const code = err instanceof ProcReadError ? err.code : ((err as NodeJS.ErrnoException).code ?? 'EIO');
  if (code === 'ENOENT' || code === 'ESRCH')
    return new InspectError(pid, code, `There is no process ${pid} (it may have exited): check the PID with ps.`);
  if (code === 'EACCES' || code === 'EPERM')
    return new InspectError(
      pid,
      code,
      `You may not inspect process ${pid}: the kernel lets you read its /proc files only if you could ptrace it (same user, not in a user namespace you do not own), so run nslab check as its owner or with sudo.`,
    );
  return new InspectError(pid, code, `Cannot inspect process ${pid}: ${(err as Error).message}`);
}

/** Effective uid as the process's own user namespace numbers it: status shows ids mapped into
 * the reader's namespace, and uid_map (read from outside) pairs them with the inside ones. */
function insideUid(hostUid: number, map: { inside: number; outside: number; count: number }[]): number | null {
  for (const l of map) if (hostUid >= l.outside && hostUid < l.outside + l.count) return l.inside + (hostUid - l.outside);
  return null;
}


/** Reads everything a task check may need about pid. Throws InspectError with one clear sentence. */
export function inspectProcess(pid: number, base: HostBaseline = hostBaseline()): ProcessView {
  try {
    const st = readStatus(pid);
    const ns = nsLinks(pid);
    // readlink of /proc/PID/root is where the ptrace access check bites first.
    const root = readRoot(pid);
    let rootParent = { dev: root.dev, ino: root.ino };
    try {
      // '..' from the root a magic link leads to climbs the target's mount tree, stopping only
      // at the top of it: the same directory after pivot_root, the parent after a chroot.
      const s = statSync(`/proc/${pid}/root/..`);
      rootParent = { dev: s.dev, ino: s.ino };
    } catch {
      // exited meanwhile; keep root as its own parent
    }
    const mounts = parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).map(viewMount);
    const uidMap = readUidMap(pid);
    const status: Record<string, string> = {};
    for (const key of Object.keys(st.fields)) status[key] = st.line(key);
    const host = base.rootMount;
    return {
      pid,
      comm: safe(() => readComm(pid), st.name),
      cmdline: safe(() => readCmdline(pid), []),
      status,
      uid: [...st.uid],
      uidInside: insideUid(st.uid[1], uidMap),
      uidMap: uidMap.map((l) => l.raw),
      nspid: st.nspid,
      ns,
      hostNs: base.ns,
      nsDiffers: Object.keys(ns).filter((k) => base.ns[k] !== undefined && base.ns[k] !== ns[k]),
      root,
      hostRoot: base.root,
      rootIsHost: root.dev === base.root.dev && root.ino === base.root.ino,
      rootParent,
      rootIsTop: rootParent.dev === root.dev && rootParent.ino === root.ino,
      mounts,
      hostRootMount: host,
      hostTreeMounts: host ? mounts.filter((m) => m.dev === host.dev && m.root === host.root) : [],
      caps: {
        effective: decodeCaps(st.capEff),
        permitted: decodeCaps(st.capPrm),
        inheritable: decodeCaps(st.capInh),
        bounding: decodeCaps(st.capBnd),
        ambient: decodeCaps(st.capAmb),
      },
      noNewPrivs: st.noNewPrivs,
      seccomp: st.seccomp,
    };
  } catch (err) {
    if (err instanceof InspectError) throw err;
    throw whyNot(pid, err);
  }
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** Start time in clock ticks since boot (/proc/PID/stat field 22): with the PID, it names one
 * process for good, so a recorded PID reused by another process is not mistaken for it. */
export function startTime(pid: number): number | null {
  try {
    return readStat(pid).starttime;
  } catch {
    return null;
  }
}

