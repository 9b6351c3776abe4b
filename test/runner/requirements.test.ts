// Decisions about the machine, from fixed inputs: container guesses, userns causes, kernel
// minimums, and requirement verdicts with a fake set of probes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMountinfo } from '../../src/proc/index.js';
import { Requirements, guessContainer, kernelVersion, usernsCause, type Probes } from '../../src/runner/requirements.js';
import { closest } from '../../src/runner/errors.js';
import { batches } from '../../src/runner/flow.js';

const test = suite('requirements');
const ext4Root = parseMountinfo('27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n');
const overlayRoot = parseMountinfo('500 400 0:50 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/a,upperdir=/b,workdir=/c\n');

test('a lone /.dockerenv on an ext4 root is not a container; an overlay root or docker cgroup is', () => {
  assert.is(guessContainer(true, '0::/\n', ext4Root).inside, false);
  assert.ok(guessContainer(true, '0::/\n', ext4Root).evidence.includes('/.dockerenv exists'));
  assert.is(guessContainer(false, '0::/\n', overlayRoot).inside, true);
  const d = guessContainer(false, '0::/system.slice/docker-3f2a.scope\n', ext4Root);
  assert.is(d.inside, true);
  assert.match(d.evidence[0]!, 'docker-3f2a.scope');
});

test('usernsCause names the sysctl and the fix', () => {
  const none = { unprivilegedUsernsClone: null, maxUserNamespaces: '1000', apparmorRestrict: null };
  assert.is(usernsCause(none, false), null);
  assert.match(usernsCause({ ...none, maxUserNamespaces: '0' }, true)!.reason, 'ENOSPC');
  assert.match(usernsCause({ ...none, unprivilegedUsernsClone: '0' }, false)!.fix, 'kernel.unprivileged_userns_clone=1');
  assert.is(usernsCause({ ...none, unprivilegedUsernsClone: '0' }, true), null, 'root is not bound by it');
  assert.match(usernsCause({ ...none, apparmorRestrict: '1' }, false)!.reason, 'uid_map');
});

function fake(over: Partial<Probes> = {}): Probes {
  return {
    root: false,
    uid: 1001,
    kernel: kernelVersion('6.1.0-13-amd64'),
    sysctls: { unprivilegedUsernsClone: null, maxUserNamespaces: '100', apparmorRestrict: '1' },
    userns: async () => ({ ok: false, reason: 'writing uid_map: EPERM' }),
    cgroup: () => ({ kind: 'v2', v2Mount: '/sys/fs/cgroup', v1: {}, v2Controllers: ['memory', 'pids'], ownV2: '/sys/fs/cgroup/user.slice', v2Writable: false, v1Writable: false }),
    seccomp: () => ({ available: true, mode: 0, line: 'Seccomp: 0' }),
    container: () => ({ inside: false, evidence: [] }),
    helper: async () => ({ ok: true, path: '/x' }),
    koffi: async () => ({ ok: true }),
    rootfs: async () => ({ state: 'missing', dir: '/c/rootfs' }),
    delegation: () => ({ ok: false, needsScope: false, reason: 'your cgroup (/user.slice) is not delegated to you and no systemd user manager is reachable (systemd-run --user: Failed to connect to bus); fix: log in through a real session' }),
    ...over,
  };
}

test('verdicts carry the reason and the fix', async () => {
  const r = new Requirements(fake());
  const userns = await r.check('userns');
  assert.is(userns.ok, false);
  assert.match(userns.reason!, 'apparmor_restrict_unprivileged_userns');
  assert.match(userns.reason!, 'sudo sysctl -w');
  assert.match((await r.check('root')).reason!, 'uid 1001');
  assert.match((await r.check('cgroup2')).reason!, 'not delegated to you');
  assert.is((await r.check('seccomp')).ok, true);
  assert.is((await r.check('rootfs')).ok, true, 'a missing rootfs is built on first need');
  assert.is((await r.check('kernel>=6.1')).ok, true);
  assert.match((await r.check('kernel>=6.2')).reason!, 'needs Linux 6.2 or newer; this kernel is 6.1.0-13-amd64');
  assert.is((await r.all(['seccomp', 'root', 'userns'])).reason, (await r.check('root')).reason, 'the first unmet one');
});

test('an unwritable cgroup is fine where systemd delegates a scope; otherwise the reason names the user manager', async () => {
  const scoped = new Requirements(fake({ delegation: () => ({ ok: true, needsScope: true }) }));
  assert.is((await scoped.check('cgroup2')).ok, true);
  assert.is((await scoped.check('cgroup')).ok, true);
  const none = new Requirements(fake());
  assert.match((await none.check('cgroup')).reason!, 'no systemd user manager is reachable');
  assert.match((await none.check('cgroup')).reason!, 'fix: ');
  const rootUser = new Requirements(fake({ root: true, cgroup: () => ({ kind: 'v2', v2Mount: '/sys/fs/cgroup', v1: {}, v2Controllers: [], ownV2: '/sys/fs/cgroup', v2Writable: true, v1Writable: false }) }));
  assert.is((await rootUser.check('cgroup')).ok, true);
});

test('tool: looks in a ready rootfs, else on the host the builder copies from; host: on the host', async () => {
  const ready = new Requirements(fake({ rootfs: async () => ({ state: 'ready', dir: '/nonexistent-rootfs' }) }));
  const sh = await ready.check('tool:sh');
  assert.is(sh.ok, false, 'a ready rootfs without bin/sh lacks it, whatever the host has');
  assert.match(sh.reason!, "sh is not in nslab's rootfs (/nonexistent-rootfs), which was built without it; fix: npx nslab rootfs build");
  const unbuilt = new Requirements(fake());
  assert.is((await unbuilt.check('tool:sh')).ok, true, 'this host has sh, so a host build will too');
  const absent = await unbuilt.check('tool:no-such-program-nslab');
  assert.match(absent.reason!, 'no-such-program-nslab is not installed on this machine; fix: sudo apt-get install');
  assert.is((await unbuilt.check('host:sh')).ok, true);
});

test('inside a container without userns, the fix is the docker flags', async () => {
  const r = new Requirements(fake({ sysctls: { unprivilegedUsernsClone: null, maxUserNamespaces: '100', apparmorRestrict: null }, container: () => ({ inside: true, evidence: ['/ is an overlay filesystem'] }) }));
  assert.match((await r.check('userns')).reason!, 'seccomp=unconfined');
});

test('closest: suggestions only when close', () => {
  assert.is(closest('strat', ['start', 'list', 'reset']), 'start');
  assert.is(closest('--jsno', ['--json', '--junit']), '--json');
  assert.is(closest('xyzzy', ['start', 'list']), undefined);
});

test('presenter batches break at notes and at 8 lines', () => {
  const t = ['a', 'b', '# note', 'c', ...Array.from({ length: 9 }, (_, i) => `l${i}`)];
  const b = batches(t);
  assert.equal(b[0], ['a', 'b']);
  assert.equal(b[1]!.slice(0, 2), ['# note', 'c']);
  assert.ok(b.every((x) => x.length <= 8));
  assert.equal(b.flat(), t);
});

test.run();
