// Lesson 01 end to end through the real engine: it loads, `verify` passes (as root and
// unprivileged), every sabotage makes the checks it names fail with a hint, the lesson can be
// taken start to finish with default answers, and nothing is left on the host.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadLesson } from '../../src/lessons/loader.js';
import { Requirements } from '../../src/runner/requirements.js';
import { verifyLesson } from '../../src/runner/verify.js';
import { selftestLesson } from '../../src/runner/selftest.js';
import { settledDiff, snapshotHost } from '../support/residue.js';

const ID = '01-chroot';
/** What an unprivileged run can do here: everything (null) or skip with this reason. */
const UNPRIVILEGED_SKIP: RegExp | null = null;

const root = resolve(import.meta.dirname, '..', '..');
const isRoot = process.geteuid?.() === 0;
const expectSkip = !isRoot && UNPRIVILEGED_SKIP !== null;
const test = suite(`lesson ${ID}`);
const before = snapshotHost();

async function lesson() {
  const { lesson: l, errors } = await loadLesson(join(root, 'lessons', ID));
  assert.equal(errors, [], errors.map((e) => e.message).join('\n'));
  return l!;
}

test('loads: every experiment has a prediction, commands, and each check can be sabotaged', async () => {
  const l = await lesson();
  assert.is(l.meta.id, ID);
  const checks = l.module.experiments.flatMap((e) => e.checks);
  assert.ok(checks.length >= 3, `${checks.length} checks`);
  assert.ok(l.module.experiments.some((e) => e.predict), 'at least one prediction');
  for (const e of l.module.experiments) {
    assert.ok(e.commands?.length, `${e.id}: commands a learner would type`);
    const sabotaged = new Set((e.sabotage ?? []).flatMap((s) => s.fails));
    for (const c of e.checks) assert.ok(sabotaged.has(c.id), `${e.id}/${c.id} is in no sabotage's fails`);
  }
});

test(isRoot ? 'verify passes as root, each check with evidence' : 'verify as an unprivileged user', async () => {
  const r = await verifyLesson(await lesson(), new Requirements());
  if (expectSkip) {
    assert.is(r.status, 'skip', r.reason);
    assert.match(r.reason, UNPRIVILEGED_SKIP!);
    return;
  }
  assert.is(r.status, 'pass', `${r.reason}\n${r.checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.observed} (${c.hint})`).join('\n')}`);
  for (const c of r.checks) assert.ok(c.evidence.trim().length > 0, `${c.id} shows evidence`);
});

test('selftest: as written passes; every sabotage fails the checks it names, with a hint', async () => {
  const r = await selftestLesson(await lesson(), new Requirements());
  const bad = r.cases.filter((c) => c.status === 'fail');
  assert.equal(bad.map((c) => `${c.experiment} [${c.what}]: ${c.problems.join('; ')}`), []);
  if (expectSkip) {
    assert.ok(r.cases.every((c) => c.status === 'skip'));
    return;
  }
  assert.ok(r.cases.every((c) => c.status === 'pass'), r.cases.map((c) => `${c.what}: ${c.status}`).join('\n'));
  assert.equal(r.neverFailed, []);
});

test('taken start to finish in the terminal with default answers', () => {
  const state = mkdtempSync(join(tmpdir(), 'nslab-lesson-test-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', ID, '--yes'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, XDG_STATE_HOME: state, NO_COLOR: '1' },
    });
    if (expectSkip) {
      assert.match(r.stdout, /cannot run here/);
      assert.match(r.stdout, UNPRIVILEGED_SKIP!);
    } else {
      assert.is(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr}`);
      assert.match(r.stdout, /Lesson passed/);
    }
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});

test('nothing is left on the host', async () => {
  const diff = await settledDiff(before);
  assert.equal(diff, []);
});

test.run();
