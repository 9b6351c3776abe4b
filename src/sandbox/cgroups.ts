// Cgroups that nslab owns: created for one run, holding only processes that run started, and
// removed afterwards, even when the nslab process that made them was SIGKILLed (its janitor,
// janitor.ts, removes them as it dies; the next start sweeps what a janitor could not). The
// name carries the owner: nslab-<owner pid>-<n>, so a cgroup whose owner is dead is known to be
// stale without any state kept on disk.
//
// Safety rules, enforced here rather than trusted to callers:
// - only directories named nslab-<pid>-<n> are ever created, written to or removed;
// - a new cgroup goes under the caller's own cgroup or the nearest ancestor it may write
//   (the delegated subtree when unprivileged); no file of any other cgroup is written, so
//   controllers are used only where a parent already enables them (cgroup.subtree_control);
// - removal kills only the members of our own cgroup (cgroup.kill on v2, else SIGKILL to each
//   PID in its cgroup.procs), which are processes nslab moved in or their children.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cgroupLayout, parseCgroup, readTextOr as readOr, type CgroupLayout } from '../proc/index.js';
import type { CgroupFeature } from './types.js';
import { ensureJanitor } from './janitor.js';
import { scaled } from './time.js';

export const OWNED_PREFIX = 'nslab-';
const OWNED_NAME = /^nslab-(\d+)-(\d+)$/;

// Defined with the sandbox contract, since an experiment names the features it asks for.
export type { CgroupFeature };

/** The file that proves a feature exists in a created cgroup, per version. */
const FEATURE_FILE: Record<'v1' | 'v2', Record<CgroupFeature, string | null>> = {
  v2: { pids: 'pids.max', memory: 'memory.max', freeze: 'cgroup.freeze', kill: 'cgroup.kill' },
  v1: { pids: 'pids.max', memory: 'memory.limit_in_bytes', freeze: 'freezer.state', kill: null },
};
const V1_CONTROLLER: Record<CgroupFeature, string | null> = { pids: 'pids', memory: 'memory', freeze: 'freezer', kill: null };

export interface CgroupPlan {
  version: 'v1' | 'v2';
  /** One parent directory per hierarchy the cgroup spans (one on v2, one per controller on v1). */
  parents: string[];
  /** Why this version and place, for the learner: 'cgroup v2 at /sys/fs/cgroup: ...'. */
  why: string;
}

export type PlanResult = ({ ok: true } & CgroupPlan) | { ok: false; reason: string };

export interface PlanOptions {
  /** Try v1 first (v2 is preferred: it is what current distributions run). */
  prefer?: 'v1' | 'v2';
  layout?: CgroupLayout;
  /** Text of /proc/self/cgroup: where the caller sits in each hierarchy. */
  self?: string;
  /** May this uid write there? Default: access(2) W_OK. */
  writable?: (path: string) => boolean;
  /** For the reasons' wording; default geteuid(). */
  uid?: number;
}

