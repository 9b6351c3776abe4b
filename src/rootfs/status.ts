// Is the rootfs usable? The marker is written last by every builder, so its absence means a
// build never finished; its presence with pieces missing means something removed them later.
import { accessSync, constants, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BUILDING, MARKER, rootfsDir } from './paths.js';

export type RootfsKind = 'busybox' | 'host' | 'alpine' | 'docker-export';

/** The marker file's content (.nslab-rootfs.json). */
export interface RootfsManifest {
  format: 1;
  kind: RootfsKind;
  /** ISO time the builder finished. */
  builtAt: string;
  /** The script that built it. */
  builder: string;
  busybox?: { path: string; version: string };
  /** Host binaries copied (kind 'host'). */
  binaries?: string[];
  /** Why this builder was chosen, as told to the learner. */
  reason?: string;
  [extra: string]: unknown;
}

export type RootfsState = 'ready' | 'missing' | 'incomplete' | 'corrupt';

export interface RootfsStatus {
  state: RootfsState;
  dir: string;
  /** For every state but ready: what is wrong, in words. */
  reason?: string;
  manifest?: RootfsManifest;
}

/** Is the process alive? EPERM means it is, just not ours. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Build directories (`DIR.building-PID`) next to dir, with whether their builder still runs. */
export function buildingDirs(dir: string): { path: string; pid: number; running: boolean }[] {
  const prefix = basename(dir) + BUILDING;
  let names: string[];
  try {
    names = readdirSync(dirname(dir));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix))
    .map((n) => {
      const pid = Number(n.slice(prefix.length));
      return { path: join(dirname(dir), n), pid, running: Number.isInteger(pid) && pid > 0 && alive(pid) };
    });
}

/** What a lesson needs from any rootfs; each entry: [what, present?]. */
function pieces(dir: string): [string, boolean][] {
  const isDir = (p: string): boolean => {
    try {
      return statSync(join(dir, p)).isDirectory();
    } catch {
      return false;
    }
  };
  const exists = (p: string): boolean => {
    try {
      statSync(join(dir, p));
      return true;
    } catch {
      return false;
    }
  };
  const executable = (p: string): boolean => {
    // bin/sh is a copy of the host's shell, or a relative link to busybox; statSync follows a
    // relative link inside the rootfs.
    try {
      accessSync(join(dir, p), constants.X_OK);
      return statSync(join(dir, p)).isFile();
    } catch {
      return false;
    }
  };
  const learner = (): boolean => {
    try {
      return /^learner:[^:]*:1000:/m.test(readFileSync(join(dir, 'etc/passwd'), 'utf8'));
    } catch {
      return false;
    }
  };
  return [
    ['bin/sh (executable)', executable('bin/sh')],
    ['proc/', isDir('proc')],
    ['tmp/', isDir('tmp')],
    ['dev/null', exists('dev/null')],
    ['etc/passwd with the learner user', learner()],
  ];
}

export function rootfsStatus(dir: string = rootfsDir()): RootfsStatus {
  let st;
  try {
    st = statSync(dir);
  } catch {
    const leftovers = buildingDirs(dir);
    const running = leftovers.find((b) => b.running);
    if (running) return { state: 'incomplete', dir, reason: `being built right now by process ${running.pid} (${running.path})` };
    if (leftovers.length)
      return { state: 'incomplete', dir, reason: `an earlier build was interrupted and left ${leftovers.map((b) => b.path).join(', ')}` };
    return { state: 'missing', dir, reason: 'not built yet' };
  }
  if (!st.isDirectory()) return { state: 'corrupt', dir, reason: `${dir} exists but is not a directory` };

  let text: string;
  try {
    text = readFileSync(join(dir, MARKER), 'utf8');
  } catch {
    return { state: 'incomplete', dir, reason: `no ${MARKER}: the build that made it did not finish` };
  }
  let manifest: RootfsManifest;
  try {
    manifest = JSON.parse(text) as RootfsManifest;
    if (typeof manifest !== 'object' || manifest === null || typeof manifest.kind !== 'string') throw new Error('no kind');
  } catch {
    return { state: 'corrupt', dir, reason: `${MARKER} is not a valid nslab marker` };
  }
  const absent = pieces(dir)
    .filter(([, ok]) => !ok)
    .map(([what]) => what);
  if (absent.length) return { state: 'corrupt', dir, reason: `missing ${absent.join(', ')}`, manifest };
  return { state: 'ready', dir, manifest };
}
