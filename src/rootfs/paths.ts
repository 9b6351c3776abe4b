// Where nslab keeps its rootfs and where the builder scripts live.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** $NSLAB_ROOTFS, else the user's cache: a rebuildable artefact, not state worth keeping. */
export function rootfsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NSLAB_ROOTFS) return resolve(env.NSLAB_ROOTFS);
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'nslab', 'rootfs');
}

/** rootfs-scripts/ of this package, whether running from src/ (tests) or the compiled dist/. */
export function scriptsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'rootfs-scripts');
    if (existsSync(join(candidate, 'busybox.sh'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('rootfs-scripts/ not found next to the nslab package');
}

export const MARKER = '.nslab-rootfs.json';
export const BUILDING = '.building-';
export const lockPath = (dir: string): string => `${dir}.lock`;
