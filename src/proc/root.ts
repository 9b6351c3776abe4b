import { procPath, readLink, statId, type Pid } from './read.js';

/**
 * Where a process is rooted. Compare (dev, ino) with statPath() of a candidate directory: the
 * link text is d_path in the target's mount namespace, so it shows a host path only for a
 * chroot in our own namespace; after pivot_root in another one it reads '/' from outside too.
 */
export function readRoot(pid: Pid = 'self', procRoot = '/proc'): { link: string; dev: number; ino: number } {
  const path = procPath(procRoot, pid, 'root');
  return { link: readLink(path), ...statId(path) };
}

export function statPath(path: string): { dev: number; ino: number } {
  return statId(path);
}
