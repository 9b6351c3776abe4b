// `nslab doctor`: one line per fact about this machine, each ok / warn / fail with the fix,
// then which lessons can run here. Whatever is wrong is also a finding under a stable check ID
// (blockers.ts) with the lessons it blocks: a lesson's blockers are the IDs its unmet
// requirements' verdicts name, the very verdicts verify skips on. The JSON form is also the
// "environment" of `verify --json`, so its shape is stable: add fields, never rename them
// (SCHEMA_VERSION counts the additions; the README documents it).
import type { LoadedLesson } from '../lessons/loader.js';
import { cgroupWriteBlocker, CGROUP_NONE, Requirements, rootfsCorrupt, SECCOMP_NONE, sysctlBlockers, usernsBlocker, usernsCause, type Probes } from './requirements.js';
import type { Requirement } from '../lessons/types.js';
import { docsFor, ignores, MACHINE_WIDE, titleOf, type Blocker, type Severity } from './blockers.js';

export type Level = 'ok' | 'warn' | 'fail';

/** 1: the fields before check IDs; 2: schemaVersion, findings, lines' check/observed/expected,
 * lessons' blockers. */
export const SCHEMA_VERSION = 2;

export interface DoctorLine {
  id: string;
  label: string;
  status: Level;
  detail: string;
  fix?: string;
  /** On a line that is not ok: the check ID of its finding. */
  check?: string;
  observed?: string;
  expected?: string;
}

/** One thing wrong on this machine, under its check ID. */
export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  observed: string;
  expected: string;
  fix: string;
  /** The lessons it stops (those whose unmet requirements name this check). */
  blocks: string[];
  /** It breaks nslab itself, not particular lessons (a pre-flight fails on it whatever it needs). */
  machineWide: boolean;
  /** Where the README explains it. */
  docs: string;
  /** The doctor lines that report it (none when only a requirement found it). */
  lines: string[];
  /** Downgraded to a warning by --ignore. */
  ignored: boolean;
}

export interface DoctorLesson {
  id: string;
  title: string;
  runnable: boolean;
  reason?: string;
  /** The check IDs of every unmet requirement, first the one `reason` names; empty when runnable. */
  blockers: string[];
}

export interface DoctorOptions {
  /** Lessons that count for severity (a pre-flight's); every lesson when absent. */
  need?: string[];
  /** --ignore: check IDs (or families) downgraded to warnings. */
  ignore?: string[];
}

export interface DoctorReport {
  schemaVersion: number;
  node: string;
  kernel: string;
  arch: string;
  uid: number;
  root: boolean;
  checks: DoctorLine[];
  requirements: Record<string, { ok: boolean; reason?: string; check?: string }>;
  lessons: DoctorLesson[];
  ok: boolean;
  /** Errors first, then by lessons blocked. */
  findings: Finding[];
}

/** Each tagged line's blocker, whose fix is the one command (the line's own fix may offer several). */
const lineBlockers = new WeakMap<DoctorLine, Blocker>();
const tag = (line: DoctorLine, b: Blocker): DoctorLine => {
  const tagged = { ...line, check: b.check, observed: b.observed, expected: b.expected };
  lineBlockers.set(tagged, b);
  return tagged;
};

const REQS: Requirement[] = ['userns', 'root', 'uid-range', 'cgroup2', 'cgroup', 'seccomp', 'rootfs'];

