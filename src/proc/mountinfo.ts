import { lines, procPath, readText, type Pid } from './read.js';

export interface MountEntry {
  id: number;
  parentId: number;
  major: number;
  minor: number;
  /** The directory of the filesystem that is mounted here ('/' unless it is a bind of a subtree). */
  root: string;
  mountPoint: string;
  /** Per-mount options (rw, nosuid, relatime, ...). */
  options: string[];
  optional: { shared?: number; master?: number; propagateFrom?: number; unbindable: boolean };
  propagation: 'private' | 'shared' | 'slave' | 'shared+slave' | 'unbindable';
  fsType: string;
  source: string;
  /** Per-superblock options: what every mount of this filesystem shares. */
  superOptions: string[];
  raw: string;
}

/** The kernel writes space, tab, newline and backslash in paths as \ooo (seq_escape in fs/proc_namespace.c). */
export function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function splitOptions(field: string | undefined): string[] {
  return field ? field.split(',').filter(Boolean) : [];
}

/**
 * Format (Documentation/filesystems/proc.rst):
 *   36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 * Zero or more optional fields sit before the lone '-'; lines that do not fit are skipped.
 */
export function parseMountLine(raw: string): MountEntry | null {
  const f = raw.split(' ');
  const dash = f.indexOf('-', 6);
  if (dash < 0 || f.length < dash + 3) return null;
  const [major, minor] = (f[2] ?? '').split(':').map(Number);
  const id = Number(f[0]);
  const parentId = Number(f[1]);
  if (![id, parentId, major, minor].every(Number.isInteger)) return null;

  const optional: MountEntry['optional'] = { unbindable: false };
  for (const tag of f.slice(6, dash)) {
    const [key, value] = tag.split(':');
    if (key === 'shared') optional.shared = Number(value);
    else if (key === 'master') optional.master = Number(value);
    else if (key === 'propagate_from') optional.propagateFrom = Number(value);
    else if (key === 'unbindable') optional.unbindable = true;
    // Tags added by future kernels stay visible in raw.
  }
  return {
    id,
    parentId,
    major: major!,
    minor: minor!,
    root: unescapeOctal(f[3]!),
    mountPoint: unescapeOctal(f[4]!),
    options: splitOptions(f[5]),
    optional,
    propagation: propagationOf(optional),
    fsType: unescapeOctal(f[dash + 1]!),
    source: unescapeOctal(f[dash + 2]!),
    superOptions: splitOptions(f[dash + 3]),
    raw,
  };
}

/** A mount can be a peer and a slave at once ('shared+slave'); the kernel removes a mount from
 * its peer group when it becomes unbindable, but an unbindable slave keeps master:N, and then
 * 'slave' says more about where events come from (optional.unbindable still says the rest). */
function propagationOf(o: MountEntry['optional']): MountEntry['propagation'] {
  const shared = o.shared !== undefined;
  const slave = o.master !== undefined;
  if (shared && slave) return 'shared+slave';
  if (shared) return 'shared';
  if (slave) return 'slave';
  if (o.unbindable) return 'unbindable';
  return 'private';
}

export function parseMountinfo(text: string): MountEntry[] {
  return lines(text)
    .map(parseMountLine)
    .filter((e): e is MountEntry => e !== null);
}

export function readMountinfo(pid: Pid = 'self', procRoot = '/proc'): MountEntry[] {
  return parseMountinfo(readText(procPath(procRoot, pid, 'mountinfo')));
}

/** The mount that is visible at mountPoint: when several are stacked on one path, each later one
 * has the one below as its parent, so the visible one is the mount nobody else there sits on. */
export function findMount(entries: MountEntry[], mountPoint: string): MountEntry | undefined {
  const path = mountPoint.length > 1 ? mountPoint.replace(/\/+$/, '') : mountPoint;
  const here = entries.filter((e) => e.mountPoint === path);
  const covered = new Set(here.map((e) => e.parentId));
  return here.filter((e) => !covered.has(e.id)).at(-1) ?? here.at(-1);
}
