// A learner's path without a terminal: `nslab` lists, a lesson is taken with defaults, progress
// is kept and shown, hints and resets work, presenter mode runs through.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lessonsDir, nslab, tempHome } from './helpers.js';

const test = suite('lesson flow');
const home = tempHome();
const dir = lessonsDir(home, ['01-hello', '04-pivot-root', '07-fails']);
test.after(() => home.cleanup());
const run = (...args: string[]) => nslab(['--lessons', dir, ...args], { env: home.env });
const progressFile = join(home.state, 'nslab', 'progress.json');
const progress = () => JSON.parse(readFileSync(progressFile, 'utf8'));

test('without a terminal, plain `nslab` lists the lessons and how to start one', () => {
  const r = run();
  assert.is(r.code, 0);
  assert.match(r.stdout, /01-hello\s+Hello, UTS namespace\s+3 min\s+new/);
  assert.match(r.stdout, 'Start one with: nslab start 1');
  assert.not.ok(existsSync(progressFile), 'listing writes nothing');
});

test('start --yes takes a whole lesson with default answers and records it', () => {
  const r = run('start', '1', '--yes');
  assert.is(r.code, 0, r.stderr);
  const out = r.stdout;
  // In order: prose, the experiment with its commands, the question, checks, diagram, trace, the why.
  const order = ['Your own hostname', 'Experiment: A hostname of our own', 'By hand, you would type', 'After the sandbox sets its hostname', 'hostname-inside', 'uts-differs', 'Host and sandbox', 'Syscall trace', 'sethostname() changes', 'Lesson passed'];
  let at = -1;
  for (const s of order) {
    const i = out.indexOf(s, at + 1);
    assert.ok(i > at, `'${s}' should follow the previous part\n${out}`);
    at = i;
  }
  assert.match(out, /hostname-inside .*pass/);
  assert.not.match(out, /\x1b\[/, 'NO_COLOR means no escapes');
  const p = progress();
  assert.is(p.last, '01-hello');
  assert.is(p.lessons['01-hello'].status, 'passed');
  assert.ok(p.lessons['01-hello'].passedAt);
  assert.is(p.lessons['01-hello'].experiments.rename.passed, true);
  assert.equal(p.lessons['01-hello'].predictions.rename.choice, 'skipped');
  assert.is(p.lessons['01-hello'].predictions.rename.correct, null);
});

test('lessons are named by number, zero-padded number, slug or id', () => {
  for (const name of ['4', '04', 'pivot-root', '04-pivot-root']) {
    const r = run('start', name, '--yes');
    assert.is(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, 'A mount namespace of its own');
  }
});

test('list and progress show what was passed', () => {
  const l = run('list');
  assert.match(l.stdout, /01-hello .* passed/);
  const j = JSON.parse(run('list', '--json').stdout);
  const hello = j.lessons.find((x: { id: string }) => x.id === '01-hello');
  assert.is(hello.status, 'passed');
  assert.is(hello.runnable, true);
  assert.equal(hello.requires, ['userns']);
  assert.is(hello.experiments, 1, 'the fixture lesson declares one experiment');
  const p = run('progress');
  assert.is(p.code, 0);
  assert.match(p.stdout, '2 of 3 lessons passed');
  assert.match(p.stdout, progressFile);
  assert.match(p.stdout, /01-hello\s+passed\s+experiments 1\/1/);
});

test('a lesson with a failing check: hints shown, exit 1, progress in-progress, `nslab hint` repeats them', () => {
  const r = run('start', '07-fails', '--yes');
  assert.is(r.code, 1);
  assert.match(r.stdout, 'Hints');
  assert.match(r.stdout, "impossible: saw 'fails': nothing ever sets <other>");
  assert.match(r.stdout, 'Lesson not passed yet');
  const p = progress();
  assert.is(p.lessons['07-fails'].status, 'in-progress');
  assert.is(p.lessons['07-fails'].experiments.wrong.passed, false);
  const h = run('hint');
  assert.is(h.code, 0);
  assert.match(h.stdout, '07-fails');
  assert.match(h.stdout, "impossible: saw 'fails': nothing ever sets <other>");
});

test('demo runs without prompts when there is no terminal, records nothing, always shows the trace', () => {
  const before = readFileSync(progressFile, 'utf8');
  const r = run('demo', '1');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'YOUR OWN HOSTNAME');
  assert.match(r.stdout, 'Ask the room');
  assert.match(r.stdout, 'sethostname');
  assert.match(r.stdout, 'open("/proc/sys/kernel/hostname"');
  assert.is(readFileSync(progressFile, 'utf8'), before);
});

test('reset needs --yes without a terminal, then forgets one lesson or all', () => {
  const no = run('reset', '1');
  assert.is(no.code, 2);
  assert.match(no.stderr, 'add --yes to confirm');
  assert.is(progress().lessons['01-hello'].status, 'passed', 'nothing lost');
  const one = run('reset', 'hello', '--yes');
  assert.is(one.code, 0);
  assert.not.ok(progress().lessons['01-hello']);
  assert.ok(progress().lessons['04-pivot-root']);
  const both = run('reset', '1', '--all');
  assert.is(both.code, 2);
  const all = run('reset', '--all', '-y');
  assert.is(all.code, 0);
  assert.equal(progress().lessons, {});
});

test.run();
