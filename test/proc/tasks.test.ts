import { readdirSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listPids, listThreads, readChildren, readCmdline, readComm } from '../../src/proc/index.js';
import { impossiblePid, withChild, withSandbox } from './helpers.js';

const test = suite('proc/tasks');

test('self: our pid and every thread of ours', () => {
  assert.ok(listPids().includes(process.pid));
  const threads = listThreads(process.pid);
  assert.ok(threads.includes(process.pid), 'the main thread has the PID as its TID');
  assert.ok(threads.length > 1, 'node runs several threads');
  assert.equal(listThreads('self'), threads);
  // cmdline is argv as typed: node's argv0 and execArgv are too, its argv[1] is resolved.
  const cmdline = readCmdline(process.pid);
  assert.equal(cmdline.slice(0, 1 + process.execArgv.length), [process.argv0, ...process.execArgv]);
  assert.is(cmdline.length, process.execArgv.length + process.argv.length);
});

test('child: comm, argv, parentage', async () => {
  await withChild((pid) => {
    assert.is(readComm(pid), 'sleep');
    assert.equal(readCmdline(pid), ['sleep', '30']);
    assert.ok(readChildren(process.pid).includes(pid));
    assert.ok(listPids().includes(pid));
    assert.equal(listThreads(pid), [pid]);
    assert.equal(readChildren(pid), []);
  });
});

test('sandbox: the helper has exactly one child, the sandboxed program', async () => {
  await withSandbox(['-U', '-p'], ({ helperPid, pid }) => {
    assert.equal(readChildren(helperPid), [pid]);
    assert.equal(readCmdline(pid), ['sleep', '30']);
    assert.equal(readdirSync(`/proc/${helperPid}/task`).map(Number), listThreads(helperPid), 'the helper is single-threaded');
    assert.equal(listThreads(helperPid), [helperPid]);
  });
});

test('a missing process gives an error naming the file', () => {
  const pid = impossiblePid();
  assert.throws(() => readComm(pid), (err: Error) => err.message.includes(`/proc/${pid}/comm`) && err.message.includes('ENOENT'));
  assert.throws(() => readChildren(pid), (err: Error) => err.message.includes(`/proc/${pid}/task`));
  assert.throws(() => listPids('/nonexistent'), /\/nonexistent: ENOENT/);
});

test.run();
