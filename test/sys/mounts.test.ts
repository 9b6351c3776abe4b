// mount, umount2, pivot_root, chroot, chdir/fchdir, mkdir/rmdir and xattrs, run in a fixture
// inside `nslab-helper run -U -m -p`. The scratch directory is the test's; the host side of it
// is checked from here after the fixture exits.
import { constants } from 'node:os';
import { readFileSync, statSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mountsOf, runFixture, scratchDir } from './helpers.js';

interface R { ok: boolean; ret: number; errno: string | null; code: number; message: string; trace: string }
interface Out {
  [k: string]: unknown;
  mkdir: R; mkdirAgain: R; rmdir: R; rmdirAgain: R; privateRoot: R; mountTmpfs: R; mountinfoAfterMount: string;
  pivotNotMountPoint: R; mountNoType: R; umountNotMounted: R; mountMissing: R; bind: R; mountinfoAfterBind: string;
  detach: R; mountinfoAfterDetach: string; setxattr: R; setxattrAgain: R; getxattr: R & { value: string | null };
  removexattr: R; getxattrGone: R & { value: null }; chdir: R; cwdAfterChdir: string; fchdir: R; cwdAfterFchdir: string;
  read: R & { data: string }; mountNewRoot: R; pivot: R[]; rootAfterPivot: string[]; chroot: R; rootAfterChroot: string[];
  trace: string[];
}

const E = constants.errno as Record<string, number>;
const test = suite('sys/mounts');
let dir = '';
let out: Out;
let cleanup = () => {};

test.before(() => {
  ({ dir, cleanup } = scratchDir());
  out = runFixture<Out>('mounts', ['-U', '-m', '-p'], [dir]).out;
});
test.after(() => cleanup());

test('mount of a tmpfs shows in the namespace mountinfo, trace exact', () => {
  assert.is(out.mountTmpfs.trace, `mount("tmpfs", "${dir}/t", "tmpfs", 0, NULL) = 0`);
  assert.is(out.privateRoot.trace, 'mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL) = 0');
  const m = mountsOf(out.mountinfoAfterMount).filter((e) => e.mountPoint === `${dir}/t`);
  assert.is(m.length, 1);
  assert.is(m[0]!.fsType, 'tmpfs');
  assert.is(m[0]!.source, 'tmpfs');
});

test('the sandbox mounts never reached the host', () => {
  const host = mountsOf(readFileSync('/proc/self/mountinfo', 'utf8'));
  assert.not.ok(host.some((e) => e.mountPoint.startsWith(dir)));
});

test('failing mount calls carry errno names and strerror messages', () => {
  assert.is(out.pivotNotMountPoint.errno, 'EINVAL');
  assert.is(out.pivotNotMountPoint.code, E.EINVAL);
  assert.is(
    out.pivotNotMountPoint.trace,
    `pivot_root("${dir}/plain", "${dir}/plain/old") = -1 EINVAL (Invalid argument)`,
  );
  assert.is(out.mountNoType.errno, 'EINVAL', 'a new mount without a filesystem type');
  assert.is(out.mountNoType.trace, `mount(NULL, "${dir}/plain", NULL, 0, NULL) = -1 EINVAL (Invalid argument)`);
  assert.is(out.umountNotMounted.errno, 'EINVAL');
  assert.is(out.mountMissing.errno, 'ENOENT');
  assert.is(out.mountMissing.code, E.ENOENT);
  assert.is(out.mountMissing.message, 'No such file or directory');
  assert.is(out.mountMissing.ret, -1);
  assert.is(out.mountMissing.ok, false);
});

test('bind mount appears, MNT_DETACH removes it', () => {
  assert.is(out.bind.trace, `mount("${dir}/plain", "${dir}/plain", NULL, MS_BIND|MS_REC, NULL) = 0`);
  assert.ok(mountsOf(out.mountinfoAfterBind).some((e) => e.mountPoint === `${dir}/plain`));
  assert.is(out.detach.trace, `umount2("${dir}/plain", MNT_DETACH) = 0`);
  assert.not.ok(mountsOf(out.mountinfoAfterDetach).some((e) => e.mountPoint === `${dir}/plain`));
});

test('user.* xattrs on a tmpfs file', () => {
  assert.is(out.setxattr.trace, `setxattr("${dir}/t/inside", "user.nslab", "hello", 5, XATTR_CREATE) = 0`);
  assert.is(out.setxattrAgain.errno, 'EEXIST', 'XATTR_CREATE refuses an existing attribute');
  assert.is(out.getxattr.value, 'hello');
  assert.is(out.getxattr.ret, 5);
  assert.is(out.removexattr.ok, true);
  assert.is(out.getxattrGone.errno, 'ENODATA');
  assert.is(out.getxattrGone.code, E.ENODATA);
  assert.is(out.getxattrGone.value, null);
});

test('chdir and fchdir move /proc/self/cwd', () => {
  assert.is(out.chdir.ok, true);
  assert.is(out.cwdAfterChdir, `${dir}/t`);
  assert.is(out.fchdir.ok, true);
  assert.is(out.cwdAfterFchdir, dir);
  assert.is(out.read.data, 'on tmpfs\n');
});

test('mkdir/rmdir: the directories made inside are on the host disk with their mode', () => {
  assert.is(out.mkdir.trace, `mkdir("${dir}/made", 0750) = 0`);
  assert.is(statSync(`${dir}/made`).mode & 0o777, 0o750);
  assert.is(out.mkdirAgain.errno, 'EEXIST');
  assert.is(out.rmdir.ok, true);
  assert.is(out.rmdirAgain.errno, 'ENOENT');
});

test('pivot_root(".", ".") into a tmpfs then chroot: the root directory listing changes', () => {
  assert.equal(
    out.pivot.map((r) => r.trace.replace(/^fchdir\(\d+\)/, 'fchdir(N)')),
    [
      'fchdir(N) = 0',
      'pivot_root(".", ".") = 0',
      'mount(NULL, ".", NULL, MS_REC|MS_SLAVE, NULL) = 0',
      'umount2(".", MNT_DETACH) = 0',
      'chdir("/") = 0',
    ],
  );
  assert.equal(out.rootAfterPivot, ['marker', 'sub']);
  assert.is(out.chroot.trace, 'chroot("/sub") = 0');
  assert.equal(out.rootAfterChroot, ['deeper']);
});

test('every call left its line in trace, in order', () => {
  const results = [out.mkdir, out.mkdirAgain, out.privateRoot, out.mountTmpfs, out.pivotNotMountPoint, out.bind, out.detach, out.chroot];
  let at = -1;
  for (const r of results) {
    const i = out.trace.indexOf(r.trace, at + 1);
    assert.ok(i > at, `missing or out of order: ${r.trace}`);
    at = i;
  }
});

test.run();
