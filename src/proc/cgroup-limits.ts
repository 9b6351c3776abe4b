import { readFileSync } from 'node:fs';
import type { CgroupLayout, CgroupLine } from './cgroup.js';

/** One limit file of a process's cgroup, as the reader's cgroup mounts show it. */
export interface CgroupLimit {
  /** The v2 name ('pids.max', 'memory.max'); a v1 file is reported under the same name. */
  name: 'pids.max' | 'memory.max';
  /** 'max' for no limit; v1's huge memory.limit_in_bytes is reported as 'max' too. */
  value: string | null;
  file: string;
}

/** v1 says "no memory limit" with the largest page-aligned value, not with 'max'. */
const V1_NO_LIMIT = 2n ** 63n - 4096n;

/**
 * The pids and memory limits of the cgroups in `lines` (a process's /proc/PID/cgroup), read
 * through the reader's own mounts: v2 when the controller is there, else the v1 hierarchy.
 * Paths in /proc/PID/cgroup are relative to the reader's cgroup namespace root, which is the
 * root of these mounts for a reader in the initial cgroup namespace.
 */
export function readCgroupLimits(lines: CgroupLine[], layout: CgroupLayout): CgroupLimit[] {
  const v2 = lines.find((l) => l.hierarchy === 0);
  const out: CgroupLimit[] = [];
  for (const [name, controller, v1File] of [
    ['pids.max', 'pids', 'pids.max'],
    ['memory.max', 'memory', 'memory.limit_in_bytes'],
  ] as const) {
    let file: string | null = null;
    if (v2 && layout.v2Mount && layout.v2Controllers.includes(controller)) file = `${layout.v2Mount}${v2.path === '/' ? '' : v2.path}/${name}`;
    else {
      const line = lines.find((l) => l.controllers.includes(controller));
      const mount = layout.v1[controller];
      if (line && mount) file = `${mount}${line.path === '/' ? '' : line.path}/${v1File}`;
    }
    if (!file) continue;
    let value: string | null = null;
    try {
      value = readFileSync(file, 'utf8').trim();
      if (/^\d+$/.test(value) && BigInt(value) >= V1_NO_LIMIT) value = 'max';
    } catch {
      value = null;
    }
    out.push({ name, value, file });
  }
  return out;
}