/** access(2) W_OK: may this process write there? */
export const canWrite = (path: string): boolean => {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

/** The caller's own cgroup directory and its ancestors up to the mount, deepest first. */
function ancestry(mountPoint: string, ownPath: string): string[] {
  const mount = resolve(mountPoint);
  let dir = resolve(mount, `.${ownPath}`);
  // A path outside this mount (a cgroup namespace shows '/..'): start at the mount itself.
  if (dir !== mount && !dir.startsWith(`${mount}/`)) dir = mount;
  const out = [dir];
  while (dir !== mount) out.push((dir = dirname(dir)));
  return out;
}

/** Moving a process needs write access to the target's cgroup.procs and to the cgroup.procs of
 * the common ancestor of source and target (the delegation rule); the common ancestor of our
 * own cgroup and a child of P is P, so P must grant both mkdir and cgroup.procs. */
function usableParent(dir: string, writable: (p: string) => boolean): boolean {
  return writable(dir) && writable(join(dir, 'cgroup.procs'));
}

function planV2(features: CgroupFeature[], layout: CgroupLayout, self: string, writable: (p: string) => boolean, uid: number): PlanResult {
  const mount = layout.v2Mount;
  if (!mount) return { ok: false, reason: 'no cgroup2 hierarchy is mounted' };
  const controllers = features.filter((f) => f === 'pids' || f === 'memory');
  const missing = controllers.filter((c) => !layout.v2Controllers.includes(c));
  if (missing.length)
    return {
      ok: false,
      reason: `the cgroup2 hierarchy at ${mount} offers ${layout.v2Controllers.join(' ') || 'no controllers'}, not ${missing.join(' ')}${layout.kind === 'hybrid' ? ' (on this hybrid machine those are v1 hierarchies)' : ''}`,
    };
  const own = parseCgroup(self).find((l) => l.hierarchy === 0)?.path;
  if (own === undefined) return { ok: false, reason: 'this process has no 0:: line in /proc/self/cgroup' };
  const chain = ancestry(mount, own);
  const writableDirs = chain.filter((d) => usableParent(d, writable));
  const parent = writableDirs.find((d) => controllers.every((c) => words(readOr(join(d, 'cgroup.subtree_control'))).includes(c)));
  if (parent) return { ok: true, version: 'v2', parents: [parent], why: `cgroup v2 at ${mount} (${layout.kind} layout); nslab's own cgroup is ${own}, the new one goes under ${parent}` };
  if (!writableDirs.length)
    return {
      ok: false,
      reason:
        uid === 0
          ? `no cgroup from ${resolve(mount, `.${own}`)} up to ${mount} is writable`
          : `cgroup delegation is missing: no cgroup from your own (${resolve(mount, `.${own}`)}) up to ${mount} is writable by uid ${uid}; run nslab with sudo, or under systemd-run --user --scope -p Delegate=yes`,
    };
  return {
    ok: false,
    reason: `${writableDirs.join(', ')} ${writableDirs.length > 1 ? 'are' : 'is'} writable, but none enables ${controllers.join(' ')} in cgroup.subtree_control, and nslab writes no cgroup file outside its own cgroups`,
  };
}

function planV1(features: CgroupFeature[], layout: CgroupLayout, self: string, writable: (p: string) => boolean, uid: number): PlanResult {
  if (features.includes('kill'))
    return { ok: false, reason: 'cgroup.kill exists only in cgroup v2 (Linux 5.14+); cgroup v1 has no way to kill a whole cgroup at once' };
  let ctrls = features.map((f) => V1_CONTROLLER[f]!).filter((c, i, a) => a.indexOf(c) === i);
  // Any hierarchy will do for a cgroup that only has to hold processes; pids is the lightest.
  if (!ctrls.length) ctrls = [['pids', 'freezer', 'memory'].find((c) => layout.v1[c]) ?? Object.keys(layout.v1).find((c) => !c.startsWith('name=')) ?? 'pids'];
  const lines = parseCgroup(self);
  const parents: string[] = [];
  for (const c of ctrls) {
    const mount = layout.v1[c];
    if (!mount) return { ok: false, reason: `no cgroup v1 hierarchy has the ${c} controller` };
    const own = lines.find((l) => l.controllers.includes(c))?.path;
    if (own === undefined) return { ok: false, reason: `this process has no ${c} line in /proc/self/cgroup` };
    const parent = ancestry(mount, own).find((d) => usableParent(d, writable));
    if (!parent)
      return {
        ok: false,
        reason: `no ${c} cgroup from ${resolve(mount, `.${own}`)} up to ${mount} is writable by uid ${uid}${uid === 0 ? '' : ' (cgroup v1 has no delegation to unprivileged users; run nslab with sudo)'}`,
      };
    parents.push(parent);
  }
  return { ok: true, version: 'v1', parents, why: `cgroup v1 (${layout.kind} layout): one hierarchy per controller (${ctrls.map((c, i) => `${c} under ${parents[i]}`).join(', ')})` };
}

/** Where a cgroup with these features can be made, or the true reason it cannot. */
export function planCgroup(features: CgroupFeature[], opts: PlanOptions = {}): PlanResult {
  const layout = opts.layout ?? cgroupLayout();
  const self = opts.self ?? readOr('/proc/self/cgroup');
  const writable = opts.writable ?? canWrite;
  if (layout.kind === 'none') return { ok: false, reason: 'no cgroup filesystem is mounted' };
  const order: ('v1' | 'v2')[] = opts.prefer === 'v1' ? ['v1', 'v2'] : ['v2', 'v1'];
  const reasons: string[] = [];
  for (const v of order) {
    if (v === 'v1' && !Object.keys(layout.v1).length) {
      reasons.push('no cgroup v1 hierarchy is mounted');
      continue;
    }
    const uid = opts.uid ?? process.geteuid?.() ?? -1;
    const r = v === 'v2' ? planV2(features, layout, self, writable, uid) : planV1(features, layout, self, writable, uid);
    if (r.ok) return reasons.length ? { ...r, why: `${r.why}; not ${reasons.join('; ')}` } : r;
    reasons.push(`v${v.slice(1)}: ${r.reason}`);
  }
  return { ok: false, reason: reasons.join('; ') };
}

export interface OwnedCgroup {
  /** nslab-<owner>-<n> */
  name: string;
  owner: number;
  version: 'v1' | 'v2';
  /** The cgroup's directory in each hierarchy it spans. */
  dirs: string[];
  why: string;
}

/** Thrown when no cgroup can be made here; the message is the reason to show. */
export class CgroupUnavailableError extends Error {
  override name = 'CgroupUnavailableError';
}

let sequence = 0;

export function ownedName(owner: number, n: number): string {
  return `${OWNED_PREFIX}${owner}-${n}`;
}

export function parseOwnedName(name: string): { owner: number; n: number } | null {
  const m = OWNED_NAME.exec(name);
  return m ? { owner: Number(m[1]), n: Number(m[2]) } : null;
}

/** Make a cgroup owned by this process (or `owner`) with the given features. */
export function createOwnedCgroup(features: CgroupFeature[], opts: PlanOptions & { owner?: number } = {}): OwnedCgroup {
  const plan = planCgroup(features, opts);
  if (!plan.ok) throw new CgroupUnavailableError(plan.reason);
  const owner = opts.owner ?? process.pid;
  // Before the mkdir: a SIGKILL between the two must not leave a cgroup nobody will remove.
  if (owner === process.pid) ensureJanitor();
  for (;;) {
    const name = ownedName(owner, ++sequence);
    if (plan.parents.some((p) => existsSync(join(p, name)))) continue;
    const dirs: string[] = [];
    const cg: OwnedCgroup = { name, owner, version: plan.version, dirs, why: plan.why };
    try {
      for (const p of plan.parents) {
        mkdirSync(join(p, name));
        dirs.push(join(p, name));
      }
    } catch (err) {
      removeOwnedCgroupSync(cg);
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another nslab raced us
      throw err;
    }
    const absent = features.filter((f) => {
      const file = FEATURE_FILE[plan.version][f];
      return !file || !dirs.some((d) => existsSync(join(d, file)));
    });
    if (absent.length) {
      removeOwnedCgroupSync(cg);
      throw new CgroupUnavailableError(
        `a new cgroup under ${plan.parents.join(', ')} has no ${absent.map((f) => FEATURE_FILE[plan.version][f] ?? f).join(', ')} (this kernel is too old for it)`,
      );
    }
    return cg;
  }
}

/** The directory of a created cgroup that holds each feature's files (on v1 each controller is
 * a directory of its own). */
export function featurePaths(cg: Pick<OwnedCgroup, 'version' | 'dirs'>, features: CgroupFeature[]): Partial<Record<CgroupFeature, string>> {
  const out: Partial<Record<CgroupFeature, string>> = {};
  for (const f of features) {
    const file = FEATURE_FILE[cg.version][f];
    const dir = file ? cg.dirs.find((d) => existsSync(join(d, file))) : undefined;
    if (dir) out[f] = dir;
  }
  return out;
}

function assertOwned(dir: string): void {
  if (!OWNED_NAME.test(dir.split('/').pop() ?? '')) throw new Error(`refusing to touch ${dir}: not a cgroup nslab made`);
}

/** Move processes into the cgroup (each hierarchy). Callers pass only PIDs they started. */
export function adopt(cg: OwnedCgroup, pids: number[]): void {
  for (const dir of cg.dirs) {
    assertOwned(dir);
    for (const pid of pids) writeFileSync(join(dir, 'cgroup.procs'), `${pid}\n`);
  }
}

export function members(cg: Pick<OwnedCgroup, 'dirs'>): number[] {
  const set = new Set<number>();
  for (const dir of cg.dirs) for (const w of words(readOr(join(dir, 'cgroup.procs')))) set.add(Number(w));
  return [...set];
}

type Attempt = { gone: true } | { gone: false; error: string };

/** One pass: thaw, kill the members, try rmdir. Frozen tasks cannot die until thawed (v1), and
 * rmdir fails with EBUSY while anything is still inside. */
function removeOnce(dir: string, killed: Set<number>): Attempt {
  assertOwned(dir);
  if (!existsSync(dir)) return { gone: true };
  const write = (file: string, value: string): void => {
    try {
      if (existsSync(join(dir, file))) writeFileSync(join(dir, file), value);
    } catch {
      /* best effort: the rmdir below reports what matters */
    }
  };
  write('freezer.state', 'THAWED');
  write('cgroup.freeze', '0');
  const pids = words(readOr(join(dir, 'cgroup.procs'))).map(Number);
  if (pids.length && existsSync(join(dir, 'cgroup.kill'))) {
    write('cgroup.kill', '1');
    pids.forEach((p) => killed.add(p));
  } else {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        /* exited meanwhile */
      }
    }
  }
  try {
    rmdirSync(dir);
    return { gone: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { gone: true };
    return { gone: false, error: `${code ?? 'error'} removing ${dir}` };
  }
}

