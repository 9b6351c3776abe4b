// Cgroups nslab owns: where one may go (v2 vs v1, delegation, subtree_control) decided over
// fake cgroup trees; creating, filling and removing one on the real kernel (root only); and
// the stale sweep removing exactly the cgroups of dead owners.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  adopt,
  cleanStaleCgroups,
  createOwnedCgroup,
  findOwnedCgroups,
  members,
  parseOwnedName,
  planCgroup,
  removeOwnedCgroup,
  type OwnedCgroup,
} from '../../src/sandbox/index.js';
import { cgroupLayout, type CgroupLayout } from '../../src/proc/index.js';
import { scaled } from '../../src/sandbox/time.js';

const isRoot = process.geteuid?.() === 0;
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A directory tree shaped like cgroupfs: each cgroup has cgroup.procs and subtree_control. */
function fakeTree(cgroups: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'nslab-cgfake-'));
  for (const [path, subtree] of Object.entries(cgroups)) {
    const dir = join(root, path);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.procs'), '');
    writeFileSync(join(dir, 'cgroup.subtree_control'), subtree);
  }
  return root;
}
const v2Layout = (mount: string, controllers: string[]): CgroupLayout => ({ kind: 'v2', v2Mount: mount, v1: {}, v2Controllers: controllers });

const plan = suite('planCgroup');

plan('pure v2: the deepest cgroup we may write whose subtree_control offers the controller', () => {
  const root = fakeTree({ '': 'memory pids', 'user.slice': 'memory pids', 'user.slice/user-0.slice': 'pids', 'user.slice/user-0.slice/session-3.scope': '' });
  try {
    const self = '0::/user.slice/user-0.slice/session-3.scope\n';
    const r = planCgroup(['pids'], { layout: v2Layout(root, ['memory', 'pids']), self, writable: () => true });
    assert.ok(r.ok);
    if (r.ok) assert.equal(r.parents, [join(root, 'user.slice/user-0.slice')]);
    const m = planCgroup(['memory'], { layout: v2Layout(root, ['memory', 'pids']), self, writable: () => true });
    assert.ok(m.ok && m.parents[0] === join(root, 'user.slice'), JSON.stringify(m));
    // freeze needs no controller: our own cgroup will do.
    const f = planCgroup(['freeze'], { layout: v2Layout(root, []), self, writable: () => true });
    assert.ok(f.ok && f.parents[0] === join(root, 'user.slice/user-0.slice/session-3.scope'), JSON.stringify(f));
  } finally {
    rmSync(root, { recursive: true });
  }
});

plan('unprivileged without delegation: skipped with that reason, never above the mount', () => {
  const root = fakeTree({ '': 'memory pids', 'user.slice': 'memory pids' });
  try {
    const seen: string[] = [];
    const r = planCgroup(['pids'], {
      layout: v2Layout(root, ['memory', 'pids']),
      self: '0::/user.slice\n',
      uid: 1001,
      writable: (p) => (seen.push(p), false),
    });
    assert.not.ok(r.ok);
    if (!r.ok) assert.match(r.reason, /cgroup delegation is missing.*uid 1001.*Delegate=yes/);
    assert.ok(seen.every((p) => p.startsWith(root)), `only paths inside the mount were considered: ${seen.join(' ')}`);
  } finally {
    rmSync(root, { recursive: true });
  }
});

