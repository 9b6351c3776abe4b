// The cgroup janitor (nslab-helper janitor, started by src/sandbox/janitor.ts): it waits for its
// owner to die, then removes exactly the owner's nslab-<pid>-<n> cgroups, members, frozen ones
// and nested ones included; and a SIGKILL of the whole process group of an nslab that made a
// cgroup leaves no cgroup behind, with no later nslab start to sweep it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { adopt, createOwnedCgroup, helperPath, planCgroup, removeOwnedCgroup } from '../../src/sandbox/index.js';
import { cgroupRoots } from '../../src/sandbox/janitor.js';
import { scaled } from '../../src/sandbox/time.js';
import { ROOT } from '../cli/helpers.js';

const test = suite('cgroup janitor');
const temp = mkdtempSync(join(tmpdir(), 'nslab-janitor-'));
test.after(() => rmSync(temp, { recursive: true, force: true }));

const gone = (pid: number) => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
const deadPid = () => spawnSync('true').pid!;
const canMake = planCgroup(['pids']).ok;

async function until(what: string, ok: () => boolean, ms = scaled(10_000)): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function startJanitor(owner: number, roots: string[]) {
  const child = spawn(helperPath(), ['janitor', '--owner', String(owner), '--timeout-ms', String(scaled(5000)), ...roots], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  /** Asleep after its exec: blocked reading the pipe, the only place it waits before the sweep. */
  const waiting = () => {
    try {
      return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes('janitor') && / S /.test(readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\)/, ''));
    } catch {
      return false;
    }
  };
  return { child, exited, waiting, stderr: () => stderr };
}

test('a plain directory tree: only nslab-<owner>-<digits> go, at any depth, and only after end-of-file', async () => {
  const owner = deadPid();
  const other = deadPid();
  const root = join(temp, 'tree');
  const mine = [`nslab-${owner}-1`, `nslab-${owner}-2/inner/deeper`, `a/b/nslab-${owner}-3`];
  const kept = [`nslab-${owner}-x`, `nslab-${owner}0-1`, `nslab-${other}-1`, `x-nslab-${owner}-1`, `nslab-${owner}-`];
  for (const d of [...mine, ...kept]) mkdirSync(join(root, d), { recursive: true });
  const j = startJanitor(owner, [root]);
  await until('the janitor waits on its pipe', j.waiting);
  for (const d of mine) assert.ok(existsSync(join(root, d)), `${d} is still there while the owner lives`);
  j.child.stdin!.end();
  assert.is(await j.exited, 0, j.stderr());
  for (const d of mine) assert.not.ok(existsSync(join(root, d.split('/').slice(0, d.startsWith('a/') ? 3 : 1).join('/'))), `${d} removed`);
  for (const d of kept) assert.ok(existsSync(join(root, d)), `${d} is not the owner's and stays`);
  assert.ok(existsSync(join(root, 'a', 'b')), 'the directories above are not touched');
});

test('refuses to run without an owner', () => {
  const r = spawnSync(helperPath(), ['janitor', '/nonexistent'], { encoding: 'utf8', input: '' });
  assert.is(r.status, 125);
  assert.match(r.stderr, 'janitor needs --owner PID');
});

const real = canMake ? test : test.skip;
if (!canMake) console.log(`SKIP the janitor on real cgroups: no cgroup can be made here (${(planCgroup(['pids']) as { reason: string }).reason})`);

real('real cgroups: members are killed, a frozen cgroup is thawed, nested cgroups go first; others stay', async () => {
  const owner = deadPid();
  const cg = createOwnedCgroup(['pids'], { owner });
  const frozen = planCgroup(['freeze']).ok ? createOwnedCgroup(['freeze'], { owner }) : undefined;
  const stranger = createOwnedCgroup(['pids'], { owner: deadPid() });
  const sleepers = [spawn('sleep', ['60'], { stdio: 'ignore' }), spawn('sleep', ['60'], { stdio: 'ignore' })];
  try {
    mkdirSync(join(cg.dirs[0]!, 'nested'));
    adopt(cg, [sleepers[0]!.pid!]);
    if (frozen) {
      adopt(frozen, [sleepers[1]!.pid!]);
      const dir = frozen.dirs[0]!;
      writeFileSync(frozen.version === 'v2' ? join(dir, 'cgroup.freeze') : join(dir, 'freezer.state'), frozen.version === 'v2' ? '1' : 'FROZEN');
    }
    const j = startJanitor(owner, cgroupRoots());
    await until('the janitor waits on its pipe', j.waiting);
    assert.ok(existsSync(cg.dirs[0]!), 'nothing is removed while the owner lives');
    j.child.stdin!.end();
    assert.is(await j.exited, 0, j.stderr());
    for (const d of [...cg.dirs, ...(frozen?.dirs ?? [])]) assert.not.ok(existsSync(d), `${d} removed`);
    await until('the members are dead', () => gone(sleepers[0]!.pid!) && (!frozen || gone(sleepers[1]!.pid!)));
    assert.ok(existsSync(stranger.dirs[0]!), "another owner's cgroup stays");
  } finally {
    for (const s of sleepers) s.kill('SIGKILL');
    await removeOwnedCgroup(stranger);
    await removeOwnedCgroup(cg);
    if (frozen) await removeOwnedCgroup(frozen);
  }
});

