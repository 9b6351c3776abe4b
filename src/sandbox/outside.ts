// The host's view of a sandboxed process, read from the host's /proc while the sandbox waits.
import { readFileSync } from 'node:fs';
import { readChildren, readNs, readRoot, readStatus, statPath } from '../proc/index.js';
import type { OutsideView } from './types.js';

function nsLinks(pid: number | 'self'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [kind, link] of Object.entries(readNs(pid))) out[kind] = link.link;
  return out;
}

export function outsideView(pid: number): OutsideView {
  const root = readRoot(pid);
  const hostRoot = statPath('/');
  return {
    pid,
    ns: nsLinks(pid),
    hostNs: nsLinks('self'),
    root: { dev: root.dev, ino: root.ino },
    hostRoot,
    rootLink: root.link,
    status: readFileSync(`/proc/${pid}/status`, 'utf8'),
    mountinfo: readFileSync(`/proc/${pid}/mountinfo`, 'utf8'),
  };
}

/** Every descendant of pid, depth first. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number): void => {
    let kids: number[] = [];
    try {
      kids = readChildren(p);
    } catch {
      return; // exited meanwhile
    }
    for (const k of kids) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

/** Map PIDs as the sandbox sees them to host PIDs, through NSpid: a descendant's entry at the
 * sandbox's own depth is its PID inside. Without a PID namespace both are the same number. */
export function hostPidsOf(sandboxPid: number, insidePids: number[]): number[] {
  const depth = readStatus(sandboxPid).nspid.length;
  const byInside = new Map<number, number>();
  for (const d of descendants(sandboxPid)) {
    try {
      const nspid = readStatus(d).nspid;
      byInside.set(nspid[depth - 1] ?? d, d);
    } catch {
      /* exited meanwhile */
    }
  }
  byInside.set(readStatus(sandboxPid).nspid[depth - 1] ?? sandboxPid, sandboxPid);
  return insidePids.map((p) => {
    const host = byInside.get(p);
    if (host === undefined) throw new Error(`no process with PID ${p} inside the sandbox`);
    return host;
  });
}