plan('delegated but the controller is not enabled: says so instead of writing subtree_control', () => {
  const root = fakeTree({ '': 'memory pids', 'app.slice': '', 'app.slice/me.scope': '' });
  try {
    const mine = join(root, 'app.slice');
    const r = planCgroup(['memory'], {
      layout: v2Layout(root, ['memory', 'pids']),
      self: '0::/app.slice/me.scope\n',
      uid: 1001,
      writable: (p) => p.startsWith(mine),
    });
    assert.not.ok(r.ok);
    if (!r.ok) assert.match(r.reason, /none enables memory in cgroup\.subtree_control/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

plan('hybrid: pids and memory go to v1, freeze and kill to the unified v2 tree; kill never to v1', () => {
  const v2 = fakeTree({ '': '' });
  const pids = fakeTree({ '': '' });
  try {
    const layout: CgroupLayout = { kind: 'hybrid', v2Mount: v2, v1: { pids }, v2Controllers: ['hugetlb'] };
    const self = '8:pids:/\n0::/\n';
    const p = planCgroup(['pids'], { layout, self, writable: () => true });
    assert.ok(p.ok && p.version === 'v1' && p.parents[0] === pids, JSON.stringify(p));
    if (p.ok) assert.match(p.why, /not v2: .*offers hugetlb, not pids/);
    const k = planCgroup(['kill'], { layout, self, writable: () => true, prefer: 'v1' });
    assert.ok(k.ok && k.version === 'v2', JSON.stringify(k));
    const v1only: CgroupLayout = { kind: 'v1', v2Mount: null, v1: { pids }, v2Controllers: [] };
    const none = planCgroup(['kill'], { layout: v1only, self, writable: () => true });
    assert.not.ok(none.ok);
    if (!none.ok) assert.match(none.reason, /cgroup\.kill exists only in cgroup v2/);
  } finally {
    rmSync(v2, { recursive: true });
    rmSync(pids, { recursive: true });
  }
});

plan('names carry the owner', () => {
  assert.equal(parseOwnedName('nslab-123-4'), { owner: 123, n: 4 });
  assert.is(parseOwnedName('nslab-abc-1'), null);
  assert.is(parseOwnedName('user.slice'), null);
});

plan.run();

const real = suite('owned cgroups on this kernel');

real('create, move a process we started, remove: the member is killed and the directory is gone', async () => {
  const r = planCgroup(['pids']);
  if (!r.ok) {
    assert.not.ok(isRoot && cgroupLayout().kind !== 'none', `root should be able to make one: ${r.reason}`);
    return;
  }
  const cg = createOwnedCgroup(['pids']);
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    assert.match(cg.name, new RegExp(`^nslab-${process.pid}-\\d+$`));
    adopt(cg, [child.pid!]);
    assert.equal(members(cg), [child.pid!]);
    assert.ok(findOwnedCgroups().some((f) => f.dir === cg.dirs[0]));
    const out = await removeOwnedCgroup(cg);
    assert.equal(out.failed, []);
    assert.equal(out.removed, cg.dirs);
    for (const d of cg.dirs) assert.not.ok(existsSync(d), `${d} removed`);
    // Killed by the removal; dead (or a zombie) at once or within a deadline, not after a delay.
    for (const until = Date.now() + scaled(5000); alive(child.pid!) && Date.now() < until; ) await sleep(10);
    assert.not.ok(alive(child.pid!), 'the member was killed');
  } finally {
    child.kill('SIGKILL');
    await removeOwnedCgroup(cg);
  }
});

real('a frozen cgroup is thawed before its members are killed, so removal still works', async () => {
  const r = planCgroup(['freeze']);
  if (!r.ok) return;
  const cg = createOwnedCgroup(['freeze']);
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    adopt(cg, [child.pid!]);
    const dir = cg.dirs[0]!;
    writeFileSync(cg.version === 'v2' ? join(dir, 'cgroup.freeze') : join(dir, 'freezer.state'), cg.version === 'v2' ? '1' : 'FROZEN');
    const out = await removeOwnedCgroup(cg);
    assert.equal(out.failed, [], JSON.stringify(out));
    assert.not.ok(existsSync(dir));
  } finally {
    child.kill('SIGKILL');
  }
});

real('only nslab-<pid>-<n> directories are ever written or removed', async () => {
  const fake: OwnedCgroup = { name: 'x', owner: 1, version: 'v1', dirs: ['/sys/fs/cgroup/pids'], why: '' };
  assert.throws(() => adopt(fake, [process.pid]), /refusing to touch/);
  await removeOwnedCgroup(fake).then(
    () => assert.unreachable('removal of a foreign cgroup must throw'),
    (e: Error) => assert.match(e.message, /refusing to touch/),
  );
});

real('cleanStaleCgroups removes cgroups of dead owners (and kills what is inside), keeps live ones', async () => {
  if (!planCgroup(['pids']).ok) return;
  // A PID that certainly is dead: a process we started and reaped.
  const dead = spawnSync('true').pid!;
  assert.not.ok(alive(dead));
  const stale = createOwnedCgroup(['pids'], { owner: dead });
  const live = createOwnedCgroup(['pids'], { owner: process.ppid });
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    adopt(stale, [child.pid!]);
    const sweep = await cleanStaleCgroups();
    assert.ok(sweep.removed.includes(stale.dirs[0]!), JSON.stringify(sweep));
    assert.ok(sweep.killed.includes(child.pid!));
    assert.not.ok(existsSync(stale.dirs[0]!));
    assert.ok(existsSync(live.dirs[0]!), "a live owner's cgroup is left alone");
  } finally {
    child.kill('SIGKILL');
    await removeOwnedCgroup(stale);
    await removeOwnedCgroup(live);
  }
});

real.run();
