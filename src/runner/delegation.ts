// Cgroup delegation for an unprivileged learner on a systemd machine. A login session's cgroup
// (user.slice/.../session-N.scope) belongs to root, so nslab may not make cgroups there; the
// user's own systemd manager will delegate a scope on request, as rootless podman asks it to.
// nslab then re-runs its command inside `systemd-run --user --scope -p Delegate=yes`, whose
// scope is the learner's to write (and systemd's to remove when the run ends, however it ends).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cgroupLayout, parseCgroup, readTextOr } from '../proc/index.js';
import { canWrite } from '../sandbox/cgroups.js';

/** Set in the re-run: the scope is ours, and the run must not ask for another. */
export const SCOPE_MARK = 'NSLAB_DELEGATED_SCOPE';

export interface Delegation {
  /** true: cgroups can be made here, as things are or inside a delegated scope. */
  ok: boolean;
  /** true: only after a re-run inside a delegated scope. */
  needsScope: boolean;
  /** Why not, with the fix, when !ok. */
  reason?: string;
}

let userManager: { ok: boolean; error: string } | undefined;
/** Does `systemd-run --user` reach a user manager? Asked once: it costs a D-Bus round trip. */
export function userManagerReachable(): { ok: boolean; error: string } {
  if (!userManager) {
    const r = spawnSync('systemd-run', ['--user', '--scope', '--quiet', '-p', 'Delegate=yes', '--', 'true'], { encoding: 'utf8', timeout: 30_000 });
    const error = r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop() || `exit status ${r.status}`;
    userManager = { ok: r.status === 0, error };
  }
  return userManager;
}

/** Whether this unprivileged, cgroup-v2, systemd process needs (and can have) a delegated scope. */
export function cgroupDelegation(): Delegation {
  if (process.geteuid?.() === 0 || process.env[SCOPE_MARK]) return { ok: true, needsScope: false };
  const layout = cgroupLayout();
  const own = parseCgroup(readTextOr('/proc/self/cgroup')).find((l) => l.hierarchy === 0)?.path;
  // Only pure v2 is systemd's to delegate; hybrid machines keep the v1 rules.
  if (layout.kind !== 'v2' || !layout.v2Mount || own === undefined) return { ok: true, needsScope: false };
  if (canWrite(join(layout.v2Mount, own))) return { ok: true, needsScope: false };
  const um = userManagerReachable();
  if (um.ok) return { ok: true, needsScope: true };
  return {
    ok: false,
    needsScope: false,
    reason: `your cgroup (${own}) is not delegated to you and no systemd user manager is reachable (systemd-run --user: ${um.error}); fix: log in through a real session (ssh or a desktop) so systemd starts your user manager, or run \`sudo loginctl enable-linger $USER\` and log in again, or run nslab with sudo`,
  };
}

/** Re-run this nslab command inside a delegated scope and return its exit status, or null when
 * no re-run is needed (or none is possible: then the cgroup lesson skips with the reason). */
export function rerunInScope(argv: string[]): number | null {
  const d = cgroupDelegation();
  if (!d.needsScope) return null;
  // The child owns the terminal and prints its own farewell; this parent only waits.
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(s);
    process.on(s, () => {});
  }
  const r = spawnSync(
    'systemd-run',
    ['--user', '--scope', '--quiet', '-p', 'Delegate=yes', '--', process.execPath, ...process.execArgv, process.argv[1]!, ...argv],
    { stdio: 'inherit', env: { ...process.env, [SCOPE_MARK]: '1' } },
  );
  if (r.error) return null;
  return r.status ?? 128 + 9;
}