// Node closes its handles, the janitor's pipe among them, while it tears itself down: end-of-file
// reaches the janitor while nslab still runs, in the delegated leaf nslab-<pid>-0 of a systemd
// scope. A sweep then would SIGKILL nslab on its way out (seen as exit 137 in the VM test).
real('end-of-file while the owner still runs: the owner is never killed, its cgroup stays', async () => {
  const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
  const cg = createOwnedCgroup(['pids'], { owner: owner.pid! });
  try {
    adopt(cg, [owner.pid!]);
    const j = startJanitor(owner.pid!, cgroupRoots());
    await until('the janitor waits on its pipe', j.waiting);
    j.child.stdin!.end();
    assert.is(await j.exited, 1, 'the janitor gives up at its deadline, the owner still running');
    assert.not.ok(gone(owner.pid!), 'the owner was not killed');
    assert.ok(existsSync(cg.dirs[0]!), "the owner's cgroup stays while it runs");
  } finally {
    owner.kill('SIGKILL');
    await until('the owner is dead', () => gone(owner.pid!));
    await removeOwnedCgroup(cg);
  }
});

real('a cgroup that holds the janitor itself (the delegated leaf) is left for systemd: the janitor finishes its sweep', async () => {
  const owner = deadPid();
  const leaf = createOwnedCgroup(['pids'], { owner });
  const other = createOwnedCgroup(['pids'], { owner });
  try {
    const j = startJanitor(owner, cgroupRoots());
    await until('the janitor waits on its pipe', j.waiting);
    adopt(leaf, [j.child.pid!]);
    j.child.stdin!.end();
    assert.is(await j.exited, 0, `the janitor exits by itself, not by its own cgroup.kill: ${j.stderr()}`);
    assert.not.ok(existsSync(other.dirs[0]!), 'the other cgroup of the owner is removed');
  } finally {
    await removeOwnedCgroup(leaf);
    await removeOwnedCgroup(other);
  }
});

real('SIGKILL of the whole process group right after a cgroup was made: the janitor removes it', async () => {
  // A process that makes a cgroup as nslab does (createOwnedCgroup starts the janitor first),
  // moves a child of its own into it, says where it is, and waits to be killed.
  const script = `
    import { spawn } from 'node:child_process';
    import { adopt, createOwnedCgroup } from ${JSON.stringify(join(ROOT, 'src', 'sandbox', 'index.ts'))};
    const cg = createOwnedCgroup(['pids']);
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    adopt(cg, [sleeper.pid]);
    console.log(JSON.stringify({ dirs: cg.dirs, sleeper: sleeper.pid }));
    setInterval(() => {}, 1000);
  `;
  const file = join(temp, 'maker.ts');
  writeFileSync(file, script);
  const maker = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  maker.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  let made: { dirs: string[]; sleeper: number } | undefined;
  try {
    await until('the cgroup is made', () => out.includes('\n'), scaled(60_000));
    made = JSON.parse(out) as { dirs: string[]; sleeper: number };
    const janitors = spawnSync('pgrep', ['-f', `janitor --owner ${maker.pid} `], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
    assert.is(janitors.length, 1, 'one janitor for the process');
    process.kill(-maker.pid!, 'SIGKILL');
    await until('the cgroup is gone', () => made!.dirs.every((d) => !existsSync(d)));
    await until('the janitor has exited', () => gone(janitors[0]!));
    await until('the member is dead', () => gone(made!.sleeper));
  } finally {
    try {
      process.kill(-maker.pid!, 'SIGKILL');
    } catch {
      /* already dead, as it should be */
    }
    // What a failing run left: the test's own mess, not the host's to keep.
    if (made) await removeOwnedCgroup({ dirs: made.dirs });
  }
});

test.run();
