// What this machine allows, probed lazily and once: `nslab list` asks only what its lessons
// require, `nslab doctor` asks everything. Each answer carries the sentence a learner needs:
// what is missing and the command that fixes it. Sysctls only hint at what works (Ubuntu's
// AppArmor restriction lets unshare succeed and fails the uid_map write later), so user
// namespaces are decided by a real try through the helper; the sysctls explain a failure.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { cgroupLayout, parseCgroup, parseMountinfo, readTextOr as readOr, type CgroupLayout, type MountEntry } from '../proc/index.js';
import type { Requirement } from '../lessons/types.js';
import { cgroupDelegation, type Delegation } from './delegation.js';
import type { Blocker } from './blockers.js';

/** A requirement's verdict. A failed one names its check (blockers.ts), so doctor and verify
 * count the same cause under the same ID; the probes' own verdicts carry none. */
export type Verdict = { ok: true; reason?: undefined; blocker?: undefined } | { ok: false; reason: string; blocker?: Blocker };

const OK: Verdict = { ok: true };
const no = (reason: string, blocker?: Blocker): Verdict => (blocker ? { ok: false, reason, blocker } : { ok: false, reason });

function readSysctl(name: string): string | null {
  try {
    return readFileSync(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8').trim();
  } catch {
    return null;
  }
}


export function kernelVersion(text = release()): { major: number; minor: number; text: string } {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return { major: m ? Number(m[1]) : 0, minor: m ? Number(m[2]) : 0, text };
}

export interface UsernsSysctls {
  unprivilegedUsernsClone: string | null;
  maxUserNamespaces: string | null;
  apparmorRestrict: string | null;
}

export interface ContainerGuess {
  inside: boolean;
  /** The facts the guess rests on, for the doctor's line. */
  evidence: string[];
}

/** Docker/Podman/Kubernetes leave marks we can read unprivileged: /.dockerenv, container
 * names in our own cgroup paths, an overlay root. /proc/1/cgroup is often unreadable, so it is
 * not used. A lone /.dockerenv (a VM image built from a container) is not enough. */
export function guessContainer(dockerenv: boolean, cgroupText: string, mounts: MountEntry[]): ContainerGuess {
  const evidence: string[] = [];
  const named = parseCgroup(cgroupText).find((l) => /docker|containerd|kubepods|libpod|lxc|crio/.test(l.path));
  if (named) evidence.push(`/proc/self/cgroup: ${named.raw}`);
  const root = mounts.filter((m) => m.mountPoint === '/').pop();
  if (root && root.fsType === 'overlay') evidence.push(`/ is an overlay filesystem`);
  const inside = evidence.length > 0;
  if (dockerenv) evidence.push('/.dockerenv exists');
  if (!inside && root) evidence.push(`/ is ${root.fsType} on ${root.source}`);
  return { inside, evidence };
}

export interface Probes {
  root: boolean;
  uid: number;
  kernel: ReturnType<typeof kernelVersion>;
  sysctls: UsernsSysctls;
  userns(): Promise<Verdict>;
  cgroup(): CgroupLayout & { ownV2: string | null; v2Writable: boolean; v1Writable: boolean };
  seccomp(): { available: boolean; mode: number | null; line: string };
  container(): ContainerGuess;
  helper(): Promise<Verdict & { path?: string }>;
  koffi(): Promise<Verdict>;
  rootfs(): Promise<{ state: string; dir: string; reason?: string }>;
  /** Unprivileged on systemd: whether a delegated scope gives the cgroup lessons a place. */
  delegation(): Delegation;
}

const once = <T>(f: () => T): (() => T) => {
  let done = false;
  let value: T;
  return () => {
    if (!done) [value, done] = [f(), true];
    return value;
  };
};

export function makeProbes(): Probes {
  const uid = process.geteuid?.() ?? -1;
  const mounts = once(() => parseMountinfo(readOr('/proc/self/mountinfo')));
  return {
    root: uid === 0,
    uid,
    kernel: kernelVersion(),
    sysctls: {
      unprivilegedUsernsClone: readSysctl('kernel.unprivileged_userns_clone'),
      maxUserNamespaces: readSysctl('user.max_user_namespaces'),
      apparmorRestrict: readSysctl('kernel.apparmor_restrict_unprivileged_userns'),
    },
    userns: once(async () => {
      try {
        const { probeUserns } = await import('../sandbox/index.js');
        const r = await probeUserns();
        return r.ok ? OK : no(r.reason ?? 'the helper could not create a user namespace');
      } catch (err) {
        return no((err as Error).message);
      }
    }),
    cgroup: once(() => {
      const layout = cgroupLayout(mounts());
      const self = parseCgroup(readOr('/proc/self/cgroup'));
      const v2Path = self.find((l) => l.hierarchy === 0)?.path ?? null;
      const ownV2 = layout.v2Mount && v2Path !== null ? join(layout.v2Mount, v2Path) : null;
      const writable = (p: string | null) => {
        if (!p) return false;
        try {
          accessSync(p, constants.W_OK);
          return true;
        } catch {
          return false;
        }
      };
      // Unprivileged, a v2 cgroup is ours to use only when systemd delegated it to us.
      const v2Writable = writable(uid === 0 ? layout.v2Mount : ownV2);
      const v1Writable = Object.values(layout.v1).some((m) => writable(m));
      return { ...layout, ownV2, v2Writable, v1Writable };
    }),
    seccomp: once(() => {
      const line = readOr('/proc/self/status').split('\n').find((l) => l.startsWith('Seccomp:')) ?? '';
      const mode = line ? Number(line.split(/\s+/)[1]) : null;
      return { available: line !== '', mode, line: line.replace(/\t/g, ' ') };
    }),
    delegation: once(() => cgroupDelegation()),
    container: once(() => guessContainer(existsSync('/.dockerenv'), readOr('/proc/self/cgroup'), mounts())),
    helper: once(async () => {
      try {
        const { helperPath } = await import('../sandbox/index.js');
        return { ok: true, path: helperPath() } as Verdict & { path?: string };
      } catch (err) {
        return no((err as Error).message);
      }
    }),
    koffi: once(async () => {
      try {
        const mod = (await import('koffi')) as unknown as { default?: { load(p: string): unknown }; load?(p: string): unknown };
        const koffi = mod.default ?? mod;
        koffi.load!('libc.so.6');
        return OK;
      } catch (err) {
        return no(`koffi cannot load libc (${(err as Error).message.split('\n')[0]})`);
      }
    }),
    rootfs: once(async () => {
      try {
        const { rootfsStatus, outdated } = await import('../rootfs/index.js');
        const s = await rootfsStatus();
        // Rebuilt on first need, like a missing one: its programs will be the host's.
        if (outdated(s)) return { state: 'outdated', dir: s.dir, reason: 'built by an older nslab; the next lesson that needs it rebuilds it' };
        return { state: s.state, dir: s.dir, reason: s.reason };
      } catch (err) {
        return { state: 'unknown', dir: '', reason: (err as Error).message };
      }
    }),
  };
}

/** Why user namespaces are off, from the sysctls, with the fix; null when none explains it. */
export function usernsCause(s: UsernsSysctls, root: boolean): { reason: string; fix: string } | null {
  if (s.maxUserNamespaces === '0')
    return {
      reason: 'user.max_user_namespaces is 0, so creating a user namespace fails with ENOSPC',
      fix: 'sudo sysctl -w user.max_user_namespaces=15000',
    };
  if (root) return null;
  if (s.unprivilegedUsernsClone === '0')
    return {
      reason: 'kernel.unprivileged_userns_clone is 0 (Debian), so unprivileged users cannot create user namespaces',
      fix: 'sudo sysctl -w kernel.unprivileged_userns_clone=1',
    };
  if (s.apparmorRestrict === '1')
    return {
      reason: 'kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10+): unshare succeeds but writing uid_map or mounting fails with EPERM',
      fix: 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or run nslab as root)',
    };
  return null;
}

