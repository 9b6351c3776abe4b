// The interactive path in a real pseudo-terminal: the menu, a prediction chosen with the
// arrow keys, the trace behind 't', 'continue where you left off', and Ctrl-C leaving the
// cursor visible and the progress saved.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lessonsDir, pty, tempHome } from './helpers.js';
import { scaled } from '../../src/sandbox/time.js';

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

test('demo in a terminal pauses before each step and syscall batch, and records nothing', async () => {
  const fresh = tempHome();
  const anyPause = { when: /Enter: [^\n]*/, send: '\r' };
  const r = await pty(['--lessons', dir, 'demo', '1'], Array.from({ length: 12 }, () => anyPause), { env: fresh.env });
  assert.is(r.code, 0, r.screen);
  assert.match(r.screen, 'YOUR OWN HOSTNAME');
  assert.match(r.screen, 'Enter: run the experiment');
  assert.match(r.screen, 'Ask the room');
  assert.match(r.screen, 'Enter: next syscalls');
  assert.match(r.screen, 'open("/proc/sys/kernel/hostname"');
  assert.match(r.screen, 'End of the demo');
  assert.not.match(r.screen, 'Press t', 'the trace is always shown in a demo');
  assert.not.ok(existsSync(join(fresh.state, 'nslab', 'progress.json')));
  fresh.cleanup();
});

/** PIDs of live processes started with this XDG_STATE_HOME (ours, so readable). */
function processesOf(state: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`XDG_STATE_HOME=${state}`)) out.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

test('Ctrl-C while a sandbox runs: exit 130, cursor shown, no process left behind', async () => {
  const fresh = tempHome();
  // An experiment that never ends by itself: a fast one could be over before the Ctrl-C lands
  // (it was, now and then, with the compiled CLI), and then nothing is interrupted.
  const holds = lessonsDir(fresh, ['08-holds']);
  const r = await pty(['--lessons', holds, 'start', '8', '--yes'], [{ when: /Running "/, send: '\x03' }], { env: fresh.env });
  assert.is(r.code, 130, r.screen);
  assert.match(r.screen, 'stopped');
  assert.not.match(r.screen, /Lesson passed|checks passed/, 'the Ctrl-C interrupted the experiment');
  assert.ok(r.raw.includes('\x1b[?25h'));
  // The sandbox is killed with the helper (PR_SET_PDEATHSIG): gone within a deadline.
  for (const until = Date.now() + scaled(5000); processesOf(fresh.state).length && Date.now() < until; ) await new Promise((res) => setTimeout(res, 20));
  assert.equal(processesOf(fresh.state), [], 'helper and sandbox died with nslab');
  // The lesson was started, so that much is on record.
  assert.is(JSON.parse(readFileSync(join(fresh.state, 'nslab', 'progress.json'), 'utf8')).lessons['08-holds'].status, 'in-progress');
  fresh.cleanup();
});

test.run();
