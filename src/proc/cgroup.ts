import { readFileSync } from 'node:fs';
import { readMountinfo, type MountEntry } from './mountinfo.js';
import { lines, procPath, readText, type Pid } from './read.js';

/** 'hierarchy-ID:controllers:path'; v2 is '0::/path', named v1 hierarchies say 'name=systemd'. */
export interface CgroupLine {
  hierarchy: number;
  controllers: string[];
  path: string;
  raw: string;
}

export function parseCgroup(text: string): CgroupLine[] {
  const result: CgroupLine[] = [];
  for (const raw of lines(text)) {
    const first = raw.indexOf(':');
    const second = raw.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const hierarchy = Number(raw.slice(0, first));
    if (!Number.isInteger(hierarchy)) continue;
    // The path is everything after the second colon: cgroup names may contain ':'.
    const controllers = raw.slice(first + 1, second).split(',').filter(Boolean);
    result.push({ hierarchy, controllers, path: raw.slice(second + 1), raw });
  }
  return result;
}

export function readCgroup(pid: Pid = 'self', procRoot = '/proc'): CgroupLine[] {
  return parseCgroup(readText(procPath(procRoot, pid, 'cgroup')));
}

/** v1 controllers as they appear among a cgroup mount's super options (kernel/cgroup/cgroup-v1.c). */
const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio',
  'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
]);

export interface CgroupLayout {
  kind: 'v1' | 'v2' | 'hybrid' | 'none';
  v2Mount: string | null;
  /** controller (or 'name=systemd') -> mount point */
  v1: Record<string, string>;
  /** Controllers the v2 root offers; on a hybrid host those not claimed by v1 (often none of
   * memory or pids, which is why limits there must go through v1). */
  v2Controllers: string[];
}

/**
 * Which cgroup versions this mount table shows. Pure v2 (Debian 12, Ubuntu 24.04): one cgroup2
 * at /sys/fs/cgroup. Hybrid (this CI machine, older systemd): v1 per controller plus cgroup2 at
 * /sys/fs/cgroup/unified. v2Controllers is read through this process's own filesystem view, so
 * pass entries from a mount namespace whose paths resolve here.
 */
export function cgroupLayout(entries: MountEntry[] = readMountinfo()): CgroupLayout {
  const v1: Record<string, string> = {};
  let v2Mount: string | null = null;
  for (const e of entries) {
    if (e.fsType === 'cgroup2') v2Mount ??= e.mountPoint;
    if (e.fsType !== 'cgroup') continue;
    for (const opt of e.superOptions) {
      if (V1_CONTROLLERS.has(opt) || opt.startsWith('name=')) v1[opt] ??= e.mountPoint;
    }
  }
  const hasV1 = Object.keys(v1).length > 0;
  const kind = v2Mount && hasV1 ? 'hybrid' : v2Mount ? 'v2' : hasV1 ? 'v1' : 'none';
  return { kind, v2Mount, v1, v2Controllers: v2Mount ? v2ControllersAt(v2Mount) : [] };
}

function v2ControllersAt(mount: string): string[] {
  try {
    return readFileSync(`${mount}/cgroup.controllers`, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    // Not visible from this mount namespace: no controllers we could use either.
    return [];
  }
}