export interface RemoveResult {
  killed: number[];
  removed: string[];
  failed: { dir: string; error: string }[];
}

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

function removeLoop(cg: Pick<OwnedCgroup, 'dirs'>, timeoutMs: number, wait: (ms: number) => void | Promise<void>): RemoveResult | Promise<RemoveResult> {
  const killed = new Set<number>();
  const result: RemoveResult = { killed: [], removed: [], failed: [] };
  const deadline = Date.now() + scaled(timeoutMs);
  let pending = [...cg.dirs];
  const pass = (): boolean => {
    const still: { dir: string; error: string }[] = [];
    for (const dir of pending) {
      const a = removeOnce(dir, killed);
      if (a.gone) result.removed.push(dir);
      else still.push({ dir, error: a.error });
    }
    pending = still.map((s) => s.dir);
    result.failed = still;
    result.killed = [...killed];
    return pending.length === 0 || Date.now() >= deadline;
  };
  if (wait === sleepSync) {
    while (!pass()) sleepSync(20);
    return result;
  }
  return (async () => {
    while (!pass()) await wait(20);
    return result;
  })();
}

/** Kill what is left inside and remove the cgroup from every hierarchy; retries while members
 * finish dying (rmdir says EBUSY until they have). */
export function removeOwnedCgroup(cg: Pick<OwnedCgroup, 'dirs'>, timeoutMs = 3000): Promise<RemoveResult> {
  return removeLoop(cg, timeoutMs, (ms) => new Promise((r) => setTimeout(r, ms))) as Promise<RemoveResult>;
}

