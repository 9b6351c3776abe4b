// The interactive path in a real pseudo-terminal: the menu, a prediction chosen with the
// arrow keys, the trace behind 't', 'continue where you left off', and Ctrl-C leaving the
// cursor visible and the progress saved.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lessonsDir, pty, tempHome } from './helpers.js';

const test = suite('menu in a terminal');
const home = tempHome();
const dir = lessonsDir(home, ['01-hello', '04-pivot-root', '05-future']);
test.after(() => home.cleanup());
const progress = () => JSON.parse(readFileSync(join(home.state, 'nslab', 'progress.json'), 'utf8'));
const DOWN = '\x1b[B';

test('pick a lesson from the menu, predict, see the trace, come back, quit with Ctrl-C', async () => {
  const r = await pty(
    ['--lessons', dir],
    [
      { when: /Pick one[\s\S]*Quit/, send: '\r' }, // 01-hello is first
      { when: /Enter: page 2 of 2/, send: '\r' },
      { when: /Predict: After the sandbox sets its hostname[\s\S]*unchanged/, send: `${DOWN}\r` }, // the right answer
      { when: /Press t to see the syscall trace/, send: 't' },
      { when: /Enter: back to the menu/, send: '\r' },
      { when: /1 of 3 lessons passed[\s\S]*Quit/, send: '\x03' },
    ],
    { env: home.env },
  );
  assert.is(r.stepsDone, 6, r.screen);
  assert.is(r.code, 130);
  assert.match(r.screen, /05-future.*can't run here: needs Linux 99\.0/);
  assert.match(r.screen, 'Syscall trace');
  assert.match(r.screen, 'open("/proc/sys/kernel/hostname"');
  assert.match(r.screen, 'Your prediction was right');
  assert.ok(r.raw.lastIndexOf('\x1b[?25h') > r.raw.lastIndexOf('\x1b[?25l'), 'cursor shown again at the end');
  const p = progress();
  assert.is(p.lessons['01-hello'].status, 'passed');
  assert.equal(p.lessons['01-hello'].predictions.rename.choice, 1);
  assert.is(p.lessons['01-hello'].predictions.rename.correct, true);
});

test('a lesson left half-way is offered first, and continues at its page', async () => {
  const fresh = tempHome();
  const env = fresh.env;
  const first = await pty(['--lessons', dir, 'start', '1'], [{ when: /Enter: page 2 of 2/, send: '\x03' }], { env });
  assert.is(first.code, 130, first.screen);
  assert.match(first.screen, 'Stopped');
  const r = await pty(
    ['--lessons', dir],
    [
      { when: /Continue where you left off: 01-hello[\s\S]*Quit/, send: '\r' },
      { when: /Continuing at page 2 of 2[\s\S]*Predict:/, send: '\x03' },
    ],
    { env },
  );
  fresh.cleanup();
  assert.is(r.stepsDone, 2, r.screen);
  assert.is(r.code, 130);
  assert.not.match(r.screen.slice(r.screen.indexOf('Continuing')), 'Your own hostname', 'page 1 is not shown again');
});

test('a wrong prediction is explained, not punished', async () => {
  const r = await pty(
    ['--lessons', dir, 'start', 'hello', '--from-start'],
    [
      { when: /Enter: page 2 of 2/, send: '\r' },
      { when: /Predict:[\s\S]*unchanged/, send: '\r' }, // first choice: wrong
      { when: /Press t/, send: '\r' },
    ],
    { env: home.env },
  );
  assert.is(r.code, 0, r.screen);
  assert.match(r.screen, 'What happened instead');
  assert.match(r.screen, 'You expected "nslab-hello"; the kernel did this: its own hostname, unchanged.');
  assert.not.match(r.screen, 'Syscall trace', 'the trace stays behind its key');
  const p = progress();
  assert.is(p.lessons['01-hello'].status, 'passed', 'a wrong guess does not take a pass away');
  assert.is(p.lessons['01-hello'].predictions.rename.correct, false);
});

test.run();
