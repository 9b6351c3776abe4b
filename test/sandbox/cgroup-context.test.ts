// ctx.cgroup through the real engine: the host makes a cgroup of the run's own, moves in only
// the sandbox's processes, and removes it however the sandbox ends (return, throw, timeout),
// and when nslab itself exits. Unprivileged without delegation, the grant is the reason.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { findOwnedCgroups, planCgroup, runExperiment, type CgroupGrant, type CgroupRemoval, type SandboxCgroup } from '../../src/sandbox/index.js';
import { settledDiff, snapshotHost } from '../support/residue.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'cgroup-experiments.ts');
const ref = (name: string, args?: unknown) => ({ module: fixtures, path: [name], args });
const isRoot = process.geteuid?.() === 0;
/** Whether this machine lets us make one at all; the positive cases need it. */
const possible = planCgroup([]).ok;
const procs = (dir: string) => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split(/\s+/).filter(Boolean).map(Number);

const cg = suite('ctx.cgroup');

/** Runs holdCgroup; the hook records what the host saw at 'held'. */
async function hold(then: 'return' | 'throw' | 'hang', opts: { namespaces?: ('pid' | 'uts' | 'mnt')[]; timeoutMs?: number } = {}) {
  let seen: { dirs: string[]; exists: boolean[]; members: number[][]; sandboxPid: number } | undefined;
  const r = await runExperiment<{ grant: CgroupGrant; procsInside?: string[]; pid?: number }>(ref('holdCgroup', { then, features: ['freeze'] }), {
    namespaces: opts.namespaces ?? ['pid'],
    timeoutMs: opts.timeoutMs,
    outside: (_label, _views, sandboxPid, data) => {
      const g = data as SandboxCgroup;
      seen = { dirs: g.dirs, exists: g.dirs.map((d) => existsSync(d)), members: g.dirs.map(procs), sandboxPid };
    },
  });
  return { r, seen };
}

