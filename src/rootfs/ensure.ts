// The first-run path: a lesson needs the rootfs, so make sure there is a good one.
import { existsSync, rmSync } from 'node:fs';
import { acquireLock, buildLocked, installTools, removeLeftovers, reporter, type BuildMethod, type BuildOptions } from './build.js';
import { rootfsDir } from './paths.js';
import { rootfsStatus, type RootfsStatus } from './status.js';

/** The generation of the programs nslab's own builders put in a rootfs (skeleton.sh writes it
 * into the marker). 2: host programs by default, every lesson's tool among them. */
export const ROOTFS_GENERATION = 2;

/** A rootfs nslab built itself (not one the user brought with NSLAB_ROOTFS) with an older set
 * of programs: lessons may need one it lacks, so it is rebuilt on first need. */
export function outdated(s: RootfsStatus, env: NodeJS.ProcessEnv = process.env): boolean {
  if (s.state !== 'ready' || env.NSLAB_ROOTFS || !s.manifest) return false;
  if (s.manifest.kind !== 'host' && s.manifest.kind !== 'busybox') return false;
  return Number(s.manifest.generation ?? 1) < ROOTFS_GENERATION;
}

export interface EnsureOptions {
  dir?: string;
  method?: BuildMethod;
  /** Progress lines of a (re)build; default: on stderr (one updating line on a terminal, a short
   * summary elsewhere), since a build takes a moment. */
  onProgress?: BuildOptions['onProgress'];
  /** Each program copied, for an updating line; only with onProgress (the default has its own). */
  onStep?: BuildOptions['onStep'];
}

/** The rootfs directory, built or rebuilt first when it is missing, half-built or damaged. */
export async function ensureRootfs(opts: EnsureOptions = {}): Promise<string> {
  if (opts.onProgress) return ensure(opts, opts.onProgress, opts.onStep);
  const r = reporter(process.stderr, 'nslab rootfs: ');
  try {
    return await ensure(opts, r.onProgress, r.onStep);
  } finally {
    r.end();
  }
}

async function ensure(opts: EnsureOptions, progress: NonNullable<BuildOptions['onProgress']>, onStep: BuildOptions['onStep']): Promise<string> {
  const dir = opts.dir ?? rootfsDir();
  const first = rootfsStatus(dir);
  if (first.state === 'ready' && !outdated(first)) {
    refreshTools(dir, progress);
    return dir;
  }
  const release = await acquireLock(dir, progress);
  try {
    // Another process may have built it while we waited for the lock.
    const status = rootfsStatus(dir);
    if (status.state === 'ready' && !outdated(status)) return dir;
    progress(
      status.state === 'missing'
        ? `no rootfs yet; building one in ${dir} (first run only)`
        : status.state === 'ready'
          ? `the rootfs in ${dir} was built by an older nslab, without programs lessons now run; rebuilding it`
          : `the rootfs in ${dir} is ${status.state} (${status.reason}); rebuilding it`,
    );
    await buildLocked(dir, { method: opts.method, onProgress: progress, onStep });
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
