import { readlinkSync, statSync } from 'node:fs';
import { procPath, readDir, type Pid } from './read.js';

export interface NsLink {
  kind: string;
  /** What readlink says, e.g. 'mnt:[4026531841]'. */
  link: string;
  /** Identity of the namespace: the nsfs device and inode that stat sees through the link. */
  dev: number;
  ino: number;
}

/**
 * Every entry of /proc/PID/ns, keyed by kind. The set of kinds depends on the kernel (time
 * arrived in 5.6), so it comes from the directory. Entries the ptrace access check refuses or
 * that vanish mid-read are left out rather than thrown: a partial view is still evidence. A
 * missing directory (the process is gone) throws.
 */
export function readNs(pid: Pid = 'self', procRoot = '/proc'): Record<string, NsLink> {
  const dir = procPath(procRoot, pid, 'ns');
  const result: Record<string, NsLink> = {};
  for (const kind of readDir(dir).sort()) {
    try {
      const link = readlinkSync(`${dir}/${kind}`);
      const st = statSync(`${dir}/${kind}`);
      result[kind] = { kind, link, dev: st.dev, ino: st.ino };
    } catch {
      continue;
    }
  }
  return result;
}

/** Compared by (dev, ino) as the kernel documents; the link text is for people. */
export function sameNs(a: NsLink, b: NsLink): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Kinds that both views could read and that name different namespaces. */
export function nsDiff(a: Record<string, NsLink>, b: Record<string, NsLink>): string[] {
  return Object.keys(a)
    .filter((kind) => b[kind] !== undefined && !sameNs(a[kind]!, b[kind]!))
    .sort();
}
