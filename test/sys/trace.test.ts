// The formatter and the errno tables: pure, no syscalls that change anything.
import { constants } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sys from '../../src/sys/index.js';
import { errnoName, strerror } from '../../src/sys/errno.js';
import { bytes, str } from '../../src/sys/trace.js';

const test = suite('sys/trace');

test.before.each(() => sys.trace.clear());

test('flagNames prints known bits by name in table order and unknown bits in hex', () => {
  assert.is(sys.flagNames(sys.MS_REC | sys.MS_PRIVATE, sys.MS_FLAGS), 'MS_REC|MS_PRIVATE');
  assert.is(sys.flagNames(0x4000 | 0x40000, sys.MS_FLAGS), 'MS_REC|MS_PRIVATE', 'literal kernel values, not our constants');
  assert.is(sys.flagNames(sys.MS_BIND | 0x40000000, sys.MS_FLAGS), 'MS_BIND|0x40000000');
  assert.is(sys.flagNames(0, sys.MS_FLAGS), '0');
  assert.is(sys.flagNames(0x10000000, sys.CLONE_FLAGS), 'CLONE_NEWUSER');
  assert.is(sys.flagNames(0x20000 | 0x04000000, sys.CLONE_FLAGS), 'CLONE_NEWNS|CLONE_NEWUTS');
  assert.is(sys.flagNames(0x80000000, [['TOP', 0x80000000]]), 'TOP', 'bit 31 is not a sign problem');
  assert.is(sys.flagNames(0x80000001, [['LOW', 1]]), 'LOW|0x80000000');
});

test('strings are quoted and escaped like strace; NULL for null', () => {
  assert.is(str('/tmp/x'), '"/tmp/x"');
  assert.is(str(null), 'NULL');
  assert.is(str('a"b\\c\n\t'), '"a\\"b\\\\c\\n\\t"');
  assert.is(str('\x1b[0m'), '"\\33[0m"');
  assert.is(str('\x001'), '"\\0001"', 'octal is padded when a digit follows');
  assert.is(bytes(Buffer.from('x'.repeat(40))), `"${'x'.repeat(32)}"...`);
  assert.is(bytes(Buffer.from([0, 255])), '"\\0\\377"');
});

test('errno names come back for every number Node knows, aliases resolved the strace way', () => {
  const table = constants.errno as Record<string, number>;
  for (const [name, n] of Object.entries(table)) {
    const got = errnoName(n);
    assert.is(table[got], n, `${name} (${n}) named ${got}`);
  }
  assert.is(errnoName(table.EAGAIN!), 'EAGAIN');
  assert.is(errnoName(table.EOPNOTSUPP!), 'EOPNOTSUPP');
  assert.is(errnoName(126), 'ENOKEY', 'names Node lacks come from koffi');
  assert.is(errnoName(100000), 'E100000');
  assert.is(strerror(1), 'Operation not permitted');
  assert.is(strerror(22), 'Invalid argument');
});

test('trace: note, take and clear', () => {
  sys.trace.note('before the call');
  const r = sys.close(-1);
  assert.equal(sys.trace.lines, ['# before the call', 'close(-1) = -1 EBADF (Bad file descriptor)']);
  assert.is(r.trace, 'close(-1) = -1 EBADF (Bad file descriptor)');
  const taken = sys.trace.take();
  assert.is(taken.length, 2);
  assert.equal(sys.trace.lines, []);
  sys.close(-1);
  sys.trace.clear();
  assert.equal(sys.trace.lines, []);
});

test('syscall numbers: x64 and arm64 tables, a clear error elsewhere', () => {
  assert.is(sys.sysno('pivot_root', 'x64'), 155);
  assert.is(sys.sysno('pivot_root', 'arm64'), 41);
  assert.is(sys.sysno('seccomp', 'x64'), 317);
  assert.is(sys.sysno('seccomp', 'arm64'), 277);
  assert.is(sys.sysno('setresuid', 'x64'), 117);
  assert.is(sys.sysno('setresuid', 'arm64'), 147);
  assert.is(sys.sysno('gettid', 'x64'), 186);
  assert.is(sys.sysno('gettid', 'arm64'), 178);
  assert.throws(() => sys.sysno('pivot_root', 'riscv64'), /x64 and arm64 only, not riscv64/);
});

test('programmer errors throw; kernel errors do not', () => {
  assert.throws(() => sys.seccomp(sys.SECCOMP_SET_MODE_FILTER, 0, Buffer.alloc(5)), /8-byte/);
  assert.throws(() => sys.capset({ effective: -1n, permitted: 0n, inheritable: 0n }), /64-bit/);
  assert.throws(() => sys.syscall6(39, 1, 2, 3, 4, 5, 6, 7), /at most 6/);
  assert.throws(() => sys.setresuid(1.5, 0, 0), /not a uid/);
  assert.not.throws(() => sys.close(-1));
});

test('open flags print the access mode, then the other flags', () => {
  const r = sys.open('/nonexistent/nslab', sys.O_RDONLY | sys.O_CLOEXEC);
  assert.is(r.trace, 'open("/nonexistent/nslab", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)');
  assert.is(r.code, (constants.errno as Record<string, number>).ENOENT);
  const c = sys.open('/nonexistent/nslab', sys.O_WRONLY | sys.O_CREAT | sys.O_EXCL, 0o640);
  assert.is(c.trace, 'open("/nonexistent/nslab", O_WRONLY|O_CREAT|O_EXCL, 0640) = -1 ENOENT (No such file or directory)');
});

test.run();
