// `nslab check --pid` judges state however it was made: here by util-linux run directly, with
// no nslab shell anywhere. Each state is made twice, right and as a near-miss; the verdicts must
// match what the same state gets inside `nslab shell`. Only processes this test starts are
// inspected or signalled.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { descendants } from '../../src/sandbox/index.js';
import { nslab } from '../cli/helpers.js';
import { settledDiff, snapshotHost } from '../support/residue.js';
import { REAL_LESSONS, asleepAs, check, labEnv, until, type Env } from './support.js';

const test = suite('nslab check --pid on states made with util-linux');
const isRoot = process.geteuid?.() === 0;
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool} || test -x /sbin/${tool}`]).status === 0;
const dir = process.env.NSLAB_EXERCISE_LESSONS ?? REAL_LESSONS;
const PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

let e: Env;
const started: ChildProcess[] = [];

/** Runs a shell line (R is the rootfs) and returns the PID of the 'sleep' it ends in, once that
 * sleeps (everything before it in the line is done). */
async function make(line: string): Promise<number> {
  const p = spawn('/bin/sh', ['-c', line], { env: { PATH, R: e.rootfs }, stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(p);
  let err = '';
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = () => p.exitCode !== null || p.signalCode !== null;
  const pid = await until(`a sleep from: ${line}`, () => (exited() ? -1 : [p.pid!, ...descendants(p.pid!)].find((d) => asleepAs(d, 'sleep'))));
  if (pid < 0) throw new Error(`no sleep appeared for: ${line}\n${err}`);
  return pid;
}

/** Kills what make() started, deepest first; resolves once each shell it ran is reaped. */
function stopAll(): Promise<unknown> {
  const ending = started.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r))));
  for (const p of started.splice(0)) {
    for (const pid of [...descendants(p.pid!)].reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    p.kill('SIGKILL');
  }
  return Promise.all(ending);
}

test.before(async () => {
  e = await labEnv();
});
test.after.each(async () => {
  await stopAll();
});

function expectVerdict(lesson: string, pid: number, want: { pass: true } | { fails: string[] }) {
  const r = check(e, dir, [lesson, '--pid', String(pid)]);
  assert.ok(r.report, `no JSON from nslab check; stderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
  const [x] = r.report!.exercises;
  assert.is(r.report!.source, 'pid');
  assert.is(x!.process?.pid, pid);
  if ('pass' in want) {
    assert.ok(x!.pass, `expected a pass: ${JSON.stringify(x!.checks.filter((c) => !c.pass), null, 1)}`);
    assert.is(r.code, 0);
  } else {
    assert.not.ok(x!.pass, 'a near-miss passed');
    assert.is(r.code, 1);
    for (const id of want.fails) {
      const c = x!.checks.find((y) => y.id === id)!;
      assert.not.ok(c.pass, `${id} should fail`);
      assert.ok(c.hint && c.hint.length > 20, `${id} has no real hint`);
      assert.ok(c.evidence.length > 0, `${id} shows no evidence`);
    }
    const others = x!.checks.filter((c) => !want.fails.includes(c.id) && !c.pass).map((c) => c.id);
    assert.equal(others, [], 'only the near-miss checks fail');
  }
}