/** The same, blocking: for process 'exit' handlers, where nothing asynchronous runs any more. */
export function removeOwnedCgroupSync(cg: Pick<OwnedCgroup, 'dirs'>, timeoutMs = 1000): RemoveResult {
  return removeLoop(cg, timeoutMs, sleepSync) as RemoveResult;
}

/** Alive as far as we can tell: EPERM means it exists but is not ours to signal. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Every nslab-<pid>-<n> directory in the mounted cgroup hierarchies. */
export function findOwnedCgroups(layout: CgroupLayout = cgroupLayout(), maxDepth = 10): { dir: string; owner: number }[] {
  const roots = new Set<string>();
  for (const m of [layout.v2Mount, ...Object.values(layout.v1)]) {
    if (!m) continue;
    try {
      roots.add(realpathSync(m));
    } catch {
      /* not visible from here */
    }
  }
  const found: { dir: string; owner: number }[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const owned = parseOwnedName(e.name);
      if (owned) found.push({ dir: join(dir, e.name), owner: owned.owner });
      else if (depth < maxDepth) walk(join(dir, e.name), depth + 1);
    }
  };
  for (const r of roots) walk(r, 1);
  return found;
}

export interface StaleSweep {
  removed: string[];
  killed: number[];
  failed: { dir: string; error: string }[];
}

