// An experiment's words (prediction, commands) may live in lesson.md's ```experiment block:
// merged into the experiment, never rendered as prose, and never given twice.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadLesson } from '../../src/lessons/loader.js';
import { splitPages } from '../../src/lessons/pages.js';
import { ROOT } from '../cli/helpers.js';

const test = suite('experiment blocks');
const dir = join(ROOT, 'test', 'fixtures', 'lessons', 'blocks');

test('the block is attached to the marker before it and left out of the page', () => {
  const body = 'Text.\n\n<!-- experiment: a -->\n\n```experiment\npredict: {}\n```\n\nAfter.\n\n```experiment\nnot: attached\n```\n';
  const { pages, markers, errors } = splitPages(body, 10);
  assert.equal(errors, []);
  assert.equal(markers[0]!.block, { text: 'predict: {}', line: 15 });
  const text = pages[0]!.blocks.filter((b) => b.kind === 'markdown').map((b) => (b as { text: string }).text).join('\n');
  assert.not.match(text, 'predict: {}');
  assert.match(text, 'not: attached', 'a block after prose is an ordinary code block');
});

test('an unclosed block is an error on its line', () => {
  const { errors } = splitPages('<!-- experiment: a -->\n```experiment\npredict: {}\n', 1);
  assert.match(errors[0]!.message, 'never closed');
  assert.is(errors[0]!.line, 2);
});

test('a lesson whose prediction and commands are in lesson.md loads with them', async () => {
  const { lesson, errors } = await loadLesson(join(dir, '01-md-words'));
  assert.equal(errors, []);
  const e = lesson!.module.experiments[0]!;
  assert.is(e.predict!.answer, 1);
  assert.is(e.predict!.choices[0], 'nslab-hello');
  assert.match(e.commands![0]!, 'unshare --user');
  assert.ok(typeof e.run === 'function', 'the module keeps what runs');
});

test('given twice, or with an unknown key: one message each, pointing at lesson.md', async () => {
  const { lesson, errors } = await loadLesson(join(dir, '02-both'));
  assert.is(lesson, undefined);
  const text = errors.map((e) => `${e.file.endsWith('lesson.md') ? 'md' : 'ts'}:${e.line} ${e.message}`);
  assert.ok(text.some((t) => /^md:\d+ .*'predict' is given both here and in the lesson module/.test(t)), text.join('\n'));
  assert.ok(text.some((t) => /^md:\d+ .*'commands' is given both/.test(t)), text.join('\n'));
  assert.ok(text.some((t) => /^md:\d+ .*unknown key 'colour'/.test(t)), text.join('\n'));
});

test.run();
