import { readFileSync, readdirSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcReadError, parseStatus, readStatus, readTaskStatus } from '../../src/proc/index.js';
import { fixture, impossiblePid, me, withChild, withSandbox } from './helpers.js';

const test = suite('proc/status');

test('fixture: a sandboxed setuid-style process with 41-bit caps, seccomp and three PID levels', () => {
  const s = parseStatus(fixture('status-sandboxed.txt'));
  assert.equal([s.name, s.state, s.pid, s.ppid, s.tgid, s.threads], ['node', 'S (sleeping)', 4521, 4519, 4521, 7]);
  assert.equal(s.nspid, [4521, 7, 1]);
  assert.equal(s.nstgid, [4521, 7, 1]);
  assert.equal(s.uid, [1001, 0, 0, 0]);
  assert.equal(s.gid, [1001, 1001, 1001, 1001]);
  assert.equal(s.groups, [], 'an empty Groups: line is no groups');
  assert.is(s.capEff, 0x1ffffffffffn);
  assert.is(s.capBnd, 0x1ffffffffffn);
  assert.is(s.capAmb, 0n);
  assert.is(s.noNewPrivs, true);
  assert.is(s.seccomp, 2);
  assert.is(s.seccompFilters, 3);
  assert.is(s.sigCgt, 0x8000000280004a02n, 'bit 63 survives: masks are not squeezed through a double');
  assert.is(s.sigPnd, 0x100n);
  assert.is(s.shdPnd, 0x4000n);
  assert.is(s.line('Uid'), 'Uid:\t1001\t0\t0\t0');
  assert.is(s.fields.Speculation_Store_Bypass, 'vulnerable', 'unknown lines are kept in fields');
  assert.is(s.line('NoSuchKey'), '');
});

test('fixture: an old kernel without NSpid, CapAmb, NoNewPrivs, Seccomp lines', () => {
  const s = parseStatus(fixture('status-old-kernel.txt'));
  assert.equal([s.pid, s.ppid, s.threads], [2212, 2208, 1]);
  assert.equal(s.groups, [4, 24, 27, 1000]);
  assert.equal(s.nspid, []);
  assert.equal(s.nstgid, []);
  assert.is(s.capAmb, 0n);
  assert.is(s.capBnd, 0x3fffffffffn);
  assert.is(s.noNewPrivs, false);
  assert.is(s.seccomp, 0);
  assert.is(s.seccompFilters, null, 'absent is not the same as zero filters');
  assert.is(s.sigIgn, 0x380004n);
  assert.is(s.line('NSpid'), '');
});

test('parser tolerates junk: no throw, defaults that cannot pass for real values', () => {
  const s = parseStatus('garbage\nCapEff:\tnot-hex\n\n:empty key\n');
  assert.is(s.capEff, 0n);
  assert.is(s.pid, -1);
  assert.equal(s.uid, [-1, -1, -1, -1]);
});

test('self: ids match what node and the OS report', () => {
  const s = readStatus();
  assert.is(s.pid, process.pid);
  assert.is(s.tgid, process.pid);
  assert.is(s.ppid, process.ppid);
  assert.equal(s.nspid, [process.pid]);
  assert.equal(s.uid, [me.uid, me.uid, me.uid, me.uid]);
  assert.equal(s.gid, [me.gid, me.gid, me.gid, me.gid]);
  // Node always includes the egid in getgroups(); the kernel's Groups: line need not.
  assert.equal([...new Set([...s.groups, me.gid])].sort(), [...new Set(process.getgroups!())].sort());
  assert.is(s.name, readFileSync('/proc/self/comm', 'utf8').trim());
  assert.ok(s.state.startsWith('R'), 'a process reading its own status is running');
  assert.ok(s.threads > 1, 'node runs several threads');
  assert.ok(s.line('Pid').startsWith('Pid:\t'));
  assert.is(s.seccompFilters === null, !readFileSync('/proc/self/status', 'utf8').includes('Seccomp_filters:'));
});

test('self: every thread reports the same tgid and its own pid', () => {
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    const t = readTaskStatus(process.pid, tid);
    assert.is(t.pid, tid);
    assert.is(t.tgid, process.pid);
  }
});

test('child: sleep as seen from its parent', async () => {
  await withChild((pid) => {
    const s = readStatus(pid);
    assert.is(s.pid, pid);
    assert.is(s.ppid, process.pid);
    assert.is(s.name, 'sleep');
    assert.is(s.threads, readdirSync(`/proc/${pid}/task`).length);
    assert.equal(s.uid, [me.uid, me.uid, me.uid, me.uid]);
  });
});

test('sandbox: two PID levels, parent is the helper, ids shown in our own user namespace', async () => {
  await withSandbox(['-U', '-m', '-p', '-u', '-n'], ({ pid, helperPid }) => {
    const s = readStatus(pid);
    assert.equal(s.nspid, [pid, 1], 'PID 1 in its own namespace');
    assert.equal(s.nstgid, [pid, 1]);
    assert.is(s.ppid, helperPid);
    // Root inside is the caller outside: uid 0 maps back to whoever ran the helper.
    assert.equal(s.uid, [me.uid, me.uid, me.uid, me.uid]);
    assert.ok(s.capEff !== 0n, 'root of a new user namespace holds capabilities there');
  });
});

test('a missing process gives ProcReadError naming the file and ENOENT', () => {
  const pid = impossiblePid();
  try {
    readStatus(pid);
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, ProcReadError);
    assert.is((err as ProcReadError).code, 'ENOENT');
    assert.match((err as Error).message, `/proc/${pid}/status`);
  }
});

test.run();
