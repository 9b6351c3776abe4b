// Doctor's check IDs on machines with each blocker, from fixed probes: the ID on the line, the
// same ID on every lesson it stops (from the requirement verdicts verify skips on), severity,
// observed/expected, the fix and the README anchor; the pre-flight's decision and --ignore.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedLesson } from '../../src/lessons/loader.js';
import type { Requirement } from '../../src/lessons/types.js';
import { CHECKS } from '../../src/runner/blockers.js';
import { doctor, lessonRequirements, type DoctorReport } from '../../src/runner/doctor.js';
import { kernelVersion, Requirements, type Probes } from '../../src/runner/requirements.js';
import { compareVersions, parseWorkshop, preflight, resolveNeed } from '../../src/runner/workshop.js';
import { ROOT } from '../cli/helpers.js';

const test = suite('doctor check IDs');

function lesson(id: string, requires: Requirement[], experimentRequires: Requirement[] = []): LoadedLesson {
  const [n, ...slug] = id.split('-');
  return {
    meta: { id, number: Number(n), slug: slug.join('-'), title: id, summary: '', minutes: 1, requires },
    dir: `/x/${id}`,
    mdPath: '',
    modulePath: '',
    pages: [],
    module: { experiments: [{ id: 'e', title: 'e', sandbox: { namespaces: [] }, requires: experimentRequires, run: async () => ({}), checks: [] } as never] },
  };
}

const LESSONS = [lesson('01-chroot', ['userns', 'rootfs']), lesson('02-mounts', ['userns']), lesson('10-cgroups', ['cgroup', 'rootfs']), lesson('11-seccomp', ['userns', 'seccomp', 'host:nslab-no-such-program'])];

function fake(over: Partial<Probes> = {}): Probes {
  return {
    root: false,
    uid: 1001,
    kernel: kernelVersion('6.1.0-13-amd64'),
    sysctls: { unprivilegedUsernsClone: null, maxUserNamespaces: '100', apparmorRestrict: null },
    userns: async () => ({ ok: true }),
    // A cgroup mount that is not there: the stale-cgroup sweep finds nothing in it.
    cgroup: () => ({ kind: 'v2', v2Mount: '/nonexistent-cgroup', v1: {}, v2Controllers: ['memory', 'pids'], ownV2: '/nonexistent-cgroup/user.slice', v2Writable: true, v1Writable: false }),
    seccomp: () => ({ available: true, mode: 0, line: 'Seccomp: 0' }),
    container: () => ({ inside: false, evidence: [] }),
    helper: async () => ({ ok: true, path: join(ROOT, 'native', 'nslab-helper') }),
    koffi: async () => ({ ok: true }),
    rootfs: async () => ({ state: 'ready', dir: '/' }),
    delegation: () => ({ ok: true, needsScope: false }),
    ...over,
  };
}

async function run(over: Partial<Probes>, opts = {}): Promise<DoctorReport> {
  return doctor(LESSONS, new Requirements(fake(over)), opts);
}
const lessonOf = (r: DoctorReport, id: string) => r.lessons.find((l) => l.id === id)!;
const findingOf = (r: DoctorReport, id: string) => r.findings.find((f) => f.id === id);

/** Runnable exactly when no blocker; the reason is the first blocker's verdict. */
async function consistent(r: DoctorReport, probes: Partial<Probes>) {
  const reqs = new Requirements(fake(probes));
  for (const l of r.lessons) {
    assert.is(l.runnable, l.blockers.length === 0, `${l.id}: runnable iff no blockers`);
    const v = await reqs.all(lessonRequirements(LESSONS.find((x) => x.meta.id === l.id)!, reqs.probes.root));
    assert.is(l.runnable, v.ok, `${l.id}: doctor's verdict is the requirements' (verify's)`);
    if (!v.ok) {
      assert.is(l.reason, v.reason);
      assert.is(l.blockers[0], v.blocker?.check, `${l.id}: the first blocker is the one the reason names`);
    }
  }
}

