// Capabilities, prctl, hostname, raw sockets, seccomp and credentials, run in a fixture inside
// `nslab-helper run -U -m -p -u -n`. Each effect is checked in the /proc/thread-self/status
// text the fixture captured right after the call.
import { constants } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asRoot, bit, runFixture, statusField, statusMask } from './helpers.js';

interface R { ok: boolean; ret: number; errno: string | null; code: number; message: string; trace: string }
type Sets = { effective: string; permitted: string; inheritable: string };
interface Out {
  [k: string]: unknown;
  mainIsThreadSelf: boolean; capget: R & Sets; statusAtStart: string; bsetReadBefore: R; bsetDrop: R; bsetReadAfter: R;
  bsetReadInvalid: R; statusAfterBsetDrop: string; rawBefore: R; capset: R; capgetAfterSet: R & Sets; statusAfterCapset: string;
  rawAfter: R; capsetRaise: R; nnpBefore: R; nnpSet: R; nnpAfter: R; statusAfterNnp: string; pdeathSet: R;
  pdeathGet: R & { value: number }; subreaperSet: R; subreaperGet: R & { value: number }; sethostname: R;
  gethostname: R & { name: string }; osHostname: string; procHostname: string; seccompBadLength: R; seccomp: R;
  getSeccomp: R; sethostnameFiltered: R; statusAfterSeccomp: string; threadSeccomp: string[];
  getresuid: R & { r: number; e: number; s: number }; getresgid: R & { r: number; e: number; s: number };
  setgroupsFile: string; setgroups: R; setresgid: R; setresuid: R; statusAfterSetres: string;
  getresuidAfter: { r: number; e: number; s: number }; trace: string[];
}

const E = constants.errno as Record<string, number>;
const CAP_NET_RAW = 13;
const CAP_SYS_BOOT = 22;
const test = suite('sys/creds');
let out: Out;

test.before(() => {
  out = runFixture<Out>('creds', ['-U', '-m', '-p', '-u', '-n']).out;
});

test('capget returns the 64-bit masks /proc shows for the thread', () => {
  assert.ok(out.mainIsThreadSelf);
  assert.is(BigInt(`0x${out.capget.effective}`), statusMask(out.statusAtStart, 'CapEff'));
  assert.is(BigInt(`0x${out.capget.permitted}`), statusMask(out.statusAtStart, 'CapPrm'));
  assert.is(BigInt(`0x${out.capget.inheritable}`), statusMask(out.statusAtStart, 'CapInh'));
  assert.ok(BigInt(`0x${out.capget.effective}`) > 0xffffffffn, 'capabilities above 31 survive: two words combined');
});

test('PR_CAPBSET_DROP clears the CapBnd bit but not CapEff', () => {
  assert.is(out.bsetReadBefore.ret, 1);
  assert.is(out.bsetDrop.trace, 'prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT) = 0');
  assert.is(out.bsetReadAfter.ret, 0);
  assert.is(statusMask(out.statusAtStart, 'CapBnd') & bit(CAP_SYS_BOOT), bit(CAP_SYS_BOOT));
  assert.is(statusMask(out.statusAfterBsetDrop, 'CapBnd') & bit(CAP_SYS_BOOT), 0n);
  assert.is(statusMask(out.statusAfterBsetDrop, 'CapEff') & bit(CAP_SYS_BOOT), bit(CAP_SYS_BOOT));
  assert.is(out.bsetReadInvalid.errno, 'EINVAL');
});

test('capset without CAP_NET_RAW: CapEff loses bit 13 and a raw ICMP socket is EPERM', () => {
  assert.is(out.rawBefore.ok, true, `raw socket before: ${out.rawBefore.trace}`);
  assert.is(out.capset.ok, true);
  assert.is(statusMask(out.statusAfterCapset, 'CapEff') & bit(CAP_NET_RAW), 0n);
  assert.is(statusMask(out.statusAfterCapset, 'CapPrm') & bit(CAP_NET_RAW), 0n);
  assert.is(BigInt(`0x${out.capgetAfterSet.effective}`), statusMask(out.statusAfterCapset, 'CapEff'));
  assert.is(out.rawAfter.errno, 'EPERM');
  assert.is(out.rawAfter.code, E.EPERM);
  assert.is(out.rawAfter.trace, 'socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) = -1 EPERM (Operation not permitted)');
  assert.is(out.capsetRaise.errno, 'EPERM', 'a capability no longer permitted cannot come back');
});