/**
 * Remove cgroups left by an nslab process that died without cleaning up (SIGKILL, power loss):
 * every nslab-<pid>-<n> whose owner PID no longer exists. Cgroups of a live nslab (another
 * terminal, a parallel test) are left alone. Call it when nslab starts a lesson or a verify run.
 */
export async function cleanStaleCgroups(opts: { alive?: (pid: number) => boolean; layout?: CgroupLayout } = {}): Promise<StaleSweep> {
  const alive = opts.alive ?? pidAlive;
  const sweep: StaleSweep = { removed: [], killed: [], failed: [] };
  const stale = findOwnedCgroups(opts.layout).filter((c) => c.owner !== process.pid && !alive(c.owner));
  if (!stale.length) return sweep;
  const r = await removeOwnedCgroup({ dirs: stale.map((c) => c.dir) }, 2000);
  return { removed: r.removed, killed: r.killed, failed: r.failed };
}

/** In a cgroup v2 scope that systemd delegated to us (we are its only process, as right after
 * `systemd-run --user --scope -p Delegate=yes`): move this process into a leaf of its own,
 * nslab-<pid>-0, and enable the scope's controllers for its children. A cgroup with member
 * processes cannot hand controllers to children (the "no internal processes" rule), so this
 * is what rootless podman and crun do in their scope too. The scope and everything under it
 * belong to this run: systemd removes them when its last process exits, even after a SIGKILL.
 * Returns what was done, for NSLAB_DEBUG; throws nothing (a lesson then skips with the reason). */
export function enterDelegatedLeaf(layout: CgroupLayout = cgroupLayout()): string {
  const own = parseCgroup(readOr('/proc/self/cgroup')).find((l) => l.hierarchy === 0)?.path;
  if (!layout.v2Mount || own === undefined) return 'no cgroup v2 here';
  const scope = resolve(layout.v2Mount, `.${own}`);
  try {
    const leaf = join(scope, ownedName(process.pid, 0));
    mkdirSync(leaf);
    writeFileSync(join(leaf, 'cgroup.procs'), `${process.pid}\n`);
    const available = words(readOr(join(scope, 'cgroup.controllers'))).filter((c) => c === 'pids' || c === 'memory');
    if (available.length) writeFileSync(join(scope, 'cgroup.subtree_control'), available.map((c) => `+${c}`).join(' '));
    return `moved into ${leaf}; ${scope} hands ${available.join(' ') || 'no controllers'} to its children`;
  } catch (err) {
    return `could not prepare ${scope}: ${(err as Error).message}`;
  }
}
