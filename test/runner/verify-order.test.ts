// verify runs experiments of several lessons at once, yet reports lessons in one fixed order
// (by id, as the JSON lists them), whichever finishes first: 01-waits cannot finish before
// 02-first has, and is still reported first.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLessons } from '../../src/lessons/loader.js';
import { Requirements } from '../../src/runner/requirements.js';
import { defaultJobs, verifyLessons, type ExperimentEvent } from '../../src/runner/verify.js';

const test = suite('verify order');
const dir = join(import.meta.dirname, '..', 'fixtures', 'lessons', 'order');
const temp = mkdtempSync(join(tmpdir(), 'nslab-order-'));
test.after(() => rmSync(temp, { recursive: true, force: true }));

test('lessons are reported in id order although a later one finished first', async () => {
  const mark = join(temp, 'mark');
  process.env.NSLAB_TEST_ORDER_MARK = mark;
  const { lessons, errors } = await loadLessons(dir);
  assert.equal(errors, []);
  const reported: string[] = [];
  const ended: string[] = [];
  const running = new Set<string>();
  let most = 0;
  const onExperiment = (e: ExperimentEvent) => {
    const key = `${e.lesson}/${e.experiment}`;
    if (e.state === 'start') running.add(key);
    else {
      running.delete(key);
      ended.push(key);
      if (key === '02-first/two') writeFileSync(mark, '');
    }
    most = Math.max(most, running.size);
  };
  const r = await verifyLessons([...lessons].reverse(), [], {
    version: '0.0.0',
    requirements: new Requirements(),
    environment: {} as never,
    concurrency: 2,
    onLesson: (l) => reported.push(l.id),
    onExperiment,
    formatError: (e) => e.message,
  });
  assert.equal(r.lessons.map((l) => [l.id, l.status]), [
    ['01-waits', 'pass'],
    ['02-first', 'pass'],
    ['03-last', 'pass'],
  ]);
  assert.ok(ended.indexOf('02-first/two') < ended.indexOf('01-waits/waits'), `finished in the order ${ended.join(', ')}`);
  assert.equal(reported, ['01-waits', '02-first', '03-last']);
  assert.is(most, 2, 'two experiments ran at once');
  assert.equal(r.lessons[1]!.experiments.map((e) => e.id), ['one', 'two'], 'experiments keep their order in a lesson');
});

test('one experiment per core by default', () => {
  assert.ok(defaultJobs() >= 1);
  assert.is(defaultJobs(), availableParallelism());
});

test.run();
