// Every exercise of the core lessons, done in `nslab shell` by typing commands: its solution
// must pass, and each near-miss must fail exactly where it says, with a hint. Then the shell
// exits and nothing of it is left (mounts, processes).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadLessons } from '../../src/lessons/loader.js';
import { settledDiff, snapshotHost } from '../support/residue.js';
import { REAL_LESSONS, labEnv, shellCheck } from './support.js';

const CORE = ['01-chroot', '02-mount-propagation', '03-pid-1', '04-pivot-root', '05-capabilities', '06-setuid'];
const test = suite('exercise solutions and near-misses in nslab shell');
const hasCapsh = spawnSync('sh', ['-c', 'command -v capsh || test -x /usr/sbin/capsh || test -x /sbin/capsh']).status === 0;

// NSLAB_EXERCISE_LESSONS points the same self-test at an author's own lessons.
const dir = process.env.NSLAB_EXERCISE_LESSONS ?? REAL_LESSONS;
const { lessons, errors } = await loadLessons(dir);

test('the lessons with exercises load', () => {
  assert.equal(errors.filter((e) => CORE.includes(e.lessonId)), []);
  for (const id of CORE) assert.ok(lessons.find((l) => l.meta.id === id)?.module.exercises?.length, `${id} has an exercise`);
});

for (const id of CORE) {
  const lesson = lessons.find((l) => l.meta.id === id);
  for (const x of lesson?.module.exercises ?? []) {
    test(`${id}/${x.id}: the solution passes`, async () => {
      const e = await labEnv();
      const before = snapshotHost();
      const r = await shellCheck(e, dir, id, x.solution);
      assert.ok(r.report, `no report; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      const v = r.report!.exercises.find((y) => y.id === x.id)!;
      assert.ok(v.pass, `not passed: ${JSON.stringify(v.checks.filter((c) => !c.pass), null, 1)}\nstderr:\n${r.stderr}`);
      assert.is(r.code, 0, r.stderr);
      assert.equal(await settledDiff(before), []);
      // Passing was recorded.
      assert.ok(existsSync(e.home.state));
    });
    for (const miss of x.nearMisses ?? []) {
      test(`${id}/${x.id}: near-miss '${miss.what}' fails with a hint`, async () => {
        if (miss.commands.some((c) => c.startsWith('capsh')) && !hasCapsh) return console.log(`  (skipped: capsh is not installed)`);
        const e = await labEnv();
        const before = snapshotHost();
        const r = await shellCheck(e, dir, id, miss.commands);
        assert.ok(r.report, `no report; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
        const v = r.report!.exercises.find((y) => y.id === x.id)!;
        assert.not.ok(v.pass, `a near-miss passed: ${miss.what}`);
        for (const f of miss.fails) {
          const c = v.checks.find((y) => y.id === f)!;
          assert.not.ok(c.pass, `${f} should fail for '${miss.what}' (judged ${JSON.stringify(v.process)})`);
          assert.ok(c.hint && c.hint.length > 20, `${f} fails without a real hint`);
        }
        assert.equal(await settledDiff(before), []);
      });
    }
  }
}

test.run();
