import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cgroupLayout, parseCgroup, parseMountinfo, readCgroup } from '../../src/proc/index.js';
import { impossiblePid, withChild } from './helpers.js';

const test = suite('proc/cgroup');
const CGROUP2_SUPER_MAGIC = 0x63677270;

test('parse: v1, v2, named hierarchies, colons in paths, junk', () => {
  const lines = parseCgroup('4:memory:/foo\n2:cpu,cpuacct:/\n9:name=systemd:/a:b\n0::/foo\nnonsense\n');
  assert.equal(
    lines.map((l) => [l.hierarchy, l.controllers, l.path]),
    [[4, ['memory'], '/foo'], [2, ['cpu', 'cpuacct'], '/'], [9, ['name=systemd'], '/a:b'], [0, [], '/foo']],
  );
  assert.is(lines[0]!.raw, '4:memory:/foo');
});

const mounts = (...lines: string[]) => parseMountinfo(lines.join('\n'));

test('layout from fixtures: pure v2, hybrid, v1, none', () => {
  const v2 = cgroupLayout(mounts('35 24 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate'));
  assert.equal([v2.kind, v2.v2Mount, v2.v1], ['v2', '/sys/fs/cgroup', {}]);
  const hybrid = cgroupLayout(mounts(
    '31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,xattr,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory,release_agent=/sbin/agent',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd',
    '41 31 0:38 / /nonexistent/unified rw - cgroup2 cgroup2 rw',
  ));
  assert.is(hybrid.kind, 'hybrid');
  assert.is(hybrid.v2Mount, '/nonexistent/unified');
  assert.equal(hybrid.v1, {
    cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
    memory: '/sys/fs/cgroup/memory', 'name=systemd': '/sys/fs/cgroup/systemd',
  }, 'options like xattr and release_agent= are not controllers');
  assert.equal(hybrid.v2Controllers, [], 'an unreachable v2 mount yields no controllers, not an error');
  assert.is(cgroupLayout(mounts('35 31 0:32 / /cg/memory rw - cgroup cgroup rw,memory')).kind, 'v1');
  assert.is(cgroupLayout([]).kind, 'none');
});

test('self: layout agrees with the filesystem types statfs reports', () => {
  const layout = cgroupLayout();
  const top = statfsSync('/sys/fs/cgroup').type;
  if (top === CGROUP2_SUPER_MAGIC) {
    assert.is(layout.kind, 'v2');
    assert.is(layout.v2Mount, '/sys/fs/cgroup');
  } else {
    const unified = existsSync('/sys/fs/cgroup/unified') && statfsSync('/sys/fs/cgroup/unified').type === CGROUP2_SUPER_MAGIC;
    assert.is(layout.kind, unified ? 'hybrid' : 'v1');
  }
  if (layout.v2Mount) {
    const listed = readFileSync(join(layout.v2Mount, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
    assert.equal(layout.v2Controllers, listed);
  }
});

test('self: every line of /proc/self/cgroup points at a directory of the detected mounts', () => {
  const layout = cgroupLayout();
  const lines = readCgroup();
  assert.ok(lines.length > 0);
  for (const line of lines) {
    if (line.hierarchy === 0) {
      assert.ok(layout.v2Mount, 'a 0:: line means a v2 hierarchy is in use');
      assert.ok(existsSync(join(layout.v2Mount!, line.path)), line.raw);
    } else {
      for (const controller of line.controllers) {
        const mount = layout.v1[controller];
        // A hierarchy may be active without being mounted in this mount namespace.
        if (mount) assert.ok(existsSync(join(mount, line.path)), line.raw);
      }
    }
  }
});

test('child: inherits the parent\'s cgroups', async () => {
  const mine = readCgroup().map((l) => l.raw);
  await withChild((pid) => assert.equal(readCgroup(pid).map((l) => l.raw), mine));
});

test('a missing process gives an error naming the file', () => {
  const pid = impossiblePid();
  assert.throws(() => readCgroup(pid), (err: Error) => err.message.includes(`/proc/${pid}/cgroup`) && err.message.includes('ENOENT'));
});

test.run();
