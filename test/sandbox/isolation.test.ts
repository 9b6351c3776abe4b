// Each namespace kind, proven by the kernel: (dev, inode) of /proc/PID/ns/*, NSpid, hostname,
// mountinfo and uid_map, seen from inside and from outside.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { runExperiment, isRoot, uidRangeSupport, type NsKind } from '../../src/sandbox/index.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'experiments.ts');
const ref = (name: string, args?: unknown) => ({ module: fixtures, path: [name], args });
const KIND_FILE: Record<NsKind, string> = { user: 'user', mnt: 'mnt', pid: 'pid', uts: 'uts', ipc: 'ipc', net: 'net', cgroup: 'cgroup' };
const hostNs = (kind: string) => statSync(`/proc/self/ns/${kind}`);

type Look = {
  ns: Record<string, { link: string; dev: number; ino: number }>;
  nspid: number[];
  uid: number[];
  hostname: string;
  uidMap: string;
  setgroups: string;
  mountPoints: string[];
  pid: number;
  outsidePid: number;
};

const isolation = suite('isolation');

for (const kind of ['mnt', 'pid', 'uts', 'ipc', 'net', 'cgroup', 'user'] as NsKind[]) {
  isolation(`a sandbox with a new ${kind} namespace differs from the host in ${kind} only`, async () => {
    const r = await runExperiment<Look>(ref('look'), { namespaces: [kind] });
    assert.is(r.status, 'ok', r.reason ?? r.stderr);
    const obs = r.observations!;
    const created = new Set<string>([KIND_FILE[kind]]);
    if (!isRoot()) created.add('user'); // unprivileged: the user namespace comes with every sandbox
    for (const k of ['mnt', 'pid', 'uts', 'ipc', 'net', 'cgroup', 'user']) {
      const host = hostNs(k);
      const inside = obs.ns[k]!;
      const same = inside.dev === host.dev && inside.ino === host.ino;
      assert.is(same, !created.has(k), `${k}: inside ${inside.link}, host ${readlinkSync(`/proc/self/ns/${k}`)}`);
    }
    // The host's outside view of the same process agrees with the inside view.
    const outside = r.outside['look']![0]!;
    assert.is(outside.ns[KIND_FILE[kind]], obs.ns[KIND_FILE[kind]]!.link);
    assert.is(outside.hostNs[KIND_FILE[kind]], readlinkSync(`/proc/self/ns/${KIND_FILE[kind]}`));
  });
}

isolation('a new PID namespace: the experiment is PID 1 inside and has another PID outside', async () => {
  const r = await runExperiment<Look>(ref('look'), { namespaces: ['pid'] });
  assert.is(r.status, 'ok', r.reason);
  const obs = r.observations!;
  // /proc here is still the host's, so NSpid lists both numbers, outermost first.
  assert.equal(obs.nspid, [r.pid, 1]);
  assert.is.not(r.pid, 1);
  assert.is(obs.outsidePid, r.pid);
});

isolation('a new UTS namespace gets its own hostname and leaves the host alone', async () => {
  const before = hostname();
  const r = await runExperiment<Look>(ref('look'), { namespaces: ['uts'], hostname: 'nslab-box' });
  assert.is(r.status, 'ok', r.reason);
  assert.is(r.observations!.hostname, 'nslab-box');
  assert.is(hostname(), before);
  assert.is(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), before);
});

isolation('a user namespace maps ids: a range as root, a single id unprivileged', async () => {
  const r = await runExperiment<Look>(ref('look'), { namespaces: ['user'] });
  assert.is(r.status, 'ok', r.reason);
  const fields = r.observations!.uidMap.trim().split(/\s+/).map(Number);
  assert.is(r.observations!.uid[0], 0, 'root inside');
  if (isRoot()) {
    assert.equal(fields, [0, 0, 65536]);
  } else {
    assert.equal(fields, [0, process.getuid!(), 1]);
    assert.is(r.observations!.setgroups, 'deny');
  }
});

isolation('uidRange: many uids, from the identity map as root or /etc/subuid through newuidmap', async () => {
  const r = await runExperiment<Look>(ref('look'), { namespaces: ['user'], uidRange: true });
  const range = uidRangeSupport();
  if (!range.ok) {
    assert.is(r.status, 'skip');
    assert.match(r.reason!, /newuidmap|subordinate/);
    return;
  }
  assert.is(r.status, 'ok', r.reason);
  const lines = r.observations!.uidMap.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  if (isRoot()) {
    assert.equal(lines, [[0, 0, 65536]]);
    return;
  }
  // Inside 0 is the caller; 1.. is the subordinate range /etc/subuid grants.
  const me = userInfo();
  const sub = readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${me.username}:`) || l.startsWith(`${me.uid}:`))!;
  const [, start, count] = sub.split(':').map(Number);
  assert.equal(lines, [[0, me.uid, 1], [1, start!, Math.min(count!, 65535)]]);
  assert.is(r.observations!.setgroups, 'allow', 'newgidmap is privileged, so setgroups stays usable');
});

isolation('a mount namespace starts from a private copy of the host mounts', async () => {
  const hostPoints = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[4]!).sort();
  const before = hostPoints();
  const r = await runExperiment<Look>(ref('look'), { namespaces: ['mnt'] });
  const after = hostPoints();
  assert.is(r.status, 'ok', r.reason);
  // Another program (a test's podman container) may mount or unmount while this runs: only the
  // mount points the host had both before and after must be in the copy, each as many times.
  const changed = new Set([...before, ...after].filter((p) => before.filter((q) => q === p).length !== after.filter((q) => q === p).length));
  const stable = (points: string[]) => points.filter((p) => !changed.has(p));
  // The copy lists mounts in tree order, not the host's order: compare sorted.
  assert.equal(stable([...r.observations!.mountPoints].sort()), stable(before));
  assert.ok(changed.size < before.length / 2, `the host's mounts kept changing: ${[...changed].join(', ')}`);
});

isolation.run();