export async function doctorLines(p: Probes): Promise<DoctorLine[]> {
  const lines: DoctorLine[] = [];
  const k = p.kernel;
  lines.push(
    k.major > 5 || (k.major === 5 && k.minor >= 4)
      ? { id: 'kernel', label: 'kernel', status: 'ok', detail: `Linux ${k.text}` }
      : tag(
          {
            id: 'kernel',
            label: 'kernel',
            status: 'warn',
            detail: `Linux ${k.text} is older than 5.4; some lessons check newer behaviour`,
            fix: 'use a VM with a current distribution kernel (Debian 12, Ubuntu 24.04)',
          },
          { check: 'kernel.old', observed: `Linux ${k.text}`, expected: 'Linux 5.4 or newer', fix: 'vagrant up (the workshop VM, Debian 12)' },
        ),
  );

  const s = p.sysctls;
  if (s.unprivilegedUsernsClone !== null)
    lines.push(
      s.unprivilegedUsernsClone === '0' && !p.root
        ? { id: 'sysctl.unprivileged_userns_clone', label: 'kernel.unprivileged_userns_clone', status: 'fail', detail: '0: unprivileged users cannot create user namespaces', fix: 'sudo sysctl -w kernel.unprivileged_userns_clone=1' }
        : { id: 'sysctl.unprivileged_userns_clone', label: 'kernel.unprivileged_userns_clone', status: 'ok', detail: s.unprivilegedUsernsClone },
    );
  if (s.maxUserNamespaces !== null)
    lines.push(
      s.maxUserNamespaces === '0'
        ? { id: 'sysctl.max_user_namespaces', label: 'user.max_user_namespaces', status: 'fail', detail: '0: every user namespace fails with ENOSPC', fix: 'sudo sysctl -w user.max_user_namespaces=15000' }
        : { id: 'sysctl.max_user_namespaces', label: 'user.max_user_namespaces', status: 'ok', detail: s.maxUserNamespaces },
    );
  if (s.apparmorRestrict !== null)
    lines.push(
      s.apparmorRestrict === '1' && !p.root
        ? { id: 'sysctl.apparmor_restrict_unprivileged_userns', label: 'kernel.apparmor_restrict_unprivileged_userns', status: 'fail', detail: '1: unshare succeeds, then uid_map and mount fail with EPERM', fix: 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or run nslab as root' }
        : { id: 'sysctl.apparmor_restrict_unprivileged_userns', label: 'kernel.apparmor_restrict_unprivileged_userns', status: 'ok', detail: s.apparmorRestrict },
    );

  const helper = await p.helper();
  const userns = await p.userns();
  if (userns.ok) lines.push({ id: 'userns', label: 'user namespaces', status: 'ok', detail: 'the helper created a user + mount namespace and mapped this uid' });
  else {
    const cause = usernsCause(s, p.root);
    lines.push({
      id: 'userns',
      label: 'user namespaces',
      status: 'fail',
      detail: helper.ok ? `the helper could not make one: ${userns.reason}` : 'not tried: the helper is not built',
      fix: cause?.fix ?? (p.container().inside ? 'run the container with --security-opt seccomp=unconfined --security-opt apparmor=unconfined (or --privileged)' : helper.ok ? 'see the lines above; on Ubuntu 23.10+ the AppArmor restriction is the usual cause' : 'npm run build'),
    });
  }

  lines.push(
    p.root
      ? { id: 'root', label: 'privileges', status: 'ok', detail: 'running as root: every lesson can run' }
      : { id: 'root', label: 'privileges', status: 'ok', detail: `running as uid ${p.uid}: lessons that need real root are skipped`, fix: 'sudo nslab ... for those lessons' },
  );

  const c = p.cgroup();
  const ctrl = (list: string[]) => (list.length ? list.join(' ') : 'none');
  const cgDetail =
    c.kind === 'v2'
      ? `v2 at ${c.v2Mount}; controllers: ${ctrl(c.v2Controllers)}`
      : c.kind === 'hybrid'
        ? `hybrid: v1 controllers ${ctrl(Object.keys(c.v1).filter((x) => !x.startsWith('name=')))}; cgroup2 at ${c.v2Mount} with ${ctrl(c.v2Controllers)}`
        : c.kind === 'v1'
          ? `v1 only: ${ctrl(Object.keys(c.v1).filter((x) => !x.startsWith('name=')))}`
          : 'no cgroup filesystem mounted';
  const writable = c.v2Writable || c.v1Writable;
  lines.push(
    c.kind === 'none'
      ? { id: 'cgroup', label: 'cgroups', status: 'fail', detail: cgDetail, fix: 'mount cgroup2 on /sys/fs/cgroup (systemd does this on boot)' }
      : !writable && !p.root && p.delegation().needsScope
        ? { id: 'cgroup', label: 'cgroups', status: 'ok', detail: `${cgDetail}; your own cgroup is not yours to write, so cgroup lessons run in a scope your systemd user manager delegates (systemd-run --user --scope -p Delegate=yes)` }
      : !writable
        ? { id: 'cgroup', label: 'cgroups', status: 'warn', detail: `${cgDetail}; none writable by uid ${p.uid}`, fix: (!p.root && p.delegation().reason) || 'run cgroup lessons with sudo, or under systemd-run --user --scope -p Delegate=yes' }
        : c.kind === 'v2' && !(c.v2Controllers.includes('memory') && c.v2Controllers.includes('pids'))
          ? { id: 'cgroup', label: 'cgroups', status: 'warn', detail: `${cgDetail}; memory or pids missing`, fix: 'enable them in the parent cgroup.subtree_control' }
          : { id: 'cgroup', label: 'cgroups', status: 'ok', detail: cgDetail },
  );

  if (c.kind !== 'none') {
    // Left by an nslab that was SIGKILLed; cheap to find (nslab-<pid>-<n> names carry the owner).
    const { findOwnedCgroups, pidAlive } = await import('../sandbox/cgroups.js');
    const stale = findOwnedCgroups(c).filter((f) => f.owner !== process.pid && !pidAlive(f.owner));
    if (stale.length)
      lines.push({
        id: 'cgroup.stale',
        label: 'stale cgroups',
        status: 'warn',
        detail: `${stale.length} left by an nslab that was killed: ${stale.map((s) => s.dir).join(', ')}`,
        fix: 'the next lesson or verify run that may write there removes them (members killed first)',
      });
  }

  const sc = p.seccomp();
  lines.push(
    sc.available
      ? { id: 'seccomp', label: 'seccomp', status: 'ok', detail: sc.mode ? `available; nslab itself already runs filtered (${sc.line})` : `available (${sc.line})` }
      : { id: 'seccomp', label: 'seccomp', status: 'fail', detail: 'no Seccomp: line in /proc/self/status', fix: 'use a kernel built with CONFIG_SECCOMP_FILTER (every distribution kernel is)' },
  );

  const ct = p.container();
  lines.push(
    ct.inside
      ? {
          id: 'container',
          label: 'container',
          status: userns.ok ? 'ok' : 'warn',
          detail: `inside a container (${ct.evidence.join('; ')})${userns.ok ? ', but namespaces work here' : ''}`,
          fix: userns.ok ? undefined : "Docker's default seccomp profile blocks unshare, mount and pivot_root: use --security-opt seccomp=unconfined --security-opt apparmor=unconfined, or a VM",
        }
      : { id: 'container', label: 'container', status: 'ok', detail: `not inside a container (${ct.evidence.join('; ')})` },
  );

  lines.push(
    helper.ok
      ? { id: 'helper', label: 'C helper', status: 'ok', detail: `built: ${helper.path}` }
      : { id: 'helper', label: 'C helper', status: 'fail', detail: helper.reason, fix: 'npm run build (needs a C compiler: apt-get install gcc)' },
  );
  if (helper.ok) {
    // Built beside the helper by the same step; every lesson with a rootfs copies it in.
    const tools = `${helper.path!.slice(0, helper.path!.lastIndexOf('/'))}/nslab-tools`;
    const { existsSync } = await import('node:fs');
    lines.push(
      existsSync(tools)
        ? { id: 'tools', label: 'nslab-tools', status: 'ok', detail: `built: ${tools}` }
        : { id: 'tools', label: 'nslab-tools', status: 'fail', detail: `${tools} is not built`, fix: 'npm run build (needs gcc and libc6-dev)' },
    );
  }

  const koffi = await p.koffi();
  lines.push(
    koffi.ok
      ? { id: 'koffi', label: 'koffi', status: 'ok', detail: 'loads and binds libc.so.6' }
      : { id: 'koffi', label: 'koffi', status: 'fail', detail: koffi.reason, fix: 'npm rebuild koffi (it ships prebuilt binaries for Linux x64 and arm64)' },
  );

  const rf = await p.rootfs();
  lines.push(
    rf.state === 'ready'
      ? { id: 'rootfs', label: 'rootfs', status: 'ok', detail: `ready at ${rf.dir}` }
      : rf.state === 'missing' || rf.state === 'outdated'
        ? { id: 'rootfs', label: 'rootfs', status: 'warn', detail: rf.state === 'missing' ? `not built yet (${rf.dir}); lessons that need it build it on first use` : `${rf.dir} was ${rf.reason}`, fix: 'nslab rootfs build' }
        : { id: 'rootfs', label: 'rootfs', status: rf.state === 'unknown' ? 'fail' : 'warn', detail: `${rf.state}${rf.dir ? ` at ${rf.dir}` : ''}: ${rf.reason ?? ''}`.trim(), fix: 'nslab rootfs clean && nslab rootfs build' },
  );
  // Every line that is not ok names its check, from the same probes the requirements decide on.
  for (const [i, l] of lines.entries()) if (l.status !== 'ok' && !l.check) lines[i] = tag(l, await lineBlocker(l, p, userns, rf));
  return lines;
}

async function lineBlocker(l: DoctorLine, p: Probes, userns: Awaited<ReturnType<Probes['userns']>>, rf: Awaited<ReturnType<Probes['rootfs']>>): Promise<Blocker> {
  const sysctl = (check: string) => sysctlBlockers(p.sysctls, p.root).find((b) => b.check === check)!;
  switch (l.id) {
    case 'sysctl.max_user_namespaces':
      return sysctl('userns.max-zero');
    case 'sysctl.unprivileged_userns_clone':
      return sysctl('userns.disabled-by-sysctl');
    case 'sysctl.apparmor_restrict_unprivileged_userns':
      return sysctl('userns.restricted-by-apparmor');
    case 'userns':
      return usernsBlocker(p, userns);
    case 'cgroup': {
      const c = p.cgroup();
      if (c.kind === 'none') return CGROUP_NONE;
      if (c.v2Writable || c.v1Writable)
        return { check: 'cgroup.controllers-missing', observed: `controllers: ${c.v2Controllers.join(' ') || 'none'}`, expected: 'memory and pids', fix: 'echo +memory +pids | sudo tee /sys/fs/cgroup/cgroup.subtree_control' };
      return cgroupWriteBlocker(p);
    }
    case 'cgroup.stale':
      return { check: 'cgroup.stale', observed: l.detail, expected: 'no nslab-PID-N cgroup whose nslab is gone', fix: 'npx nslab verify (any run that may write there removes them first)' };
    case 'seccomp':
      return SECCOMP_NONE;
    case 'container':
      return { check: 'container.no-namespaces', observed: l.detail, expected: 'a VM or host, or a container with seccomp and AppArmor unconfined', fix: 'docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined ... (or use the VM: vagrant up)' };
    case 'helper':
      return { check: 'helper.not-built', observed: l.detail, expected: 'native/nslab-helper, built by npm install', fix: 'npm run build' };
    case 'tools':
      return { check: 'tools.not-built', observed: l.detail, expected: 'native/nslab-tools, built by npm install', fix: 'npm run build' };
    case 'koffi':
      return { check: 'koffi.cannot-load', observed: l.detail, expected: 'koffi loads libc.so.6', fix: 'npm rebuild koffi' };
    case 'rootfs':
      if (rf.state === 'corrupt') return rootfsCorrupt(rf.dir, rf.reason);
      if (rf.state === 'missing') return { check: 'rootfs.not-built', observed: `no rootfs at ${rf.dir}`, expected: 'a rootfs (the first lesson that needs one builds it)', fix: 'npx nslab rootfs build' };
      if (rf.state === 'outdated') return { check: 'rootfs.outdated', observed: `${rf.dir}: ${rf.reason ?? 'built by an older nslab'}`, expected: "a rootfs built by this nslab (with this nslab-tools)", fix: 'npx nslab rootfs build' };
      if (rf.state === 'incomplete') return { check: 'rootfs.incomplete', observed: `${rf.dir}: ${rf.reason ?? ''}`, expected: 'a finished build', fix: 'npx nslab rootfs clean && npx nslab rootfs build' };
      return { check: 'rootfs.unknown', observed: rf.reason ?? l.detail, expected: 'a readable rootfs state', fix: 'npx nslab rootfs clean && npx nslab rootfs build' };
    default:
      return { check: l.id, observed: l.detail, expected: 'ok', fix: l.fix ?? '' };
  }
}

/** Every requirement a lesson or experiment may name (plus its own kernel minimums). */
export function lessonRequirements(lesson: LoadedLesson, root: boolean): Requirement[] {
  const reqs = new Set<Requirement>(lesson.meta.requires);
  // An optional experiment may skip without failing the lesson; every other one must run.
  for (const e of lesson.module.experiments) if (!e.optional) for (const r of e.requires ?? []) reqs.add(r);
  // Unprivileged, every sandbox is a user namespace first.
  if (!root) reqs.add('userns');
  return [...reqs];
}

export async function doctor(lessons: LoadedLesson[], reqs = new Requirements(), opts: DoctorOptions = {}): Promise<DoctorReport> {
  const p = reqs.probes;
  const checks = await doctorLines(p);
  const requirements: DoctorReport['requirements'] = {};
  for (const r of REQS) {
    const v = await reqs.check(r);
    requirements[r] = v.ok ? { ok: true } : { ok: false, reason: v.reason, ...(v.blocker ? { check: v.blocker.check } : {}) };
  }
  const found = new Map<string, { b: Blocker; blocks: string[]; lines: string[]; fail: boolean }>();
  const note = (b: Blocker) => {
    let f = found.get(b.check);
    if (!f) found.set(b.check, (f = { b, blocks: [], lines: [], fail: false }));
    return f;
  };
  for (const c of checks)
    if (c.status !== 'ok' && c.check) {
      const f = note(lineBlockers.get(c) ?? { check: c.check, observed: c.observed ?? c.detail, expected: c.expected ?? '', fix: c.fix ?? '' });
      f.lines.push(c.id);
      if (c.status === 'fail') f.fail = true;
    }
  const out: DoctorLesson[] = [];
  for (const l of lessons) {
    const wanted = lessonRequirements(l, p.root);
    const v = await reqs.all(wanted);
    // Every unmet requirement's check, in the order the lesson lists them: the first is the
    // one whose reason doctor and verify print.
    const blockers: string[] = [];
    if (!v.ok)
      for (const r of wanted) {
        const rv = await reqs.check(r);
        if (rv.ok) continue;
        const b = rv.blocker ?? { check: 'lesson.unknown-requirement', observed: rv.reason, expected: '', fix: '' };
        if (!blockers.includes(b.check)) blockers.push(b.check);
        const f = note(b);
        if (!f.blocks.includes(l.meta.id)) f.blocks.push(l.meta.id);
      }
    out.push(v.ok ? { id: l.meta.id, title: l.meta.title, runnable: true, blockers } : { id: l.meta.id, title: l.meta.title, runnable: false, reason: v.reason, blockers });
  }
  const need = opts.need ? new Set(opts.need) : null;
  const findings: Finding[] = [...found.values()].map(({ b, blocks, lines, fail }) => {
    const ignored = (opts.ignore ?? []).some((i) => ignores(i, b.check));
    const machineWide = MACHINE_WIDE.has(b.check) && fail;
    const blocking = need ? blocks.some((l) => need.has(l)) || machineWide : blocks.length > 0 || fail;
    return {
      id: b.check,
      severity: blocking && !ignored ? 'error' : 'warning',
      title: titleOf(b.check),
      observed: b.observed,
      expected: b.expected,
      // A fix for "<lesson>" names the lesson when only one is blocked.
      fix: blocks.length === 1 ? b.fix.replace('<lesson>', String(Number.parseInt(blocks[0]!, 10) || blocks[0])) : b.fix,
      blocks,
      machineWide,
      docs: docsFor(b.check),
      lines,
      ignored,
    };
  });
  findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) || b.blocks.length - a.blocks.length || a.id.localeCompare(b.id));
  return {
    schemaVersion: SCHEMA_VERSION,
    node: process.version,
    kernel: p.kernel.text,
    arch: process.arch,
    uid: p.uid,
    root: p.root,
    checks,
    requirements,
    lessons: out,
    ok: !checks.some((c) => c.status === 'fail'),
    findings,
  };
}
