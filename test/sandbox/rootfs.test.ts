// A sandbox with a rootfs: pivot_root done by the engine, traced; only the sandbox's mounts
// remain; what it writes to /tmp never reaches the host.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runExperiment } from '../../src/sandbox/index.js';
import { testRootfs } from '../support/rootfs.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'experiments.ts');
const pivot = suite('pivot');

pivot('the experiment runs pivoted into the rootfs, with its own /proc, /tmp and devices', async () => {
  const rootfs = await testRootfs();
  const r = await runExperiment<{ pivoted: boolean; ls: string[]; ps: string; mounts: string[]; devNull: boolean }>(
    { module: fixtures, path: ['inRootfs'] },
    { namespaces: ['mnt', 'pid'], rootfs },
  );
  assert.is(r.status, 'ok', `${r.reason}\n${r.stderr}`);
  const obs = r.observations!;
  assert.ok(obs.pivoted);
  for (const dir of ['bin', 'proc', 'tmp', 'etc']) assert.ok(obs.ls.includes(dir), `ls / lists ${dir}: ${obs.ls}`);
  // The rootfs's ps reads the new /proc: the experiment is PID 1 and the host's processes are absent.
  assert.match(obs.ps, /^\s*1\s/m);
  assert.not.match(obs.ps, new RegExp(`^\\s*${process.pid}\\s`, 'm'));
  // Nothing of the host's tree is left: just /, /proc, /tmp and the device binds.
  const points = obs.mounts.map((m) => m.split(' ')[0]);
  assert.equal([...new Set(points)].sort(), ['/', '/dev/null', '/dev/random', '/dev/tty', '/dev/urandom', '/dev/zero', '/proc', '/tmp']);
  assert.ok(obs.devNull);
  assert.not.ok(existsSync('/tmp/nslab-inside-only'), 'the sandbox /tmp is its own tmpfs');
  // The learner sees the sequence as syscalls.
  const calls = r.trace.filter((l) => !l.startsWith('#')).map((l) => l.slice(0, l.indexOf('(')));
  const order = ['mount', 'open', 'fchdir', 'mount', 'mount'];
  assert.equal(calls.slice(0, order.length), order, r.trace.join('\n'));
  assert.ok(r.trace.some((l) => /^pivot_root\("\.", "\."\) = 0$/.test(l)), r.trace.join('\n'));
  assert.ok(r.trace.some((l) => /^umount2\("\.", MNT_DETACH\) = 0$/.test(l)), r.trace.join('\n'));
});

pivot.run();
