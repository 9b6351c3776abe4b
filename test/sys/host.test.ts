// Calls that are safe in the test process itself: queries, calls that fail, and calls on
// children and scratch files this test owns. Nothing here changes the host's namespaces,
// mounts, credentials or capabilities.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as sys from '../../src/sys/index.js';
import { bit, statusField, statusMask } from './helpers.js';

const E = constants.errno as Record<string, number>;
const test = suite('sys/host');
const status = () => readFileSync('/proc/thread-self/status', 'utf8');
let scratch = '';

test.before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'nslab-sys-host-'));
});
test.after(() => rmSync(scratch, { recursive: true, force: true }));

test('unshare(CLONE_NEWUSER) from multithreaded Node fails with EINVAL', () => {
  const threads = readdirSync('/proc/self/task').length;
  assert.ok(threads > 1, `Node runs ${threads} threads`);
  const r = sys.unshare(sys.CLONE_NEWUSER);
  assert.is(r.ok, false);
  assert.is(r.ret, -1);
  assert.is(r.errno, 'EINVAL');
  assert.is(r.code, E.EINVAL);
  assert.is(r.message, 'Invalid argument');
  assert.is(r.trace, 'unshare(CLONE_NEWUSER) = -1 EINVAL (Invalid argument)');
  assert.is(sys.trace.lines.at(-1), r.trace);
});

test('unshareAsync(CLONE_NEWUSER) fails the same way on a pool thread, errno carried back', async () => {
  const r = await sys.unshareAsync(sys.CLONE_NEWUSER);
  assert.is(r.errno, 'EINVAL');
  assert.is(r.code, E.EINVAL);
  assert.is(r.trace, 'unshare(CLONE_NEWUSER) = -1 EINVAL (Invalid argument) [threadpool]');
});

test('errno is read right after the failing call, and not reported after a success', () => {
  const bad = sys.setns(-1, 0);
  assert.is(bad.errno, 'EBADF');
  assert.is(bad.code, E.EBADF);
  const good = sys.getNoNewPrivs();
  assert.is(good.ok, true);
  assert.is(good.errno, null);
  assert.is(good.code, 0);
  assert.is(good.message, '');
});

test('getpid, gettid, gettidAsync and syscall6 agree with Node and /proc', async () => {
  assert.is(sys.getpid(), process.pid);
  assert.is(sys.gettid(), process.pid, 'the main thread is the thread-group leader');
  assert.is(Number(readFileSync('/proc/thread-self/status', 'utf8').match(/^Pid:\s+(\d+)/m)![1]), sys.gettid());
  const poolTid = await sys.gettidAsync();
  assert.is.not(poolTid, process.pid);
  assert.ok(existsSync(`/proc/self/task/${poolTid}`), 'the pool thread belongs to this process');
  const raw = sys.syscall6(sys.sysno('getpid'));
  assert.is(raw.ret, process.pid);
  assert.is(raw.trace, `syscall(SYS_getpid) = ${process.pid}`);
  const badNr = sys.syscall6(100000);
  assert.is(badNr.errno, 'ENOSYS');
});

test('capget matches CapEff/CapPrm/CapInh; capbsetRead matches CapBnd bit by bit', () => {
  const c = sys.capget();
  const text = status();
  assert.is(c.ok, true);
  assert.is(c.effective, statusMask(text, 'CapEff'));
  assert.is(c.permitted, statusMask(text, 'CapPrm'));
  assert.is(c.inheritable, statusMask(text, 'CapInh'));
  const bnd = statusMask(text, 'CapBnd');
  const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  for (let cap = 0; cap <= last; cap++) {
    assert.is(sys.capbsetRead(cap).ret, bnd & bit(cap) ? 1 : 0, `cap ${cap}`);
  }
  assert.is(sys.capbsetRead(last + 1).errno, 'EINVAL');
  const other = sys.capget(1);
  assert.is(other.ok, true, 'any process may read the caps of another');
  assert.is(other.effective, statusMask(readFileSync('/proc/1/status', 'utf8'), 'CapEff'));
});

test('getresuid/getresgid match the Uid:/Gid: lines', () => {
  const text = status();
  const u = sys.getresuid();
  const g = sys.getresgid();
  assert.equal([u.r, u.e, u.s], statusField(text, 'Uid').split(/\s+/).slice(0, 3).map(Number));
  assert.equal([g.r, g.e, g.s], statusField(text, 'Gid').split(/\s+/).slice(0, 3).map(Number));
  assert.is(u.r, process.getuid!());
  assert.is(u.trace, `getresuid([${u.r}], [${u.e}], [${u.s}]) = 0`);
});

test('prctl queries match /proc and the defaults of a plain process', () => {
  const text = status();
  assert.is(sys.getNoNewPrivs().ret, Number(statusField(text, 'NoNewPrivs')));
  assert.is(sys.getSeccomp().ret, Number(statusField(text, 'Seccomp')));
  const pd = sys.getPdeathsig();
  assert.is(pd.ok, true);
  assert.is(pd.value, 0);
  assert.is(pd.trace, 'prctl(PR_GET_PDEATHSIG, [0]) = 0');
  const sr = sys.getChildSubreaper();
  assert.is(sr.value, 0);
});

