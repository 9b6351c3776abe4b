import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { nsDiff, readNs, sameNs } from '../../src/proc/index.js';
import { impossiblePid, withChild, withSandbox } from './helpers.js';

const test = suite('proc/ns');

test('self: one entry per /proc/self/ns file, identified as stat sees it', () => {
  const ns = readNs();
  assert.equal(Object.keys(ns).sort(), readdirSync('/proc/self/ns').sort());
  for (const [kind, link] of Object.entries(ns)) {
    const st = statSync(`/proc/self/ns/${kind}`);
    assert.equal([link.kind, link.dev, link.ino], [kind, st.dev, st.ino], kind);
    assert.is(link.link, readlinkSync(`/proc/self/ns/${kind}`));
    // The link names the same inode: 'mnt:[4026531841]'; *_for_children name their base kind.
    assert.is(link.link, `${kind.replace(/_for_children$/, '')}:[${st.ino}]`);
  }
});

test('child: a plain child shares every namespace', async () => {
  const mine = readNs();
  await withChild((pid) => {
    const theirs = readNs(pid);
    assert.equal(Object.keys(theirs).sort(), Object.keys(mine).sort());
    assert.equal(nsDiff(mine, theirs), []);
    for (const kind of Object.keys(mine)) assert.ok(sameNs(mine[kind]!, theirs[kind]!), kind);
  });
});

test('sandbox: exactly the created kinds differ', async () => {
  const mine = readNs();
  await withSandbox(['-U', '-m', '-p', '-u', '-n'], ({ pid }) => {
    const theirs = readNs(pid);
    const differing = readdirSync(`/proc/${pid}/ns`).filter((kind) => {
      const [a, b] = [statSync(`/proc/self/ns/${kind}`), statSync(`/proc/${pid}/ns/${kind}`)];
      return a.dev !== b.dev || a.ino !== b.ino;
    });
    assert.equal(differing.sort(), ['mnt', 'net', 'pid', 'pid_for_children', 'user', 'uts']);
    assert.equal(nsDiff(mine, theirs), differing);
    assert.ok(sameNs(mine.ipc!, theirs.ipc!), 'ipc was not asked for');
    assert.ok(!sameNs(mine.user!, theirs.user!));
  });
});

test('unreadable entries are skipped, a missing directory throws', () => {
  // A stand-in procfs: one entry resolves, one dangles (as a refused ptrace check would fail).
  const root = mkdtempSync(join(tmpdir(), 'nslab-ns-'));
  try {
    mkdirSync(join(root, '42', 'ns'), { recursive: true });
    symlinkSync('/proc/self/ns/uts', join(root, '42', 'ns', 'uts'));
    symlinkSync('/nonexistent/mnt', join(root, '42', 'ns', 'mnt'));
    const ns = readNs(42, root);
    assert.equal(Object.keys(ns), ['uts']);
    assert.is(ns.uts!.ino, statSync('/proc/self/ns/uts').ino);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const pid = impossiblePid();
  assert.throws(() => readNs(pid), (err: Error) => err.message.includes(`/proc/${pid}/ns`) && err.message.includes('ENOENT'));
});

test.run();
