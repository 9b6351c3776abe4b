// Lesson 13 end to end (test/support/lesson-suite.ts), and its exercise done in `nslab shell 13`
// by typing the lines: the solution passes every point of the profile, and each near-miss fails
// on exactly the point it leaves out, with a hint; nothing of the shell is left afterwards.
import * as assert from 'uvu/assert';
import { loadLesson } from '../../src/lessons/loader.js';
import { lessonSuite } from '../support/lesson-suite.js';
import { settledDiff, snapshotHost } from '../support/residue.js';
import { REAL_LESSONS, labEnv, shellCheck } from '../exercise/support.js';
import { join } from 'node:path';

const ID = '13-build-a-container';
const test = lessonSuite({ id: ID });
const { lesson } = await loadLesson(join(REAL_LESSONS, ID));
const exercise = lesson!.module.exercises![0]!;

test(`${ID}: the exercise's solution, typed into nslab shell, passes every point`, async () => {
  const e = await labEnv();
  const before = snapshotHost();
  const r = await shellCheck(e, REAL_LESSONS, ID, exercise.solution);
  assert.ok(r.report, `no report; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const v = r.report!.exercises[0]!;
  assert.ok(v.pass, `not passed: ${JSON.stringify(v.checks.filter((c) => !c.pass), null, 1)}`);
  assert.equal(v.checks.map((c) => c.id), ['namespaces', 'user', 'root', 'masked-paths', 'readonly-paths', 'capabilities', 'no-new-privs']);
  // Judged on the container's sleep, with the shell as the reference.
  assert.equal(v.process?.cmdline, ['sleep', '1000']);
  assert.match(v.checks[0]!.evidence.join('\n'), /ns\/user -> user:\[\d+\]  \(same as the reference\)/);
  assert.equal(await settledDiff(before), []);
});

for (const miss of exercise.nearMisses ?? [])
  test(`${ID}: near-miss '${miss.what}' fails on ${miss.fails.join(', ')} only, with a hint`, async () => {
    const e = await labEnv();
    const before = snapshotHost();
    const r = await shellCheck(e, REAL_LESSONS, ID, miss.commands);
    assert.ok(r.report, `no report; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const v = r.report!.exercises[0]!;
    assert.not.ok(v.pass, `a near-miss passed: ${miss.what}`);
    assert.equal(v.checks.filter((c) => !c.pass).map((c) => c.id), miss.fails, `judged ${JSON.stringify(v.process)}`);
    for (const f of miss.fails) assert.ok((v.checks.find((c) => c.id === f)!.hint ?? '').length > 20, `${f} fails without a real hint`);
    assert.equal(await settledDiff(before), []);
  });

test.run();
