// `nslab shell` as a running thing: its record while it lives, `nslab check` from outside and
// from inside, hints, progress, and a complete teardown after exit 0, exit 1 and SIGKILL of nslab.
// The shell is the rootfs's own: bash from the default rootfs, dash where the rootfs has no bash,
// busybox sh from the opt-in busybox rootfs (skipped, saying so, without a static busybox).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStat } from '../../src/proc/index.js';
import { buildRootfs } from '../../src/rootfs/index.js';
import { findIn } from '../../src/rootfs/tools.js';
import { descendants } from '../../src/sandbox/index.js';
import { nslab, pty } from '../cli/helpers.js';
import { settledDiff, snapshotHost } from '../support/residue.js';
import { testBusyboxRootfs, withBusybox } from '../support/rootfs.js';
import { ENGINE_FIXTURES, backgroundShell, check, labEnv, sleepingUnder, type Env } from './support.js';

const test = suite('nslab shell lifecycle');
const dir = ENGINE_FIXTURES;
const READY = /\[nslab 01-exfix\]/;

const stateOf = (e: Env) => join(e.home.state, 'nslab');
const recordFile = (e: Env) => join(stateOf(e), 'shells', '01-exfix.json');
const alive = (pid: number) => existsSync(`/proc/${pid}`);

/** pid runs comm and its process group has its terminal (stat: pgrp is the tty's tpgid). */
function foreground(pid: number, comm: string): boolean {
  try {
    const s = readStat(pid);
    return s.comm === comm && s.pgrp === s.tpgid;
  } catch {
    return false;
  }
}

test('while it runs: a record, outside check, in-shell check, hints, progress; exit 0 leaves nothing', async () => {
  const e = await labEnv();
  const before = snapshotHost();
  const sh = backgroundShell(e, dir, '1');
  await sh.waitFor(READY);
  const record = JSON.parse(readFileSync(recordFile(e), 'utf8'));
  assert.ok(alive(record.pid), 'the recorded sandbox runs');

  // Nothing made yet: outside check fails with hints, and says which processes it looked at.
  let r = check(e, dir, []);
  assert.is(r.code, 1, r.stderr);
  assert.is(r.report!.source, 'shell');
  assert.is(r.report!.sandboxPid, record.pid);
  assert.not.ok(r.report!.exercises[0]!.pass);
  assert.ok(r.report!.exercises[0]!.candidates.length >= 1);

  sh.type('/usr/bin/setpriv --no-new-privs sleep 1000 & echo "BG=$!"');
  await sh.waitFor(/BG=\d+/);
  await sleepingUnder(record.pid, 'sleep');
  r = check(e, dir, ['1']);
  const nnp = r.report!.exercises.find((x) => x.id === 'nnp')!;
  assert.ok(nnp.pass, JSON.stringify(nnp, null, 1));
  assert.is(nnp.process!.comm, 'sleep');
  // The shim is never a candidate, and the sandbox's init is not either.
  assert.not.ok(nnp.candidates.some((c) => c.pid === record.pid));
  const progress = JSON.parse(readFileSync(join(stateOf(e), 'progress.json'), 'utf8'));
  assert.ok(progress.lessons['01-exfix'].exercises.nnp.passed);

  // Inside: --pid takes PIDs as the shell numbers them.
  const inside = /BG=(\d+)/.exec(sh.output().stdout)![1];
  sh.type(`echo @@A; nslab check --json --pid ${inside}; echo @@Z`);
  await sh.waitFor(/@@Z/);
  const json = /@@A\n([\s\S]*?)\n@@Z/.exec(sh.output().stdout)![1]!;
  const rep = JSON.parse(json);
  assert.is(rep.exercises[0].process.pid, nnp.process!.pid, 'the inside PID maps to the same host process');
  assert.ok(!rep.exercises[0].candidates.some((c: { comm: string }) => c.comm === 'node'), 'the shim is not judged');

  sh.type('nslab hint; nslab hint');
  await sh.waitFor(/hint 1\/1: unshare -pf[\s\S]*hint 1\/1/);
  sh.type('nslab frobnicate; echo "rc=$?"');
  await sh.waitFor(/not available inside the shell[\s\S]*rc=2/);

  // A second shell for the same lesson is refused while this one lives.
  const again = nslab(['--lessons', dir, 'shell', '1'], { env: e.env, input: 'exit\n' });
  assert.is(again.code, 1);
  assert.match(again.stderr, /already running/);

  sh.type('exit 0');
  const end = await sh.exited;
  assert.is(end.code, 0, sh.output().stderr);
  assert.not.ok(existsSync(recordFile(e)), 'the record is removed');
  assert.equal(readdirSync(join(stateOf(e), 'shell-tools')), [], 'the helper command lived only in the sandbox');
  assert.not.ok(alive(record.pid));
  assert.equal(await settledDiff(before), []);
});

