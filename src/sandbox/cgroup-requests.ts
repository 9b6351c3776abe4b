// The host's side of ctx.cgroup(): cgroups made for one sandbox run, on its request. The host
// decides where (planCgroup), makes the directory, moves in only PIDs that are the sandbox's
// own (hostPidsOf finds them among its descendants or throws), and removes everything when the
// run ends. A process 'exit' handler covers nslab's own death; a SIGKILL of nslab leaves
// nslab-<dead pid>-<n>, which cleanStaleCgroups() sweeps on the next start.
import { existsSync } from 'node:fs';
import { adopt, CgroupUnavailableError, createOwnedCgroup, featurePaths, removeOwnedCgroup, removeOwnedCgroupSync, type OwnedCgroup } from './cgroups.js';
import { hostPidsOf } from './outside.js';
import type { CgroupOp } from './protocol.js';
import type { CgroupGrant, CgroupRemoval } from './types.js';

/** Every cgroup any run in this process still owns, for the exit handler. */
const live = new Set<OwnedCgroup>();
let exitHandler = false;

function track(cg: OwnedCgroup): void {
  live.add(cg);
  if (exitHandler) return;
  exitHandler = true;
  // Only synchronous work runs in 'exit': the blocking variant, with a short deadline.
  process.on('exit', () => {
    for (const c of live) removeOwnedCgroupSync(c);
  });
}

/** Errors that mean "not allowed here" rather than a bug: the reason to skip with. */
function deniedBy(err: unknown): string | null {
  if (err instanceof CgroupUnavailableError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? `${code}: ${(err as Error).message}` : null;
}

export class RunCgroups {
  private readonly owned = new Map<string, OwnedCgroup>();
  private closed = false;

  /** sandboxPid: the host PID of the sandbox's first process (the root of what it may move). */
  constructor(private readonly sandboxPid: () => number) {}

  async handle(req: CgroupOp): Promise<unknown> {
    if (req.op === 'remove') return this.remove(req.name);
    if (this.closed) throw new Error('the sandbox has ended');
    // Mapped first: a PID that is not the sandbox's is refused before anything is made.
    const hostPids = req.pids.length ? hostPidsOf(this.sandboxPid(), req.pids) : [];
    if (req.op === 'adopt') {
      const cg = this.owned.get(req.name);
      if (!cg) throw new Error(`${req.name} is not a cgroup of this sandbox`);
      adopt(cg, hostPids);
      return hostPids;
    }
    return this.create(req.features, hostPids, req.preferV1);
  }

  private async create(features: Parameters<typeof createOwnedCgroup>[0], hostPids: number[], preferV1: boolean): Promise<CgroupGrant> {
    let cg: OwnedCgroup;
    try {
      cg = createOwnedCgroup(features, { prefer: preferV1 ? 'v1' : 'v2' });
    } catch (err) {
      const reason = deniedBy(err);
      if (reason === null) throw err;
      return { ok: false, reason };
    }
    this.owned.set(cg.name, cg);
    track(cg);
    try {
      adopt(cg, hostPids);
    } catch (err) {
      await this.remove(cg.name);
      const reason = deniedBy(err);
      if (reason === null) throw err;
      // The delegation rule: moving needs write access up to the common ancestor.
      return { ok: false, reason: `made ${cg.dirs.join(', ')}, but could not move PIDs ${hostPids.join(' ')} into it (${reason})` };
    }
    return { ok: true, name: cg.name, version: cg.version, dirs: [...cg.dirs], paths: featurePaths(cg, features), moved: hostPids, why: cg.why };
  }

  /** Remove one cgroup, or all of this run's; members still inside are killed. */
  async remove(name?: string): Promise<CgroupRemoval> {
    const out: CgroupRemoval = { removed: [], killed: [], failed: [] };
    const which = name === undefined ? [...this.owned.values()] : [this.owned.get(name)].filter((c): c is OwnedCgroup => !!c);
    if (name !== undefined && !which.length) throw new Error(`${name} is not a cgroup of this sandbox`);
    for (const cg of which) {
      // Only what was still there: the experiment may have removed it itself (rmdir).
      const present = cg.dirs.filter((d) => existsSync(d));
      const r = await removeOwnedCgroup(cg);
      out.removed.push(...r.removed.filter((d) => present.includes(d)));
      out.killed.push(...r.killed);
      out.failed.push(...r.failed);
      // One that could not be removed stays known, for the exit handler to try again.
      if (!r.failed.length) {
        this.owned.delete(cg.name);
        live.delete(cg);
      }
    }
    return out;
  }

  /** The sandbox is gone: make nothing more, remove everything made. */
  async close(): Promise<CgroupRemoval> {
    this.closed = true;
    return this.remove();
  }
}
