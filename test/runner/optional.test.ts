// An optional experiment that skips does not turn a lesson into a skip; one that fails still
// fails it; and the skip stays visible.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadLesson } from '../../src/lessons/loader.js';
import { Requirements } from '../../src/runner/requirements.js';
import { verifyLesson } from '../../src/runner/verify.js';
import { runOne } from '../../src/runner/experiment.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'lessons', 'optional', '01-partial');
const test = suite('optional experiments');

test('the lesson passes when only an optional experiment skipped, and says so', async () => {
  const { lesson, errors } = await loadLesson(dir);
  assert.equal(errors, []);
  const r = await verifyLesson(lesson!, new Requirements());
  assert.is(r.status, 'pass', r.reason);
  assert.match(r.reason, /somewhere \(optional\): this machine lacks the feature/);
  assert.equal(
    r.experiments.map((e) => [e.id, e.status]),
    [
      ['everywhere', 'pass'],
      ['somewhere', 'skip'],
    ],
  );
});

test('an optional experiment that runs and fails still fails', async () => {
  const { lesson } = await loadLesson(dir);
  const out = await runOne(lesson!, 1, { requirements: new Requirements(), args: { fail: true } });
  assert.is(out.status, 'fail');
  assert.is(out.checks[0]!.pass, false);
});

test.run();