test('exit 1: the status comes back, nothing is left', async () => {
  const e = await labEnv();
  const before = snapshotHost();
  const sh = backgroundShell(e, dir, '01-exfix');
  await sh.waitFor(READY);
  sh.type('unshare -pf --mount-proc sleep 1000 & mount -t tmpfs x "$NSLAB_ROOTFS/home"; sleep 1000 & echo STARTED');
  await sh.waitFor(/STARTED/);
  // Both sleeps run when the shell exits, so the teardown has something to tear down.
  await sleepingUnder(JSON.parse(readFileSync(recordFile(e), 'utf8')).pid, 'sleep', 2);
  sh.type('exit 1');
  const end = await sh.exited;
  assert.is(end.code, 1);
  assert.not.ok(existsSync(recordFile(e)));
  assert.equal(await settledDiff(before), []);
});

test('SIGKILL of nslab: the sandbox and everything in it die; the stale record is reported, then ignored', async () => {
  const e = await labEnv();
  const before = snapshotHost();
  const sh = backgroundShell(e, dir, '1');
  await sh.waitFor(READY);
  sh.type('unshare -pf --mount-proc sleep 1000 & setpriv --no-new-privs sleep 1000 & mount -t tmpfs x "$NSLAB_ROOTFS/home"; echo STARTED');
  await sh.waitFor(/STARTED/);
  const record = JSON.parse(readFileSync(recordFile(e), 'utf8'));
  await sleepingUnder(record.pid, 'sleep', 2);
  sh.proc.kill('SIGKILL');
  await sh.exited;
  assert.equal(await settledDiff(before, 5000), []);
  assert.not.ok(alive(record.pid));

  const r = nslab(['--lessons', dir, 'check', '1'], { env: e.env });
  assert.is(r.code, 1);
  assert.match(r.stderr, /that process is gone .*ignored and removed/);
  assert.match(r.stderr, /No `nslab shell 01-exfix` is running/);
  assert.not.ok(existsSync(recordFile(e)));
});

test('a record naming a live PID that is not the sandbox (reused) is stale', async () => {
  const e = await labEnv();
  mkdirSync(join(stateOf(e), 'shells'), { recursive: true });
  // Our own PID, with a start time it never had.
  writeFileSync(recordFile(e), JSON.stringify({ lesson: '01-exfix', pid: process.pid, startTime: 1, nslabPid: 1, rootfs: e.rootfs, startedAt: 'then' }));
  const r = nslab(['--lessons', dir, 'check', '1'], { env: e.env });
  assert.match(r.stderr, /that process is gone/);
  // And a new shell starts fine after it.
  const s = nslab(['--lessons', dir, 'shell', '1'], { env: e.env, input: 'exit 0\n' });
  assert.is(s.code, 0, s.stderr);
});

/** In a terminal: job control, Ctrl-C reaches only the foreground job, check from inside, and the
 * shell's exit status comes back through the init. */