test('gethostname matches os.hostname and /proc/sys/kernel/hostname', () => {
  const h = sys.gethostname();
  assert.is(h.name, hostname());
  assert.is(h.name, readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
});

test('umask returns the previous mask shown in Umask:', () => {
  const shown = parseInt(statusField(status(), 'Umask'), 8);
  const r = sys.umask(0o077);
  assert.is(r.ret, shown);
  const back = sys.umask(shown);
  assert.is(back.ret, 0o077);
  assert.is(back.trace, `umask(0${shown.toString(8)}) = 077`);
  assert.is(parseInt(statusField(status(), 'Umask'), 8), shown);
});

test('open/read/close on a scratch file; errors by name', () => {
  const path = join(scratch, 'data');
  writeFileSync(path, 'nslab\tdata\n');
  const fd = sys.open(path, sys.O_RDONLY | sys.O_CLOEXEC);
  assert.ok(fd.ret >= 0);
  assert.ok(existsSync(`/proc/self/fd/${fd.ret}`));
  const r = sys.read(fd.ret, 4096);
  assert.is(r.data.toString(), 'nslab\tdata\n');
  assert.is(r.ret, 11);
  assert.is(r.trace, `read(${fd.ret}, "nslab\\tdata\\n", 4096) = 11`);
  assert.is(sys.close(fd.ret).ok, true);
  const again = sys.close(fd.ret);
  assert.is(again.errno, 'EBADF');
  assert.is(again.code, E.EBADF);

  const created = sys.open(join(scratch, 'new'), sys.O_WRONLY | sys.O_CREAT | sys.O_EXCL | sys.O_CLOEXEC, 0o600);
  assert.ok(created.ok);
  assert.is(statSync(join(scratch, 'new')).mode & 0o777, 0o600);
  const w = sys.write(created.ret, 'written');
  assert.is(w.ret, 7);
  sys.close(created.ret);
  assert.is(readFileSync(join(scratch, 'new'), 'utf8'), 'written');
  assert.is(sys.open(join(scratch, 'new'), sys.O_WRONLY | sys.O_CREAT | sys.O_EXCL, 0o600).errno, 'EEXIST');
  assert.is(sys.open(join(scratch, 'data'), sys.O_RDONLY | sys.O_DIRECTORY).errno, 'ENOTDIR');
});

test('mkdir/rmdir on scratch paths', () => {
  const d = join(scratch, 'dir');
  const m = sys.mkdir(d, 0o700);
  assert.is(m.trace, `mkdir("${d}", 0700) = 0`);
  assert.ok(statSync(d).isDirectory());
  assert.is(statSync(d).mode & 0o777, 0o700);
  assert.is(sys.mkdir(d, 0o700).errno, 'EEXIST');
  writeFileSync(join(d, 'f'), '');
  assert.is(sys.rmdir(d).errno, 'ENOTEMPTY');
  rmSync(join(d, 'f'));
  assert.is(sys.rmdir(d).ok, true);
  assert.not.ok(existsSync(d));
  assert.is(sys.rmdir(d).errno, 'ENOENT');
});

test('socket: a Unix socket opens; an unknown family is EAFNOSUPPORT', () => {
  const s = sys.socket(sys.AF_UNIX, sys.SOCK_STREAM | sys.SOCK_CLOEXEC, 0);
  assert.ok(s.ok);
  assert.match(readlinkSync(`/proc/self/fd/${s.ret}`), /^socket:\[\d+\]$/);
  const flags = parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${s.ret}`, 'utf8'))![1]!, 8);
  assert.ok(flags & 0o2000000, 'O_CLOEXEC set on the fd');
  assert.is(s.trace, `socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = ${s.ret}`);
  sys.close(s.ret);
  const bad = sys.socket(1000, sys.SOCK_STREAM, 0);
  assert.is(bad.errno, 'EAFNOSUPPORT');
  assert.is(bad.code, E.EAFNOSUPPORT);
});

function spawnChild(argv: string[]) {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  // We reap it ourselves with waitpid; libuv then finds nothing to reap and must not keep
  // the event loop waiting for an exit event that never comes.
  child.unref();
  return child.pid!;
}

test('waitpid reaps a child that exits with a code', () => {
  const pid = spawnChild(['sh', '-c', 'exit 7']);
  const w = sys.waitpid(pid, 0);
  assert.is(w.ret, pid);
  assert.is(w.exited, true);
  assert.is(w.exitCode, 7);
  assert.is(w.signal, null);
  assert.is(w.status >> 8, 7);
  assert.is(w.trace, `waitpid(${pid}, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0) = ${pid}`);
  assert.not.ok(existsSync(`/proc/${pid}`), 'reaped: no zombie left');
});

test('kill of a spawned child: WNOHANG first sees it running, then waitpid sees SIGTERM', () => {
  const pid = spawnChild(['sleep', '30']);
  const early = sys.waitpid(pid, sys.WNOHANG);
  assert.is(early.ret, 0);
  assert.is(early.exited, false);
  assert.ok(existsSync(`/proc/${pid}`));
  const k = sys.kill(pid, sys.SIGTERM);
  assert.is(k.trace, `kill(${pid}, SIGTERM) = 0`);
  const w = sys.waitpid(pid, 0);
  assert.is(w.ret, pid);
  assert.is(w.exited, false);
  assert.is(w.exitCode, null);
  assert.is(w.signal, constants.signals.SIGTERM);
  assert.is(w.trace, `waitpid(${pid}, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM}], 0) = ${pid}`);
  assert.not.ok(existsSync(`/proc/${pid}`));
});

test('kill and waitpid errors: ESRCH for no such process, ECHILD for not our child', () => {
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  const k = sys.kill(pidMax + 1, 0);
  assert.is(k.errno, 'ESRCH');
  assert.is(k.trace, `kill(${pidMax + 1}, 0) = -1 ESRCH (No such process)`);
  const w = sys.waitpid(1, sys.WNOHANG);
  assert.is(w.errno, 'ECHILD');
  assert.is(w.code, E.ECHILD);
});

test.run();
