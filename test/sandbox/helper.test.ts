// The native helper on its own: nesting, bad usage, and the error line callers show.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { helperPath, isRoot } from '../../src/sandbox/index.js';

const helper = suite('helper');
const run = (...args: string[]) => spawnSync(helperPath(), args, { encoding: 'utf8' });

helper('a sandbox inside a sandbox maps only the ids its parent namespace has', () => {
  const r = run('run', '-U', '-m', '--', helperPath(), 'run', '-U', '--', '/bin/cat', '/proc/self/uid_map');
  assert.is(r.status, 0, r.stderr);
  // Root's sandbox maps 65536 ids, so its child may too; an unprivileged sandbox maps one.
  assert.equal(r.stdout.trim().split(/\s+/).map(Number), [0, 0, isRoot() ? 65536 : 1]);
});

helper('the program exit status and a killing signal come back as the helper exit status', () => {
  assert.is(run('run', '-U', '--', '/bin/sh', '-c', 'exit 7').status, 7);
  assert.is(run('run', '-U', '--', '/bin/sh', '-c', 'kill -9 $$').status, 128 + 9);
});

helper('bad usage is one line naming the problem, exit 125', () => {
  for (const [args, said] of [
    [['run', '--bogus', '--', 'true'], /unknown option --bogus/],
    [['run', '-U'], /no program given after --/],
    [['run', '--hostname', 'x', '--', 'true'], /needs a new UTS namespace/],
    [['join', '--', 'true'], /join needs --target PID/],
    [['run', '-U', '--', '/nonexistent-nslab-program'], /exec \/nonexistent-nslab-program: ENOENT/],
  ] as const) {
    const r = run(...args);
    assert.is(r.status, 125, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^nslab-helper: /);
    assert.match(lines[0]!, said);
  }
});

helper('the helper itself is single-threaded, which is the point of it', () => {
  const r = run('run', '-U', '--', '/bin/sh', '-c', 'grep Threads /proc/$PPID/status');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Threads:\s+1$/m);
  assert.ok(Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) > 1, 'while Node is not');
});

helper.run();