/** The check behind each user-namespace sysctl that stops user namespaces, in usernsCause's order. */
export function sysctlBlockers(s: UsernsSysctls, root: boolean): Blocker[] {
  const out: Blocker[] = [];
  if (s.maxUserNamespaces === '0')
    out.push({ check: 'userns.max-zero', observed: 'user.max_user_namespaces = 0', expected: 'a positive limit (the default is in the tens of thousands)', fix: 'sudo sysctl -w user.max_user_namespaces=15000' });
  if (root) return out;
  if (s.unprivilegedUsernsClone === '0')
    out.push({ check: 'userns.disabled-by-sysctl', observed: 'kernel.unprivileged_userns_clone = 0', expected: 'kernel.unprivileged_userns_clone = 1', fix: 'sudo sysctl -w kernel.unprivileged_userns_clone=1' });
  if (s.apparmorRestrict === '1')
    out.push({
      check: 'userns.restricted-by-apparmor',
      observed: 'kernel.apparmor_restrict_unprivileged_userns = 1',
      expected: '0, or an AppArmor profile that allows userns for native/nslab-helper, or nslab run as root',
      fix: 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
    });
  return out;
}

/** Why the helper could not make a user namespace, as a check: the sysctl that explains it,
 * else the container, else the helper itself. The same order as the userns verdict's reason. */
