import { readFileSync } from 'node:fs';
import { procPath, type Pid } from './read.js';

/** The Linux security module label of a process, as /proc/PID/attr shows it to the reader. */
export interface LsmLabel {
  /** The file that answered, or the last one tried. */
  path: string;
  /** 'docker-default (enforce)', 'unconfined', 'system_u:system_r:container_t:s0:c1,c2'; null
   * when no module answers (the kernel says EINVAL then). */
  label: string | null;
  /** Why there is no label, as the kernel said it (EINVAL, EACCES), when there is none. */
  error?: string;
}

/**
 * attr/apparmor/current (Linux 5.8+, readable whatever module is listed first) before the shared
 * attr/current. Reading another process's attr is subject to the ptrace read check.
 */
export function readLsmLabel(pid: Pid = 'self', procRoot = '/proc'): LsmLabel {
  let last: LsmLabel = { path: procPath(procRoot, pid, 'attr', 'current'), label: null, error: 'ENOENT' };
  for (const parts of [['attr', 'apparmor', 'current'], ['attr', 'current']]) {
    const path = procPath(procRoot, pid, ...parts);
    try {
      const text = readFileSync(path, 'utf8').replace(/\0/g, '').trim();
      if (text) return { path, label: text };
      last = { path, label: null, error: 'empty' };
    } catch (err) {
      last = { path, label: null, error: (err as NodeJS.ErrnoException).code ?? 'EIO' };
    }
  }
  return last;
}

/** Which modules enforce labels on this host, from files that exist only when they do. */
export function hostLsm(sysRoot = '/sys'): { apparmor: boolean; selinux: boolean; evidence: string[] } {
  const read = (p: string): string | null => {
    try {
      return readFileSync(p, 'utf8').trim();
    } catch {
      return null;
    }
  };
  const aa = read(`${sysRoot}/module/apparmor/parameters/enabled`);
  const se = read(`${sysRoot}/fs/selinux/enforce`);
  return {
    apparmor: aa === 'Y',
    selinux: se !== null,
    evidence: [
      aa === null ? `${sysRoot}/module/apparmor/parameters/enabled: absent (AppArmor not built in)` : `${sysRoot}/module/apparmor/parameters/enabled: ${aa}`,
      se === null ? `${sysRoot}/fs/selinux/enforce: absent (SELinux not enabled)` : `${sysRoot}/fs/selinux/enforce: ${se}`,
    ],
  };
}
