import { realpathSync, statSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readRoot, readStatus, statPath } from '../../src/proc/index.js';
import { testRootfs } from '../support/rootfs.js';
import { impossiblePid, withChild, withSandbox } from './helpers.js';

const test = suite('proc/root');

test('self and a child are rooted at /', async () => {
  const slash = statSync('/');
  for (const root of [readRoot(), await withChild((pid) => readRoot(pid))]) {
    assert.equal(root, { link: '/', dev: slash.dev, ino: slash.ino });
  }
  assert.equal(statPath('/'), { dev: slash.dev, ino: slash.ino });
});

test('sandbox after pivot_root: outside, its root is the rootfs by (dev, ino); its own /proc shows one PID level', async () => {
  // nslab's default rootfs (this machine's programs): the sandbox runs its /bin/sleep.
  const rootfs = realpathSync(await testRootfs());
  await withSandbox(['-U', '-m', '-p', '--rootfs', rootfs], ({ pid }) => {
    const st = statSync(rootfs);
    // Only (dev, ino) identify it: the link is resolved in the sandbox's own mount namespace,
    // which our tree does not reach, and reads '/' here (measured on Linux 6.x).
    const root = readRoot(pid);
    assert.equal([root.dev, root.ino], [st.dev, st.ino]);
    assert.not.ok(readRoot().ino === st.ino && readRoot().dev === st.dev, 'ours is elsewhere');
    // The same readers through the sandbox's own procfs give the inside view.
    const inside = `/proc/${pid}/root/proc`;
    assert.equal(readRoot(1, inside).link, '/', 'from inside, its root is /');
    assert.equal(readStatus(1, inside).nspid, [1]);
    assert.equal(readStatus(pid).nspid, [pid, 1]);
  }, ['/bin/sleep', '30'], 'sleep');
});

test('errors name the path and errno', () => {
  const pid = impossiblePid();
  assert.throws(() => readRoot(pid), (err: Error) => err.message.includes(`/proc/${pid}/root`) && err.message.includes('ENOENT'));
  assert.throws(() => statPath('/nonexistent/x'), /\/nonexistent\/x: ENOENT/);
});

test.run();