export async function usernsBlocker(p: Probes, probe: Verdict): Promise<Blocker> {
  const cause = sysctlBlockers(p.sysctls, p.root)[0];
  if (cause) return cause;
  const why = probe.ok ? '' : probe.reason;
  if (p.container().inside)
    return {
      check: 'userns.blocked-in-container',
      observed: `inside a container; the helper: ${why}`,
      expected: 'a container started with seccomp and AppArmor unconfined, or a VM',
      fix: 'docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined ... (or use the VM: vagrant up)',
    };
  const helper = await p.helper();
  if (!helper.ok) return { check: 'helper.not-built', observed: helper.reason, expected: 'native/nslab-helper, built by npm install', fix: 'npm run build' };
  return { check: 'userns.unavailable', observed: `the helper: ${why}`, expected: 'the helper creates a user + mount namespace and maps this uid', fix: 'sudo npx nslab ... (as root), or the workshop VM: vagrant up' };
}

/** Why no cgroup is ours to write, as a check (the cgroup is mounted but not writable). */
export function cgroupWriteBlocker(p: Probes): Blocker {
  const c = p.cgroup();
  if (p.root)
    return { check: 'cgroup.not-writable', observed: `${c.v2Mount ?? Object.values(c.v1)[0] ?? '/sys/fs/cgroup'} is not writable by root`, expected: 'a writable cgroup hierarchy', fix: 'run nslab on the host or in the VM (vagrant up), not where /sys/fs/cgroup is read-only' };
  const d = p.delegation();
  if (d.reason)
    return {
      check: 'cgroup.no-user-manager',
      observed: `${c.ownV2 ?? c.v2Mount} is not delegated to uid ${p.uid} and systemd-run --user reaches no user manager`,
      expected: 'a systemd user manager that delegates a scope (systemd-run --user --scope -p Delegate=yes)',
      fix: 'sudo loginctl enable-linger $USER, then log in again through ssh or a desktop session',
    };
  return {
    check: 'cgroup.not-delegated',
    observed: `${c.ownV2 ?? c.v2Mount ?? 'the cgroup hierarchy'} is not writable by uid ${p.uid}${c.kind === 'hybrid' || c.kind === 'v1' ? ` (cgroup ${c.kind}: systemd delegates only on pure v2)` : ''}`,
    expected: 'a cgroup subtree delegated to this user, or nslab run as root',
    fix: 'sudo npx nslab start <lesson> (for the cgroup lessons)',
  };
}

export const CGROUP_NONE: Blocker = { check: 'cgroup.none', observed: 'no cgroup filesystem mounted', expected: 'cgroup2 on /sys/fs/cgroup (systemd mounts it on boot)', fix: 'sudo mount -t cgroup2 none /sys/fs/cgroup' };
export const SECCOMP_NONE: Blocker = { check: 'seccomp.unavailable', observed: 'no Seccomp: line in /proc/self/status', expected: 'a kernel built with CONFIG_SECCOMP_FILTER (every distribution kernel is)', fix: 'vagrant up (the workshop VM), or boot a distribution kernel' };
export const rootfsCorrupt = (dir: string, reason?: string): Blocker => ({
  check: 'rootfs.corrupt',
  observed: `${dir}: ${reason ?? 'damaged'}`,
  expected: 'a rootfs built by nslab, with its .nslab-rootfs.json marker',
  fix: 'npx nslab rootfs clean && npx nslab rootfs build',
});

