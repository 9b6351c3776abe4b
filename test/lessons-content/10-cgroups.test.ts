// Lesson 10 end to end through the real engine: verify passes as root (unprivileged it skips
// with the true reason), every sabotage fails the checks it names with a hint, the v1
// interfaces work where the machine has them, and a SIGKILL of nslab mid-lesson leaves a stale
// nslab-<deadpid>-* cgroup only until cleanStaleCgroups() runs; the host is clean at the end.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLesson } from '../../src/lessons/loader.js';
import { cgroupLayout } from '../../src/proc/index.js';
import { runOne } from '../../src/runner/experiment.js';
import { Requirements } from '../../src/runner/requirements.js';
import { selftestLesson } from '../../src/runner/selftest.js';
import { verifyLesson } from '../../src/runner/verify.js';
import { ensureRootfs } from '../../src/rootfs/index.js';
import { cleanStaleCgroups, findOwnedCgroups, runExperiment } from '../../src/sandbox/index.js';
import { settledDiff, snapshotHost } from '../support/residue.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'lessons', '10-cgroups');
const test = suite('lesson 10-cgroups');
const requirements = new Requirements();
const isRoot = process.geteuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lesson() {
  const { lesson: l, errors } = await loadLesson(DIR);
  assert.equal(errors, [], 'the lesson loads');
  return l!;
}

test('verify: every check passes as root; unprivileged it skips because no cgroup may be written', async () => {
  const before = snapshotHost();
  const l = await lesson();
  const r = await verifyLesson(l, requirements);
  if (!isRoot && r.status === 'skip') {
    assert.match(r.reason, /writable|delegat/, `the skip names the missing delegation: ${r.reason}`);
  } else {
    const failing = r.checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.observed} (${c.hint})`);
    assert.is(r.status, 'pass', `${r.reason}\n${failing.join('\n')}`);
    assert.is(r.checks.length, 10);
    for (const c of r.checks) assert.ok(c.evidence.trim().length > 0, `${c.id} shows evidence`);
  }
  assert.equal(await settledDiff(before), [], 'no cgroup, mount or process left');
});

test('selftest: each sabotage fails exactly what it names, with a hint; no check is unfailable', async () => {
  const before = snapshotHost();
  const l = await lesson();
  const r = await selftestLesson(l, requirements);
  const bad = r.cases.filter((c) => c.status === 'fail').map((c) => `${c.experiment} / ${c.what}: ${c.problems.join('; ')}`);
  assert.equal(bad, [], bad.join('\n'));
  if (r.cases.every((c) => c.status === 'skip')) return;
  assert.equal(r.neverFailed, []);
  assert.ok(r.cases.filter((c) => c.sabotage && c.status === 'pass').length >= 8, 'all eight sabotages ran');
  assert.equal(await settledDiff(before), []);
});

test('where v1 hierarchies exist, the freezer.state and v1 namespace paths work as well', async () => {
  const layout = cgroupLayout();
  if (!isRoot || !layout.v1.freezer || !layout.v1.pids) return;
  const l = await lesson();
  for (const id of ['freeze', 'cgroup-namespace']) {
    const i = l.module.experiments.findIndex((e) => e.id === id);
    const o = await runOne(l, i, { requirements, args: { preferV1: true } });
    const failing = o.checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.observed} (${c.hint})`);
    assert.is(o.status, 'pass', `${id} on v1: ${o.reason}\n${failing.join('\n')}`);
    assert.ok(o.checks.some((c) => /freezer\.state|:pids:/.test(c.evidence.join('\n'))), `${id} used the v1 files`);
  }
});

test('unprivileged, past the doctor, the experiment itself skips with the true reason', async () => {
  if (isRoot) return;
  const l = await lesson();
  let rootfs: string;
  try {
    rootfs = await ensureRootfs();
  } catch {
    return;
  }
  const spec = l.module.experiments[0]!;
  const r = await runExperiment(
    { module: l.modulePath, path: ['default', 'experiments', 0, 'run'] },
    { namespaces: spec.sandbox.namespaces, rootfs, pivot: false, outside: spec.outside },
  );
  if (r.status === 'ok') return; // this machine delegates a cgroup to us: nothing to skip
  assert.is(r.status, 'skip', `${r.reason}\n${r.stderr}`);
  assert.match(r.reason!, /delegation is missing|not writable|no .* cgroup .* writable/);
});

test('SIGKILL of nslab mid-lesson: a stale nslab-<deadpid>-* cgroup stays only until cleanStaleCgroups()', async () => {
  if (!isRoot) return; // unprivileged, no cgroup is ever made here
  const before = snapshotHost();
  const cli = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'verify', '10'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1' },
  });
  let mine: string[] = [];
  for (let i = 0; i < 1000 && !mine.length; i++) {
    await sleep(10);
    mine = findOwnedCgroups()
      .filter((c) => c.owner === cli.pid)
      .map((c) => c.dir);
  }
  assert.ok(mine.length, 'the lesson made a cgroup owned by the nslab process');
  cli.kill('SIGKILL');
  await new Promise((r) => cli.on('close', r));
  await sleep(200);
  const stale = findOwnedCgroups().filter((c) => c.owner === cli.pid);
  assert.ok(stale.length, 'its cgroup outlived the SIGKILL (nobody was left to remove it)');
  const sweep = await cleanStaleCgroups();
  for (const s of stale) {
    assert.ok(sweep.removed.includes(s.dir), `${s.dir} swept: ${JSON.stringify(sweep)}`);
    assert.not.ok(existsSync(s.dir));
  }
  assert.equal(await settledDiff(before, 5000), []);
});

test.run();
