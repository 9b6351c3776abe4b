// Locating and invoking native/nslab-helper, the single-threaded process that creates
// namespaces before Node starts (see the comment at the top of native/nslab-helper.c).
import { accessSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTextOr } from '../proc/index.js';
import type { NsKind, SandboxOptions } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
/** True when running from the TypeScript sources (tests) rather than the compiled dist/. */
export const fromSource = import.meta.url.endsWith('.ts');
/** The package root: src/sandbox -> root, or dist/src/sandbox -> root. */
export const packageRoot = fromSource ? join(here, '..', '..') : join(here, '..', '..', '..');

/** The built sandbox entry (entry-stub.ts, bundled by `npm run build`) and the V8 code cache
 * of the bundle it loads (code-cache.ts). The stub spells the same paths from its own
 * __dirname: importing this module would load child_process into every sandbox. */
export const ENTRY_STUB = join(packageRoot, 'dist', 'sandbox-entry', 'entry-stub.cjs');
export const ENTRY_BUNDLE = join(packageRoot, 'dist', 'sandbox-entry', 'entry.cjs');
export const ENTRY_CACHE = `${ENTRY_BUNDLE}.cache`;

export class HelperMissingError extends Error {
  override name = 'HelperMissingError';
}

/** A many-uid user namespace was asked for and this user cannot have one. */
export class UidRangeError extends Error {
  override name = 'UidRangeError';
}

export function helperPath(): string {
  const path = join(packageRoot, 'native', 'nslab-helper');
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new HelperMissingError(
      `The namespace helper ${path} is not built; run \`npm install\` (or \`npm run build\`) in ${packageRoot}, which compiles it with the system C compiler.`,
    );
  }
  return path;
}

const FLAGS: Record<NsKind, string> = { user: '-U', mnt: '-m', pid: '-p', uts: '-u', ipc: '-i', net: '-n', cgroup: '-C' };

export const isRoot = (): boolean => process.geteuid?.() === 0;

/** Which namespaces a sandbox really gets: unprivileged, nothing works without a user
 * namespace, so it is always added; as root it is made only when asked for. */
export function effectiveNamespaces(requested: NsKind[]): NsKind[] {
  const set = new Set(requested);
  if (!isRoot()) set.add('user');
  return [...set];
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** This user's subordinate id range from /etc/subuid or /etc/subgid (by name or by number). */
function subordinate(file: string, name: string, id: number): { start: number; count: number } | undefined {
  for (const line of readTextOr(file).split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if ((who === name || who === String(id)) && Number(count) > 0) return { start: Number(start), count: Number(count) };
  }
  return undefined;
}

export type UidRange = { ok: true; arg: string } | { ok: false; reason: string };

/** Whether an unprivileged user can have a many-uid user namespace: newuidmap/newgidmap
 * (shadow's uidmap package) and a range in /etc/subuid and /etc/subgid. */
export function uidRangeSupport(): UidRange {
  if (isRoot()) return { ok: true, arg: '' };
  const me = userInfo();
  const fix = `install the uidmap package and give ${me.username} ranges in /etc/subuid and /etc/subgid (sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${me.username}), or run nslab with sudo`;
  if (!onPath('newuidmap') || !onPath('newgidmap')) return { ok: false, reason: `newuidmap is not installed; ${fix}` };
  const u = subordinate('/etc/subuid', me.username, me.uid);
  const g = subordinate('/etc/subgid', me.username, me.gid);
  if (!u || !g) return { ok: false, reason: `${me.username} has no subordinate id range; ${fix}` };
  // 65536 ids inside at most: enough for uid 1000 and nobody (65534), like the root mapping.
  const n = (c: number) => Math.min(c, 65535);
  return { ok: true, arg: `${u.start}:${n(u.count)}:${g.start}:${n(g.count)}` };
}

/** Arguments for `nslab-helper run`, up to and including the '--'. */
export function runArgs(
  opts: Pick<SandboxOptions, 'namespaces' | 'hostname' | 'uidRange'> & { rootfs?: string },
  pidFd?: number,
): string[] {
  const args = ['run', ...effectiveNamespaces(opts.namespaces).map((ns) => FLAGS[ns])];
  if (opts.uidRange && !isRoot()) {
    const range = uidRangeSupport();
    if (!range.ok) throw new UidRangeError(range.reason);
    args.push('--map-range', range.arg);
  }
  if (opts.hostname !== undefined) args.push('--hostname', opts.hostname);
  if (opts.rootfs !== undefined) args.push('--rootfs', opts.rootfs);
  if (pidFd !== undefined) args.push('--pid-fd', String(pidFd));
  args.push('--');
  return args;
}

/** Arguments for `nslab-helper join`: every namespace of the target, or the given kinds. */
export function joinArgs(target: number, kinds?: NsKind[], pidFd?: number): string[] {
  const args = ['join', '--target', String(target), ...(kinds ? kinds.map((k) => FLAGS[k]) : ['--all'])];
  if (pidFd !== undefined) args.push('--pid-fd', String(pidFd));
  args.push('--');
  return args;
}

/** Can this user create a user namespace and map itself? Tried for real, since sysctls
 * (Debian's unprivileged_userns_clone, Ubuntu's AppArmor restriction) only hint at it. */
export function probeUserns(): { ok: boolean; reason?: string } {
  let helper: string;
  try {
    helper = helperPath();
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const r = spawnSync(helper, ['run', '-U', '-m', '--', '/bin/true'], { encoding: 'utf8', timeout: 5000 });
  if (r.status === 0) return { ok: true };
  const said = (r.stderr || '').trim().split('\n').pop() || `exit status ${r.status ?? r.signal}`;
  return { ok: false, reason: said.replace(/^nslab-helper: /, '') };
}