export class Requirements {
  private memo = new Map<string, Promise<Verdict>>();
  constructor(readonly probes: Probes = makeProbes()) {}

  check(req: Requirement): Promise<Verdict> {
    let v = this.memo.get(req);
    if (!v) this.memo.set(req, (v = this.decide(req)));
    return v;
  }

  /** The first unmet requirement's reason, or ok. */
  async all(reqs: readonly Requirement[]): Promise<Verdict> {
    for (const r of reqs) {
      const v = await this.check(r);
      if (!v.ok) return v;
    }
    return OK;
  }

  private async decide(req: Requirement): Promise<Verdict> {
    const p = this.probes;
    const kernel = /^kernel>=(\d+)\.(\d+)$/.exec(req);
    if (kernel) {
      const [maj, min] = [Number(kernel[1]), Number(kernel[2])];
      const k = p.kernel;
      return k.major > maj || (k.major === maj && k.minor >= min)
        ? OK
        : no(`needs Linux ${maj}.${min} or newer; this kernel is ${k.text}`, { check: 'kernel.too-old', observed: `Linux ${k.text}`, expected: `Linux ${maj}.${min} or newer`, fix: 'vagrant up (the workshop VM, Debian 12), or boot a newer distribution kernel' });
    }
    const program = /^(tool|host):(.+)$/.exec(req);
    if (program) return this.program(program[1] as 'tool' | 'host', program[2]!);
    const runtime = /^runtime:(.+)$/.exec(req);
    if (runtime) return this.runtime(runtime[1]!.split('|'));
    switch (req) {
      case 'root':
        return p.root ? OK : no(`needs real root on the host; you are uid ${p.uid} (run it with sudo)`, { check: 'privileges.not-root', observed: `uid ${p.uid}`, expected: 'uid 0 (root)', fix: 'sudo npx nslab start <lesson>' });
      case 'uid-range': {
        if (p.root) return OK;
        const { uidRangeSupport } = await import('../sandbox/index.js');
        const range = uidRangeSupport();
        if (range.ok) return OK;
        const reason = `needs a user namespace with more than one uid: ${range.reason}`;
        if (range.reason.startsWith('newuidmap is not installed'))
          return no(reason, { check: 'uidmap.not-installed', observed: 'no newuidmap or newgidmap on PATH', expected: 'newuidmap and newgidmap (the uidmap package)', fix: 'sudo apt-get install uidmap' });
        if (/has no subordinate id range/.test(range.reason))
          return no(reason, { check: 'subuid.no-range', observed: `no range for uid ${p.uid} in /etc/subuid or /etc/subgid`, expected: 'a range of 65536 subordinate uids and gids', fix: 'sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER' });
        return no(reason, { check: 'userns.no-uid-range', observed: range.reason, expected: 'a user namespace that maps root and uid 1000', fix: 'sudo npx nslab start <lesson>' });
      }
      case 'userns': {
        const v = await p.userns();
        if (v.ok) return v;
        const blocker = await usernsBlocker(p, v);
        const cause = usernsCause(p.sysctls, p.root);
        if (cause) return no(`user namespaces are unavailable: ${cause.reason}; fix: ${cause.fix}`, blocker);
        const c = p.container();
        if (c.inside)
          return no(
            `user namespaces are unavailable inside this container (${v.reason}); run it with --security-opt seccomp=unconfined --security-opt apparmor=unconfined, or on the host`,
            blocker,
          );
        return no(`user namespaces are unavailable: ${v.reason}`, blocker);
      }
      case 'cgroup2': {
        const c = p.cgroup();
        if (!c.v2Mount)
          return no(`needs a cgroup v2 hierarchy; this machine has cgroup ${c.kind} only`, {
            check: c.kind === 'none' ? 'cgroup.none' : 'cgroup.no-v2',
            observed: `cgroup ${c.kind} only`,
            expected: 'a cgroup v2 hierarchy',
            fix: c.kind === 'none' ? 'sudo mount -t cgroup2 none /sys/fs/cgroup' : 'add systemd.unified_cgroup_hierarchy=1 to GRUB_CMDLINE_LINUX in /etc/default/grub, then sudo update-grub && sudo reboot',
          });
        if (!c.v2Writable) {
          const d = p.root ? null : p.delegation();
          if (d?.needsScope) return OK;
          return no(
            p.root
              ? `the cgroup v2 hierarchy at ${c.v2Mount} is not writable`
              : (d?.reason ?? `needs a writable cgroup v2 subtree; ${c.ownV2 ?? c.v2Mount} is not delegated to uid ${p.uid} (run it with sudo, or under systemd-run --user --scope -p Delegate=yes)`),
            cgroupWriteBlocker(p),
          );
        }
        return OK;
      }
      case 'cgroup': {
        const c = p.cgroup();
        if (c.kind === 'none') return no('no cgroup hierarchy is mounted on this machine', CGROUP_NONE);
        if (!c.v2Writable && !c.v1Writable) {
          const d = p.root ? null : p.delegation();
          if (d?.needsScope) return OK;
          return no(d?.reason ?? `no cgroup hierarchy here is writable by uid ${p.uid} (run it with sudo)`, cgroupWriteBlocker(p));
        }
        return OK;
      }
      case 'seccomp':
        return p.seccomp().available ? OK : no('this kernel was built without seccomp (no Seccomp: line in /proc/self/status)', SECCOMP_NONE);
      case 'rootfs': {
        // A missing rootfs is built on first need; only a broken one stops a lesson here.
        const r = await p.rootfs();
        return r.state === 'corrupt' ? no(`the rootfs at ${r.dir} is damaged (${r.reason}); run nslab rootfs clean, then nslab rootfs build`, rootfsCorrupt(r.dir, r.reason)) : OK;
      }
      default:
        return no(`unknown requirement ${JSON.stringify(req)}`, {
          check: 'lesson.unknown-requirement',
          observed: `requires: ${JSON.stringify(req)}`,
          expected: 'userns, root, uid-range, cgroup2, cgroup, seccomp, rootfs, kernel>=X.Y, tool:NAME, host:NAME or runtime:NAME[|NAME]',
          fix: "correct the lesson.md frontmatter's requires: list (docs/authoring.md)",
        });
    }
  }

