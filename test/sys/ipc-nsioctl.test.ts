// shmget/shmat/shmctl/shmdt and ioctl_ns(2), against /proc/sysvipc/shm and /proc/self/ns.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runFixture } from './helpers.js';

interface R { ok: boolean; ret: number; errno: string | null; trace: string }
interface Out {
  shmget: R; shmAfterGet: string; shmat: R & { addr: number }; rmid: R; shmAfterRmid: string; shmdt: R; shmAfterDt: string;
  shmctlGone: R; shmatBad: R; owner: R; ownerLink: string | null; selfUser: string; ownerUid: R & { uid: number };
  parentOfOwn: R; nstype: R; badFd: R; trace: string[];
}

/** Rows of /proc/sysvipc/shm as {shmid, size, perms}. */
const rows = (text: string) =>
  text.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)).map((f) => ({ key: f[0], shmid: Number(f[1]), perms: f[2], size: Number(f[3]) }));

const test = suite('sys/ipc-nsioctl');
let out: Out;
test.before(() => {
  out = runFixture<Out>('ipc-nsioctl', ['-U', '-u', '-i']).out;
});

test('shmget creates a segment listed in this IPC namespace only', () => {
  assert.ok(out.shmget.ok, out.shmget.trace);
  assert.match(out.shmget.trace, /^shmget\(IPC_PRIVATE, 70001, IPC_CREAT\|0600\) = \d+$/);
  const mine = rows(out.shmAfterGet);
  assert.equal(mine.map((x) => [x.shmid, x.size]), [[out.shmget.ret, 70001]], 'a fresh IPC namespace holds just this one');
});

test('IPC_RMID while attached keeps the segment (SHM_DEST) until shmdt', () => {
  assert.ok(out.shmat.ok && out.shmat.addr > 0, out.shmat.trace);
  assert.match(out.shmat.trace, /^shmat\(\d+, NULL, 0\) = 0x[0-9a-f]+$/);
  assert.is(out.rmid.trace, `shmctl(${out.shmget.ret}, IPC_RMID, NULL) = 0`);
  assert.is(rows(out.shmAfterRmid)[0]?.perms, '1600');
  assert.ok(out.shmdt.ok, out.shmdt.trace);
  assert.equal(rows(out.shmAfterDt), []);
  assert.is(out.shmctlGone.errno, 'EINVAL');
  assert.is(out.shmatBad.errno, 'EINVAL');
  assert.is(out.shmatBad.trace, 'shmat(-1, NULL, 0) = -1 EINVAL (Invalid argument)');
});

test('NS_GET_USERNS: a UTS namespace made with -U -u belongs to the new user namespace', () => {
  assert.ok(out.owner.ok, out.owner.trace);
  assert.is(out.ownerLink, out.selfUser);
  assert.is(out.ownerUid.uid, 0);
  assert.match(out.ownerUid.trace, /NS_GET_OWNER_UID, \[0\]\) = 0$/);
});

test('NS_GET_PARENT of our own user namespace is out of scope: EPERM', () => {
  assert.is(out.parentOfOwn.errno, 'EPERM');
  assert.is(out.nstype.ret, 0x04000000, 'CLONE_NEWUTS');
  assert.is(out.badFd.errno, 'EBADF');
});

test.run();