async function inTerminal(e: Env, shell: RegExp): Promise<void> {
  const before = snapshotHost();
  const r = await pty(
    ['--lessons', dir, 'shell', '1'],
    [
      { when: /\] ~? ?.*[#$] $/m, send: 'setpriv --no-new-privs sleep 1000 &\r' },
      { when: /[#$] $/m, send: 'sleep 300\r' },
      // ^C once sleep is the terminal's foreground job: sooner, it reaches the shell instead.
      { when: /sleep 300/, send: '\x03', ready: (pid) => descendants(pid).some((d) => foreground(d, 'sleep')) },
      { when: /[#$] $/m, send: 'nslab check\r' },
      { when: /exercise\(s\) of 01-exfix pass/, send: 'exit 3\r' },
    ],
    { env: e.env, timeout: 40_000 },
  );
  assert.is(r.stepsDone, 5, r.screen);
  assert.match(r.screen, shell);
  assert.not.match(r.screen, /job control turned off|no job control/);
  // dash says this (and exits 2) when it cannot give the terminal back.
  assert.not.match(r.screen, /Cannot set tty process group/);
  assert.match(r.screen, /pass\s+01-exfix\/nnp/i);
  assert.is(r.code, 3, r.screen);
  assert.equal(await settledDiff(before), []);
}

test('in a terminal, the default rootfs: its bash', async () => {
  await inTerminal(await labEnv(), /Your shell is bash \(the rootfs's \/bin\/bash\)/);
});

test("in a terminal, a rootfs without bash: its /bin/sh (dash on Debian), the same", async () => {
  const temp = mkdtempSync(join(tmpdir(), 'nslab-shell-nobash-'));
  try {
    const rootfs = join(temp, 'rootfs');
    await buildRootfs(rootfs, { method: 'host' });
    rmSync(join(rootfs, 'bin', 'bash'));
    const e = await labEnv();
    await inTerminal({ ...e, rootfs, env: { ...e.env, NSLAB_ROOTFS: rootfs } }, /Your shell is (?!bash)\S+ \(the rootfs's \/bin\/sh\)/);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
});

withBusybox(test, 'in a terminal, the busybox rootfs: busybox sh, util-linux by its own names', async () => {
  const rootfs = await testBusyboxRootfs();
  const e = await labEnv();
  const bb = { ...e, rootfs, env: { ...e.env, NSLAB_ROOTFS: rootfs } };
  await inTerminal(bb, /Your shell is busybox sh \(the rootfs's \/bin\/sh\)/);
  // Piped: `unshare` is this machine's util-linux program, not busybox's applet of that name.
  const sh = backgroundShell(bb, dir, '1');
  await sh.waitFor(READY);
  sh.type('unshare -pf --mount-proc sleep 1000 & echo STARTED');
  await sh.waitFor(/STARTED/);
  await sleepingUnder(JSON.parse(readFileSync(recordFile(bb), 'utf8')).pid, 'sleep');
  const r = check(bb, dir, ['1']);
  const pid1 = r.report!.exercises.find((x) => x.id === 'pid1')!;
  assert.ok(pid1.pass, JSON.stringify(pid1, null, 1));
  const unshare = pid1.candidates.find((c) => c.comm === 'unshare');
  assert.ok(unshare, `an unshare process: ${JSON.stringify(pid1.candidates)}`);
  assert.is(realpathSync(`/proc/${unshare!.pid}/exe`), realpathSync(findIn('', 'unshare')!));
  sh.type('exit 0');
  assert.is((await sh.exited).code, 0, sh.output().stderr);
});

test('a lesson without exercises, and check with nothing running', async () => {
  const e = await labEnv();
  const { lessonsDir, tempHome } = await import('../cli/helpers.js');
  const other = lessonsDir(tempHome(), ['04-pivot-root']); // lesson.js: loads compiled too
  let r = nslab(['--lessons', other, 'shell', '4'], { env: e.env });
  assert.is(r.code, 2);
  assert.match(r.stderr, /has no exercise yet/);
  r = nslab(['--lessons', dir, 'check'], { env: e.env });
  assert.is(r.code, 2);
  assert.match(r.stderr, /Say which lesson to check/);
});

test.run();