const cases: { lesson: string; what: string; line: string; want: { pass: true } | { fails: string[] }; needs?: string; rootOnly?: boolean }[] = [
  { lesson: '01', what: 'chroot with /proc mounted', line: `exec unshare -Urmpf --kill-child sh -c 'mount -t proc proc "$R/proc" && exec chroot "$R" /bin/sleep 100'`, want: { pass: true } },
  { lesson: '01', what: 'chroot without /proc', line: `exec unshare -Urm chroot "$R" /bin/sleep 100`, want: { fails: ['proc-inside'] } },
  // sh stays: were it to exec, its namespace would empty, the master go, and the slave turn private.
  { lesson: '02', what: 'slave copy of a shared tmpfs', line: `exec unshare -Urm sh -c 'mount -t tmpfs lab "$R/home" && mount --make-shared "$R/home" && unshare -m --propagation slave sleep 100'`, want: { pass: true } },
  { lesson: '02', what: 'private copy (unshare -m default)', line: `exec unshare -Urm sh -c 'mount -t tmpfs lab "$R/home" && mount --make-shared "$R/home" && unshare -m sleep 100'`, want: { fails: ['slave'] } },
  { lesson: '03', what: 'unshare -pf', line: 'exec unshare -Urpf --kill-child --mount-proc sleep 100', want: { pass: true } },
  { lesson: '03', what: 'unshare -p without --fork', line: 'exec unshare -Urp sleep 100', want: { fails: ['pid-1'] } },
  {
    lesson: '04',
    what: 'pivot_root, /proc, old root detached',
    line: `exec unshare -Urmpf --kill-child sh -c 'mount --bind "$R" "$R" && cd "$R" && pivot_root . oldroot && mount -t proc proc /proc && umount -l /oldroot && exec /bin/sleep 100'`,
    want: { pass: true },
  },
  {
    lesson: '04',
    what: 'old root still mounted',
    line: `exec unshare -Urmpf --kill-child sh -c 'mount --bind "$R" "$R" && cd "$R" && pivot_root . oldroot && mount -t proc proc /proc && exec /bin/sleep 100'`,
    want: { fails: ['old-root-detached'] },
  },
  { lesson: '05', what: 'setpriv drops net_raw from bounding and inheritable', line: 'exec unshare -Ur setpriv --bounding-set -net_raw --inh-caps -net_raw sleep 100', want: { pass: true } },
  { lesson: '05', what: 'capsh --drop (bounding only, exec recomputes)', line: `exec unshare -Ur capsh --drop=cap_net_raw -- -c 'exec sleep 100'`, want: { pass: true }, needs: 'capsh' },
  { lesson: '05', what: 'only the bounding set dropped', line: `exec unshare -Ur capsh --inh=cap_net_raw --drop=cap_net_raw -- -c 'exec sleep 100'`, want: { fails: ['no-net-raw-effective'] }, needs: 'capsh' },
  { lesson: '05', what: 'real root on the host, setpriv', line: 'exec setpriv --bounding-set -net_raw --inh-caps -net_raw sleep 100', want: { pass: true }, rootOnly: true },
  { lesson: '06', what: 'setpriv --no-new-privs', line: 'exec setpriv --no-new-privs sleep 100', want: { pass: true } },
  { lesson: '06', what: 'a plain sleep', line: 'exec sleep 100', want: { fails: ['no-new-privs'] } },
];

for (const c of cases) {
  test(`${c.lesson}: ${c.what} -> ${'pass' in c.want ? 'pass' : `fails ${c.want.fails.join(', ')}`}`, async () => {
    if (c.needs && !has(c.needs)) return console.log(`  (skipped: ${c.needs} is not installed)`);
    if (c.rootOnly && !isRoot) return;
    const before = snapshotHost();
    const pid = await make(c.line);
    expectVerdict(c.lesson, pid, c.want);
    await stopAll();
    assert.equal(await settledDiff(before), []);
  });
}

test('no such process: one clear sentence', () => {
  const p = spawnSync('sleep', ['0']);
  assert.is(p.status, 0);
  // A PID far above pid_max's default is never in use.
  const r = nslab(['--lessons', dir, 'check', '6', '--pid', '4194999'], { env: e.env });
  assert.is(r.code, 1);
  assert.match(r.stderr, /There is no process 4194999/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('a process of another user: EACCES becomes one clear sentence', async () => {
  if (!isRoot) return console.log('  (root only: it checks as nslabtest a root process this test starts)');
  const pid = await make('exec setpriv --bounding-set -net_raw sleep 100');
  const r = nslab(['--lessons', dir, 'check', '5', '--pid', String(pid)], { env: { ...e.env, HOME: '/tmp' }, wrap: ['setpriv', '--reuid=1001', '--regid=1001', '--clear-groups'] });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`You may not inspect process ${pid}`));
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('bad --pid values are usage errors', () => {
  const r = nslab(['--lessons', dir, 'check', '6', '--pid', 'abc'], { env: e.env });
  assert.is(r.code, 2);
  assert.match(r.stderr, /--pid wants a process ID/);
});

test.run();