cg('while the sandbox runs its process is in the cgroup; after a normal end the cgroup is gone', async () => {
  if (!possible) return;
  const before = snapshotHost();
  const { r, seen } = await hold('return');
  assert.is(r.status, 'ok', `${r.reason}\n${r.stderr}`);
  const g = r.observations!.grant;
  assert.ok(g.ok, JSON.stringify(g));
  if (!g.ok || !seen) return;
  assert.match(g.name, new RegExp(`^nslab-${process.pid}-\\d+$`), 'owned by this (the host) process');
  assert.equal(seen.exists, g.dirs.map(() => true));
  for (const m of seen.members) assert.equal(m, [seen.sandboxPid], 'exactly the sandbox process, by its host PID');
  assert.equal(g.moved, [seen.sandboxPid]);
  assert.is(r.observations!.pid, 1, 'asked for by its PID inside the PID namespace');
  assert.ok(g.paths.freeze && g.dirs.includes(g.paths.freeze), JSON.stringify(g.paths));
  assert.ok(g.why.length > 0);
  for (const d of g.dirs) assert.not.ok(existsSync(d), `${d} removed`);
  assert.match(r.trace.join('\n'), /# mkdir .*nslab-.*\n# echo \d+ > .*cgroup\.procs {3}# PID 1 in the sandbox/);
  assert.ok(r.trace.some((l) => l.startsWith('# the host removed ')), r.trace.join('\n'));
  assert.equal(await settledDiff(before), []);
});

cg('an experiment that throws: its cgroup is removed all the same', async () => {
  if (!possible) return;
  const before = snapshotHost();
  const { r, seen } = await hold('throw', { namespaces: ['uts'] });
  assert.is(r.status, 'error');
  assert.is(r.reason, 'deliberate failure while holding a cgroup');
  assert.ok(seen && seen.exists.every(Boolean), 'the cgroup existed while it ran');
  for (const d of seen!.dirs) assert.not.ok(existsSync(d), `${d} removed`);
  assert.equal(await settledDiff(before), []);
});

cg('a hung experiment killed at its timeout: its cgroup is removed when runExperiment returns', async () => {
  if (!possible) return;
  const before = snapshotHost();
  let { r, seen } = await hold('hang', { timeoutMs: 2500 });
  // The timeout must come after the experiment holds its cgroup: where the sandbox took longer
  // than that to get there (a loaded machine), or the timeout's removal raced the host's look at
  // 'held', the same again with a longer one.
  const held = () => !!seen && seen.exists.every(Boolean);
  for (let ms = 10_000; !held() && r.status === 'timeout' && ms <= 40_000; ms *= 2) ({ r, seen } = await hold('hang', { timeoutMs: ms }));
  assert.is(r.status, 'timeout');
  assert.ok(seen && seen.exists.every(Boolean), 'the cgroup existed while it ran');
  for (const d of seen!.dirs) assert.not.ok(existsSync(d), `${d} removed`);
  assert.equal(await settledDiff(before), []);
});

cg('a PID that is not the sandbox’s own is refused, and nothing is made', async () => {
  let mine: string[] = ['not looked at'];
  // This test process is visible inside (no PID namespace) but is no descendant of the sandbox.
  const r = await runExperiment<{ error: string; grant: unknown }>(ref('foreignPid', { pids: [process.pid] }), {
    namespaces: ['uts'],
    outside: () => {
      mine = findOwnedCgroups()
        .filter((c) => c.owner === process.pid)
        .map((c) => c.dir);
    },
  });
  assert.is(r.status, 'ok', `${r.reason}\n${r.stderr}`);
  assert.match(r.observations!.error, new RegExp(`no process with PID ${process.pid} inside the sandbox`));
  assert.is(r.observations!.grant, undefined);
  assert.equal(mine, []);
});

cg('cgroupAdopt moves a later process in; cgroupRemove kills it and removes the cgroup mid-run', async () => {
  if (!possible) return;
  const before = snapshotHost();
  const r = await runExperiment<{
    grant: CgroupGrant;
    bgPid: number;
    moved: number[];
    procs: string;
    removal: CgroupRemoval;
    exit: unknown;
    existsAfter: boolean[];
  }>(ref('adoptThenRemove'), { namespaces: ['pid'] });
  assert.is(r.status, 'ok', `${r.reason}\n${r.stderr}`);
  const o = r.observations!;
  assert.ok(o.grant.ok);
  if (!o.grant.ok) return;
  assert.is(o.procs, String(o.bgPid), 'cgroup.procs read inside shows the PID as the sandbox numbers it');
  assert.is.not(o.moved[0], o.bgPid, 'the host wrote its own number for it');
  assert.equal(o.removal.removed, o.grant.dirs);
  assert.equal(o.removal.killed, o.moved);
  assert.equal(o.exit, { code: null, signal: 'SIGKILL' });
  assert.equal(o.existsAfter, o.grant.dirs.map(() => false));
  assert.not.ok(r.trace.some((l) => l.startsWith('# the host removed ')), 'nothing left for the end');
  assert.equal(await settledDiff(before), []);
});

cg('nslab exiting mid-experiment removes the cgroups it made (the exit handler)', async () => {
  if (!possible) return;
  const before = snapshotHost();
  const script = `
    import { runExperiment } from ${JSON.stringify(join(import.meta.dirname, '../../src/sandbox/index.ts'))};
    runExperiment({ module: ${JSON.stringify(fixtures)}, path: ['holdCgroup'], args: { then: 'hang' } },
      { namespaces: ['pid'], timeoutMs: 60000, outside: (_l, _v, _p, g) => { console.log(JSON.stringify(g.dirs)); process.exit(0); } });
  `;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise((r) => parent.on('close', r));
  assert.is(code, 0);
  const dirs = JSON.parse(out) as string[];
  assert.ok(dirs.length > 0);
  for (const d of dirs) assert.not.ok(existsSync(d), `${d} removed by the exit handler`);
  assert.equal(await settledDiff(before, 5000), []);
});

cg('unprivileged without delegation, the grant is the reason, not an error', async () => {
  if (isRoot || possible) return;
  const r = await runExperiment<{ grant: CgroupGrant }>(ref('holdCgroup', { features: ['pids'] }), { namespaces: ['pid'] });
  assert.is(r.status, 'ok', `${r.reason}\n${r.stderr}`);
  const g = r.observations!.grant;
  assert.not.ok(g.ok);
  if (!g.ok) assert.match(g.reason, /delegation is missing|writable by uid/);
  assert.match(r.trace.join('\n'), /# no cgroup with pids: /);
});

cg.run();
