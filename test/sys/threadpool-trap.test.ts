// THE THREADPOOL TRAP. From Node, unshare(CLONE_NEWNS) returns 0 but moves only the calling
// thread: libuv's pool threads, started earlier, stay in the old mount namespace, so sync and
// async fs calls disagree about the same path. This test keeps the engine honest: if it ever
// passes because the threads agree, the design reason for the C helper is gone and the
// lessons that teach the trap are wrong.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mountsOf, runFixture, scratchDir } from './helpers.js';

interface R { ok: boolean; ret: number; errno: string | null; trace: string }
interface Out {
  mainTid: number; pid: number; mntBefore: string; unshare: R; makePrivate: R; mount: R; syncRead: string;
  asyncRead: { ok: boolean; code?: string; text?: string }; mntMain: string; mntPool: string;
  mntByThread: Record<string, string>; mountinfoMain: string; mountinfoPool: string; poolTid: number; unshareAsync: R;
  mntByThreadBeforeAsync: Record<string, string>; mntByThreadAfterAsync: Record<string, string>; mntMainAfterAsync: string;
  trace: string[];
}

const test = suite('sys/threadpool-trap');
let dir = '';
let out: Out;
let cleanup = () => {};

test.before(() => {
  ({ dir, cleanup } = scratchDir());
  // -U only: the process starts in the host's mount namespace, with capabilities over a user
  // namespace of its own, so the main thread may unshare the mount namespace itself.
  out = runFixture<Out>('threadpool-trap', ['-U'], [dir]).out;
});
test.after(() => cleanup());

test('unshare(CLONE_NEWNS) on the main thread succeeds', () => {
  assert.is(out.unshare.trace, 'unshare(CLONE_NEWNS) = 0');
  assert.is(out.makePrivate.ok, true);
  assert.is(out.mount.trace, `mount("tmpfs", "${dir}", "tmpfs", 0, NULL) = 0`);
});

test('sync fs (main thread) sees the tmpfs file; fs.promises (threadpool) gets ENOENT', () => {
  assert.is(out.syncRead, 'hello from the main thread\n');
  assert.equal(out.asyncRead, { ok: false, code: 'ENOENT' });
});

test('/proc/thread-self/ns/mnt differs between the main thread and a pool thread', () => {
  assert.match(out.mntMain, /^mnt:\[\d+\]$/);
  assert.is.not(out.mntMain, out.mntBefore, 'the main thread moved');
  assert.is(out.mntPool, out.mntBefore, 'the pool thread stayed where the process started');
  assert.is(out.mntByThread[String(out.mainTid)], out.mntMain);
  const others = Object.entries(out.mntByThread).filter(([tid]) => Number(tid) !== out.mainTid);
  assert.ok(others.length >= 4, `${others.length} other threads`);
  assert.ok(others.every(([, ns]) => ns === out.mntBefore), 'every other thread is still in the old namespace');
});

test('the two threads read different mount tables', () => {
  assert.ok(mountsOf(out.mountinfoMain).some((e) => e.mountPoint === dir && e.fsType === 'tmpfs'));
  assert.not.ok(mountsOf(out.mountinfoPool).some((e) => e.mountPoint === dir));
});

test('unshareAsync runs on a pool thread: another tid, and only that thread moves', () => {
  assert.is(out.mainTid, out.pid, 'the main thread is the thread-group leader');
  assert.is.not(out.poolTid, out.mainTid);
  assert.ok(String(out.poolTid) in out.mntByThreadBeforeAsync, 'the async call ran on one of our own threads');
  assert.is(out.unshareAsync.trace, 'unshare(CLONE_NEWNS) = 0 [threadpool]');
  const moved = Object.keys(out.mntByThreadAfterAsync).filter(
    (tid) => out.mntByThreadAfterAsync[tid] !== out.mntByThreadBeforeAsync[tid],
  );
  assert.is(moved.length, 1, `threads that moved: ${moved}`);
  assert.is.not(Number(moved[0]), out.mainTid);
  const newNs = out.mntByThreadAfterAsync[moved[0]!]!;
  assert.is.not(newNs, out.mntBefore);
  assert.is.not(newNs, out.mntMain, 'a third mount namespace');
  assert.is(out.mntMainAfterAsync, out.mntMain, 'the main thread did not move');
});

test.run();