test('Ubuntu 24.04: the AppArmor restriction, on its sysctl line, the userns line and every unprivileged lesson', async () => {
  const probes: Partial<Probes> = {
    sysctls: { unprivilegedUsernsClone: null, maxUserNamespaces: '100', apparmorRestrict: '1' },
    userns: async () => ({ ok: false, reason: 'writing uid_map: EPERM' }),
  };
  const r = await run(probes);
  assert.is(r.schemaVersion, 2);
  const line = r.checks.find((c) => c.id === 'sysctl.apparmor_restrict_unprivileged_userns')!;
  assert.is(line.status, 'fail', 'the existing line keeps its meaning');
  assert.is(line.check, 'userns.restricted-by-apparmor');
  assert.is(r.checks.find((c) => c.id === 'userns')!.check, 'userns.restricted-by-apparmor');
  const f = findingOf(r, 'userns.restricted-by-apparmor')!;
  assert.is(f.severity, 'error');
  assert.equal(f.blocks, ['01-chroot', '02-mounts', '10-cgroups', '11-seccomp'], 'unprivileged, every sandbox is a user namespace first');
  assert.is(f.observed, 'kernel.apparmor_restrict_unprivileged_userns = 1');
  assert.match(f.expected, /^0, or an AppArmor profile/);
  assert.is(f.fix, 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
  assert.is(f.docs, 'README.md#userns.restricted-by-apparmor');
  assert.equal(f.lines, ['sysctl.apparmor_restrict_unprivileged_userns', 'userns']);
  assert.equal(lessonOf(r, '02-mounts').blockers, ['userns.restricted-by-apparmor']);
  assert.match(lessonOf(r, '02-mounts').reason!, 'apparmor_restrict_unprivileged_userns is 1', 'the reason text is as before');
  assert.is(r.findings[0]!.id, 'userns.restricted-by-apparmor', 'errors first, most lessons blocked first');
  await consistent(r, probes);
});

test("Debian's unprivileged_userns_clone=0, and user.max_user_namespaces=0 even for root", async () => {
  const off: Partial<Probes> = { sysctls: { unprivilegedUsernsClone: '0', maxUserNamespaces: '100', apparmorRestrict: null }, userns: async () => ({ ok: false, reason: 'unshare: EPERM' }) };
  const r = await run(off);
  assert.equal(lessonOf(r, '01-chroot').blockers, ['userns.disabled-by-sysctl']);
  assert.is(findingOf(r, 'userns.disabled-by-sysctl')!.fix, 'sudo sysctl -w kernel.unprivileged_userns_clone=1');
  await consistent(r, off);
  const zero: Partial<Probes> = { root: true, uid: 0, sysctls: { unprivilegedUsernsClone: '0', maxUserNamespaces: '0', apparmorRestrict: '1' }, userns: async () => ({ ok: false, reason: 'unshare: ENOSPC' }) };
  const z = await run(zero);
  assert.equal(lessonOf(z, '02-mounts').blockers, ['userns.max-zero']);
  assert.is(findingOf(z, 'userns.disabled-by-sysctl'), undefined, 'root is not bound by the Debian sysctl');
  assert.equal(z.checks.find((c) => c.id === 'sysctl.max_user_namespaces')!.check, 'userns.max-zero');
  await consistent(z, zero);
});

test('no delegated cgroup: no user manager on pure v2, not delegated on hybrid; a warn line that blocks is an error', async () => {
  const noManager: Partial<Probes> = {
    cgroup: () => ({ kind: 'v2', v2Mount: '/nonexistent-cgroup', v1: {}, v2Controllers: ['memory', 'pids'], ownV2: '/nonexistent-cgroup/user.slice/session-3.scope', v2Writable: false, v1Writable: false }),
    delegation: () => ({ ok: false, needsScope: false, reason: 'your cgroup (/user.slice/session-3.scope) is not delegated to you and no systemd user manager is reachable; fix: ...' }),
  };
  const r = await run(noManager);
  assert.equal(lessonOf(r, '10-cgroups').blockers, ['cgroup.no-user-manager']);
  assert.is(r.checks.find((c) => c.id === 'cgroup')!.status, 'warn');
  assert.is(r.checks.find((c) => c.id === 'cgroup')!.check, 'cgroup.no-user-manager');
  const f = findingOf(r, 'cgroup.no-user-manager')!;
  assert.is(f.severity, 'error', 'it blocks a lesson');
  assert.is(f.fix, 'sudo loginctl enable-linger $USER, then log in again through ssh or a desktop session');
  await consistent(r, noManager);
  const hybrid: Partial<Probes> = {
    cgroup: () => ({ kind: 'hybrid', v2Mount: '/nonexistent-cgroup/unified', v1: { memory: '/nonexistent-cgroup/memory' }, v2Controllers: [], ownV2: '/nonexistent-cgroup/unified/user.slice', v2Writable: false, v1Writable: false }),
  };
  const h = await run(hybrid);
  assert.equal(lessonOf(h, '10-cgroups').blockers, ['cgroup.not-delegated']);
  assert.match(findingOf(h, 'cgroup.not-delegated')!.observed, 'not writable by uid 1001 (cgroup hybrid');
  assert.is(findingOf(h, 'cgroup.not-delegated')!.fix, 'sudo npx nslab start 10 (for the cgroup lessons)', 'the one blocked lesson is named');
  await consistent(h, hybrid);
  const scoped = await run({ ...noManager, delegation: () => ({ ok: true, needsScope: true }) });
  assert.ok(lessonOf(scoped, '10-cgroups').runnable, 'a delegated scope is a place for cgroups');
  assert.is(findingOf(scoped, 'cgroup.no-user-manager'), undefined);
});

test('rootfs: missing is a warning that blocks nothing, damaged blocks the rootfs lessons', async () => {
  const missing = await run({ rootfs: async () => ({ state: 'missing', dir: '/c/rootfs' }) });
  const nb = findingOf(missing, 'rootfs.not-built')!;
  assert.is(nb.severity, 'warning');
  assert.equal(nb.blocks, []);
  assert.ok(lessonOf(missing, '01-chroot').runnable);
  const corrupt: Partial<Probes> = { rootfs: async () => ({ state: 'corrupt', dir: '/c/rootfs', reason: '/c/rootfs exists but is not a directory' }) };
  const c = await run(corrupt);
  const f = findingOf(c, 'rootfs.corrupt')!;
  assert.equal(f.blocks, ['01-chroot', '10-cgroups']);
  assert.is(f.fix, 'npx nslab rootfs clean && npx nslab rootfs build');
  assert.is(f.observed, '/c/rootfs: /c/rootfs exists but is not a directory');
  await consistent(c, corrupt);
  const outdated = await run({ rootfs: async () => ({ state: 'outdated', dir: '/c/rootfs', reason: 'built by an older nslab' }) });
  assert.is(findingOf(outdated, 'rootfs.outdated')!.severity, 'warning');
});

test('a missing program is tool.missing.NAME with its package; several blockers are all listed, the first named', async () => {
  const probes: Partial<Probes> = { seccomp: () => ({ available: false, mode: null, line: '' }) };
  const r = await run(probes);
  assert.equal(lessonOf(r, '11-seccomp').blockers, ['seccomp.unavailable', 'tool.missing.nslab-no-such-program']);
  const t = findingOf(r, 'tool.missing.nslab-no-such-program')!;
  assert.is(t.fix, 'sudo apt-get install coreutils');
  assert.is(t.docs, 'README.md#tool.missing', 'a family shares one anchor');
  assert.match(t.observed, 'no nslab-no-such-program in /bin, /usr/bin, /sbin, /usr/sbin');
  assert.equal(findingOf(r, 'seccomp.unavailable')!.lines, ['seccomp']);
  await consistent(r, probes);
});

test('a rootfs that lacks a program this machine has: rootfs.missing-tool.NAME, fixed by a rebuild', async () => {
  const probes: Partial<Probes> = { rootfs: async () => ({ state: 'ready', dir: '/nonexistent-rootfs' }) };
  const l = lesson('05-caps', ['tool:sh']);
  const r = await doctor([l], new Requirements(fake(probes)));
  assert.equal(r.lessons[0]!.blockers, ['rootfs.missing-tool.sh']);
  assert.is(r.findings[0]!.fix, 'npx nslab rootfs build');
});

test('helper not built: the userns blocker and a machine-wide error', async () => {
  const r = await run({ helper: async () => ({ ok: false, reason: 'native/nslab-helper is not built' }), userns: async () => ({ ok: false, reason: 'native/nslab-helper is not built' }) });
  const f = findingOf(r, 'helper.not-built')!;
  assert.ok(f.machineWide);
  assert.is(f.fix, 'npm run build');
  assert.equal(lessonOf(r, '01-chroot').blockers, ['helper.not-built']);
});

test('--ignore downgrades one check; the verdict stays', async () => {
  const hybrid: Partial<Probes> = { cgroup: () => ({ kind: 'hybrid', v2Mount: '/nonexistent-cgroup/unified', v1: {}, v2Controllers: [], ownV2: null, v2Writable: false, v1Writable: false }) };
  const r = await run(hybrid, { ignore: ['cgroup.not-delegated'] });
  const f = findingOf(r, 'cgroup.not-delegated')!;
  assert.is(f.severity, 'warning');
  assert.ok(f.ignored);
  assert.is(lessonOf(r, '10-cgroups').runnable, false, 'ignoring is not fixing');
});

test('pre-flight: ready exactly when every needed lesson can run; versions, missing and broken lessons block', async () => {
  const hybrid: Partial<Probes> = { cgroup: () => ({ kind: 'hybrid', v2Mount: '/nonexistent-cgroup/unified', v1: {}, v2Controllers: [], ownV2: null, v2Writable: false, v1Writable: false }) };
  const known = LESSONS.map((l) => ({ id: l.meta.id, number: l.meta.number, slug: l.meta.slug }));
  const decide = async (need: string[], extra: { ignore?: string[]; minimum?: Record<string, string>; broken?: Map<string, string> } = {}) => {
    const needed = resolveNeed(need, [...known, { id: '03-broken', number: 3, slug: 'broken' }]);
    const ignore = extra.ignore ?? [];
    const r = await run(hybrid, { need: needed, ignore });
    return { r, p: preflight(r, { needed, broken: extra.broken ?? new Map(), ignore, minimum: extra.minimum ?? {}, nslab: '0.1.0' }) };
  };
  const ok = await decide(['01-02']);
  assert.ok(ok.p.ready);
  assert.equal(ok.p.needed, ['01-chroot', '02-mounts']);
  assert.is(findingOf(ok.r, 'cgroup.not-delegated')!.severity, 'warning', 'it blocks only a lesson not needed');
  const no = await decide(['1', 'cgroups']);
  assert.not.ok(no.p.ready);
  assert.equal(no.p.lessons.find((l) => l.id === '10-cgroups')!.blockers, ['cgroup.not-delegated']);
  assert.equal(no.p.errors.map((f) => f.id), ['cgroup.not-delegated']);
  const ignored = await decide(['1', 'cgroups'], { ignore: ['cgroup.not-delegated'] });
  assert.ok(ignored.p.ready, '--ignore makes the pre-flight pass');
  assert.equal(ignored.p.lessons.find((l) => l.id === '10-cgroups')!.ignored, ['cgroup.not-delegated']);
  const versions = await decide(['01'], { minimum: { kernel: '6.2', node: '99', nslab: '0.1' } });
  assert.not.ok(versions.p.ready);
  assert.equal(versions.p.errors.map((f) => f.id).sort(), ['kernel.too-old', 'node.too-old']);
  assert.is(versions.p.errors.find((f) => f.id === 'kernel.too-old')!.observed, 'Linux 6.1.0-13-amd64');
  const missing = await decide(['01-04'], { broken: new Map([['03-broken', "lesson.md:4: no 'title'"]]) });
  assert.equal(missing.p.lessons.map((l) => [l.id, l.blockers]), [['01-chroot', []], ['02-mounts', []], ['03-broken', ['lesson.does-not-load']], ['04', ['lesson.not-found']]]);
});

test('workshop files: lessons, minimum versions kept as written, unknown keys named', () => {
  const w = parseWorkshop('name: Containers 101\nlessons: 01-06, 08\nminimum:\n  kernel: 5.10\n  node: 20\nignore: [rootfs.outdated]\nstudents: [ada, grace]\n', 'w.yaml');
  assert.equal(w.lessons, ['01-06', '08']);
  assert.is(w.minimum.kernel, '5.10', 'not the number 5.1');
  assert.equal(w.ignore, ['rootfs.outdated']);
  assert.equal(w.students, ['ada', 'grace']);
  assert.throws(() => parseWorkshop('lesons: 1\n', 'w.yaml'), /unknown key 'lesons' \(did you mean 'lessons'\?\)/);
  assert.throws(() => parseWorkshop('lessons: 1\nminimum: {python: 3}\n', 'w.yaml'), /unknown minimum 'python'/);
  assert.throws(() => parseWorkshop('name: x\n', 'w.yaml'), /'lessons' is missing/);
  assert.ok(compareVersions('v20.11.1', '20.11') > 0 && compareVersions('5.4.0-100-generic', '5.10') < 0);
});

test("the README's workshop file is one nslab reads", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const yaml = /### Workshop files[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, 'the example is there');
  const w = parseWorkshop(yaml!, 'README.md');
  assert.equal(w.lessons, ['01-06', '08']);
  assert.equal(w.minimum, { node: '20.11', kernel: '5.15', nslab: '0.1' });
  assert.equal(w.students, ['Ada L', 'Grace H']);
});

test('every check ID has its anchor in the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const missing = Object.keys(CHECKS).filter((id) => !readme.includes(`<a id="${id}"></a>`));
  assert.equal(missing, [], `README lacks anchors for ${missing.join(', ')}`);
});

test.run();