test('PR_SET_NO_NEW_PRIVS shows as NoNewPrivs: 1', () => {
  assert.is(out.nnpBefore.ret, 0);
  assert.is(statusField(out.statusAtStart, 'NoNewPrivs'), '0');
  assert.is(out.nnpSet.trace, 'prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0');
  assert.is(out.nnpAfter.ret, 1);
  assert.is(statusField(out.statusAfterNnp, 'NoNewPrivs'), '1');
});

test('death signal and child subreaper read back what was set', () => {
  assert.is(out.pdeathSet.trace, 'prctl(PR_SET_PDEATHSIG, SIGUSR1) = 0');
  assert.is(out.pdeathGet.value, constants.signals.SIGUSR1);
  assert.is(out.subreaperSet.ok, true);
  assert.is(out.subreaperGet.value, 1);
});

test('sethostname in a new UTS namespace: gethostname, os.hostname and /proc agree', () => {
  assert.is(out.sethostname.trace, 'sethostname("nslab-sys-test", 14) = 0');
  assert.is(out.gethostname.name, 'nslab-sys-test');
  assert.is(out.osHostname, 'nslab-sys-test');
  assert.is(out.procHostname, 'nslab-sys-test');
});

test('seccomp filter with TSYNC: every thread filtered, the filtered call gets the chosen errno', () => {
  assert.is(out.seccompBadLength.errno, 'EINVAL', 'an empty program is refused by the kernel');
  assert.is(out.seccomp.trace, 'seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, {len=7, filter=...}) = 0');
  assert.is(out.getSeccomp.ret, 2);
  assert.is(statusField(out.statusAfterSeccomp, 'Seccomp'), '2');
  assert.is(statusField(out.statusAfterSeccomp, 'Seccomp_filters'), '1');
  assert.ok(out.threadSeccomp.length > 1);
  assert.ok(out.threadSeccomp.every((m) => m === '2'), `per-thread modes: ${out.threadSeccomp}`);
  assert.is(out.sethostnameFiltered.errno, 'EMLINK');
  assert.is(out.sethostnameFiltered.code, E.EMLINK);
  assert.is(out.sethostnameFiltered.message, 'Too many links');
});

test('credentials: getres* match Uid:/Gid:; what set* may do depends on the id mapping', () => {
  assert.equal([out.getresuid.r, out.getresuid.e, out.getresuid.s], statusField(out.statusAtStart, 'Uid').split(/\s+/).slice(0, 3).map(Number));
  assert.equal([out.getresgid.r, out.getresgid.e, out.getresgid.s], statusField(out.statusAtStart, 'Gid').split(/\s+/).slice(0, 3).map(Number));
  assert.equal([out.getresuid.r, out.getresuid.e, out.getresuid.s], [0, 0, 0]);
  if (asRoot) {
    // Root's helper maps 65536 ids and leaves setgroups allowed.
    assert.is(out.setgroupsFile, 'allow');
    assert.is(out.setgroups.trace, 'setgroups(1, [0]) = 0');
    assert.is(out.setresuid.trace, 'setresuid(1000, 1000, 1000) = 0');
    assert.is(statusField(out.statusAfterSetres, 'Uid'), '1000\t1000\t1000\t1000');
    assert.is(statusField(out.statusAfterSetres, 'Gid'), '1000\t1000\t1000\t1000');
    assert.equal(out.getresuidAfter, { r: 1000, e: 1000, s: 1000 });
  } else {
    // Unprivileged: only uid 0 is mapped and setgroups is denied.
    assert.is(out.setgroupsFile, 'deny');
    assert.is(out.setgroups.errno, 'EPERM');
    assert.is(out.setresuid.errno, 'EINVAL', 'uid 1000 has no mapping in this user namespace');
    assert.is(out.setresuid.trace, 'setresuid(1000, 1000, 1000) = -1 EINVAL (Invalid argument)');
    assert.is(statusField(out.statusAfterSetres, 'Uid'), '0\t0\t0\t0');
  }
});

test.run();
