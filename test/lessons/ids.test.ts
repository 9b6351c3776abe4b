import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveLesson, suggestLesson, parseLessonFolder, distance } from '../../src/lessons/ids.js';

const lessons = ['01-namespaces', '02-user-ns', '04-pivot-root', '05-pid-namespace', '12-seccomp'].map((id) => {
  const { number, slug } = parseLessonFolder(id)!;
  return { meta: { id, number, slug } };
});

const Ids = suite('lesson ids');

Ids('all four forms resolve', () => {
  for (const input of ['4', '04', 'pivot-root', '04-pivot-root', ' 04-Pivot-Root ', '004']) {
    assert.is(resolveLesson(lessons, input)?.meta.id, '04-pivot-root', input);
  }
  assert.is(resolveLesson(lessons, '12')?.meta.id, '12-seccomp');
});

Ids('unknown ids resolve to nothing', () => {
  for (const input of ['3', 'pivot', '', '04-pivot', 'nope']) assert.is(resolveLesson(lessons, input), undefined, input);
});

Ids('suggestions for near misses', () => {
  assert.is(suggestLesson(lessons, 'pivotroot'), '04-pivot-root');
  assert.is(suggestLesson(lessons, 'pivot'), '04-pivot-root');
  assert.is(suggestLesson(lessons, 'seccmop'), '12-seccomp');
  assert.is(suggestLesson(lessons, 'pid-namespaces'), '05-pid-namespace');
  assert.is(suggestLesson(lessons, 'userns'), '02-user-ns');
  assert.is(suggestLesson(lessons, 'kubernetes'), undefined);
});

Ids('folder names', () => {
  assert.equal(parseLessonFolder('04-pivot-root'), { number: 4, slug: 'pivot-root' });
  assert.is(parseLessonFolder('pivot-root'), undefined);
  assert.is(parseLessonFolder('04-Pivot'), undefined);
  assert.is(distance('kitten', 'sitting'), 3);
});

Ids.run();
