// The first-run path: a lesson needs the rootfs, so make sure there is a good one.
import { existsSync, rmSync } from 'node:fs';
import { acquireLock, buildLocked, installTools, removeLeftovers, type BuildMethod } from './build.js';
import { rootfsDir } from './paths.js';
import { rootfsStatus } from './status.js';

export interface EnsureOptions {
  dir?: string;
  method?: BuildMethod;
  /** Progress lines of a (re)build; default: printed on stderr, since a build takes a moment. */
  onProgress?: (line: string) => void;
}

const toStderr = (line: string): void => void process.stderr.write(`nslab rootfs: ${line}\n`);

/** The rootfs directory, built or rebuilt first when it is missing, half-built or damaged. */
export async function ensureRootfs(opts: EnsureOptions = {}): Promise<string> {
  const dir = opts.dir ?? rootfsDir();
  if (rootfsStatus(dir).state === 'ready') {
    refreshTools(dir, opts.onProgress ?? toStderr);
    return dir;
  }
  const progress = opts.onProgress ?? toStderr;
  const release = await acquireLock(dir, progress);
  try {
    // Another process may have built it while we waited for the lock.
    const status = rootfsStatus(dir);
    if (status.state === 'ready') return dir;
    progress(
      status.state === 'missing'
        ? `no rootfs yet; building one in ${dir} (first run only)`
        : `the rootfs in ${dir} is ${status.state} (${status.reason}); rebuilding it`,
    );
    await buildLocked(dir, { method: opts.method, onProgress: progress });
    return dir;
  } finally {
    release();
  }
}

const refreshed = new Set<string>();
/** A rootfs built before nslab-tools changed (or brought by the user) gets the current copy;
 * compared once per process, since every experiment asks. */
function refreshTools(dir: string, progress: (line: string) => void): void {
  if (refreshed.has(dir)) return;
  if (installTools(dir) === 'installed') progress(`installed nslab's own tools in ${dir}/bin/nslab-tools`);
  refreshed.add(dir);
}

/** Remove the rootfs and whatever interrupted builds left; returns the paths removed. */
export async function cleanRootfs(dir: string = rootfsDir()): Promise<string[]> {
  const release = await acquireLock(dir, () => {});
  try {
    const removed = removeLeftovers(dir);
    if (existsSync(dir)) {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
    return removed;
  } finally {
    release();
  }
}
