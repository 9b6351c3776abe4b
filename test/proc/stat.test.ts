// readStat against a real process whose command name holds spaces and parentheses (a symlink
// to sleep named so: comm is the basename of what was exec'd), and against /proc/PID/status,
// which spells the same fields by name.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcReadError, readStat } from '../../src/proc/index.js';
import { scaled } from '../../src/sandbox/time.js';

const test = suite('/proc/PID/stat');
const dir = mkdtempSync(join(tmpdir(), 'nslab-stat-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const status = (pid: number | 'self', key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

test('a command name with ") (" in it: every field still lands where proc(5) puts it', async () => {
  const name = 'a) b (c) d';
  symlinkSync('/bin/sleep', join(dir, name));
  const child = spawn(join(dir, name), ['30'], { stdio: 'ignore', detached: true });
  try {
    // A deadline, not a delay: the comm changes at the exec and the state once sleep sleeps.
    let s = readStat(child.pid!);
    for (const until = Date.now() + scaled(5000); (s.comm !== name || s.state !== 'S') && Date.now() < until; s = readStat(child.pid!)) await new Promise((r) => setTimeout(r, 5));
    assert.is(s.comm, name);
    assert.is(s.comm, status(child.pid!, 'Name'));
    assert.is(s.state, 'S');
    assert.is(s.ppid, process.pid);
    assert.is(String(s.ppid), status(child.pid!, 'PPid'));
    // detached: a session and process group of its own, led by the child; no terminal.
    assert.is(s.session, child.pid);
    assert.is(s.pgrp, child.pid);
    assert.is(s.tpgid, -1);
    const self = readStat('self');
    assert.ok(s.starttime >= self.starttime, 'the child started after this process');
    assert.ok(self.utime + self.stime > 0, 'this process has used CPU');
    assert.ok(self.rss > 0, 'this process has resident pages');
  } finally {
    child.kill('SIGKILL');
  }
});

test('a process that is gone: ProcReadError naming the file', async () => {
  const child = spawn('/bin/true', { stdio: 'ignore' });
  await new Promise((r) => child.on('close', r));
  try {
    readStat(child.pid!);
    assert.unreachable('read the stat of a reaped process');
  } catch (err) {
    assert.instance(err, ProcReadError);
    assert.match((err as Error).message, `/proc/${child.pid}/stat`);
  }
});

test.run();