  /** A container runtime that answers `NAME info` (a daemon that is up, podman's storage that
   * opens): the first of `names` that does. */
  private async runtime(names: string[]): Promise<Verdict> {
    const { findRuntime } = await import('../kit/runtime.js');
    const rt = await findRuntime(names);
    if (!('reason' in rt)) return OK;
    // No doctor check ID: doctor judges the lessons' required experiments, and an experiment
    // that needs a runtime is optional (most machines have none, by choice).
    return no(`needs a container runtime that answers (${names.join(' or ')}): ${rt.reason}; install one (sudo apt-get install podman)`);
  }

  /** A program the lesson runs: from the rootfs as it is, or as it will be built (the host
   * builder copies the host's programs), or from the host itself. */
  private async program(where: 'tool' | 'host', name: string): Promise<Verdict> {
    const { BIN_DIRS, findIn, missingTool, packageOf } = await import('../rootfs/tools.js');
    const pkg = packageOf(name);
    const expected = `${name} (Debian/Ubuntu package ${pkg})`;
    const dirs = BIN_DIRS.join(', ');
    if (where === 'tool') {
      const r = await this.probes.rootfs();
      if (r.state === 'ready') {
        if (findIn(r.dir, name)) return OK;
        const blocker: Blocker = findIn('', name)
          ? { check: `rootfs.missing-tool.${name}`, observed: `no ${name} in nslab's rootfs (${r.dir}), though this machine has it`, expected, fix: 'npx nslab rootfs build' }
          : { check: `tool.missing.${name}`, observed: `no ${name} in ${dirs}, here or in nslab's rootfs`, expected, fix: `sudo apt-get install ${pkg} && npx nslab rootfs build` };
        return no(missingTool(name, r.dir), blocker);
      }
    }
    return findIn('', name) ? OK : no(missingTool(name), { check: `tool.missing.${name}`, observed: `no ${name} in ${dirs}`, expected, fix: `sudo apt-get install ${pkg}` });
  }
}
