// Each bad input gets a sentence naming the problem and the fix, a non-zero status (or, for a
// damaged progress file, a notice and a fresh start), and never costs the learner progress.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKEN, isRoot, lessonsDir, nslab, tempHome } from './helpers.js';

const test = suite('bad input');
const home = tempHome();
const dir = lessonsDir(home, ['01-hello', '04-pivot-root']);
test.after(() => {
  chmodSync(join(home.state, 'nslab'), 0o755);
  home.cleanup();
});
const run = (args: string[], wrap?: string[]) => nslab(['--lessons', dir, ...args], { env: home.env, wrap });
const stateDir = join(home.state, 'nslab');
const progressFile = join(stateDir, 'progress.json');
const noStack = (t: string) => !/\n\s+at /.test(t);

const SAVED = JSON.stringify({ version: 1, last: '01-hello', lessons: { '01-hello': { status: 'passed', startedAt: '2024-01-01T00:00:00.000Z', passedAt: '2024-01-01T00:05:00.000Z', experiments: { rename: { passed: true, at: '2024-01-01T00:05:00.000Z' } }, predictions: {} } } }, null, 2);

/** Runs with the state dir read-only: for root through a read-only bind mount in a private
 * mount namespace (root ignores mode bits), for anyone else by mode 0555. */
function readOnly(args: string[]) {
  if (!isRoot) {
    chmodSync(stateDir, 0o555);
    try {
      return run(args);
    } finally {
      chmodSync(stateDir, 0o755);
    }
  }
  const script = `mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"`;
  return run(args, ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, stateDir]);
}

test('an unknown lesson: did you mean, and how to list them', () => {
  const r = run(['start', 'pivot-rot']);
  assert.is(r.code, 2);
  assert.match(r.stderr, "There is no lesson 'pivot-rot'. Did you mean 04-pivot-root?");
  assert.match(r.stderr, '`nslab list`');
  assert.ok(noStack(r.stderr));
  const n = run(['start', '99']);
  assert.is(n.code, 2);
  assert.match(n.stderr, "There is no lesson '99'.");
});

test('a broken lesson file: file:line and what is wrong; the other lessons still list', () => {
  const env = home.env;
  const r = nslab(['--lessons', BROKEN, 'start', '2'], { env });
  assert.is(r.code, 1);
  assert.match(r.stderr, 'Lesson 02-bad-yaml does not load');
  assert.match(r.stderr, /02-bad-yaml\/lesson\.md:\d+: frontmatter YAML/);
  assert.ok(noStack(r.stderr));
  const s = nslab(['--lessons', BROKEN, 'start', '8'], { env });
  assert.match(s.stderr, /08-syntax-error\/lesson\.ts:\d+: syntax error/);
  const l = nslab(['--lessons', BROKEN, 'list'], { env });
  assert.is(l.code, 0);
  assert.match(l.stdout, '01-fine');
  assert.match(l.stdout, /06-throws\/lesson\.ts:\d+: importing the lesson module threw/);
  const j = JSON.parse(nslab(['--lessons', BROKEN, 'list', '--json'], { env }).stdout);
  assert.ok(j.errors.some((e: { lesson: string; line: number }) => e.lesson === '03-no-title' && e.line > 0));
});

test('a corrupt progress file is moved aside, named, and nslab starts fresh', () => {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(progressFile, '{"version": 1, "lessons": {"01-hello": {"status": "passed"');
  const r = run(['list']);
  assert.is(r.code, 0);
  const aside = readdirSync(stateDir).filter((f) => f.startsWith('progress.json.corrupt-'));
  assert.is(aside.length, 1);
  assert.match(r.stderr, progressFile);
  assert.match(r.stderr, join(stateDir, aside[0]!));
  assert.match(r.stderr, 'not valid JSON');
  assert.is(readFileSync(join(stateDir, aside[0]!), 'utf8'), '{"version": 1, "lessons": {"01-hello": {"status": "passed"', 'kept byte for byte');
  assert.match(r.stdout, /01-hello .* new/);
  // And a valid file with a wrong shape is treated the same way.
  writeFileSync(progressFile, JSON.stringify({ version: 1, lessons: { x: { status: 'done' } } }));
  const w = run(['progress']);
  assert.is(w.code, 0);
  assert.match(w.stderr, 'status "done"');
  assert.is(readdirSync(stateDir).filter((f) => f.startsWith('progress.json.corrupt-')).length, 2);
});

test('a read-only state dir: a clear error before the lesson starts, and nothing lost', () => {
  writeFileSync(progressFile, SAVED);
  const r = readOnly(['start', '4', '--yes']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, `Cannot save progress in ${stateDir}`);
  assert.match(r.stderr, 'untouched');
  assert.match(r.stderr, /EACCES|EROFS/);
  assert.ok(noStack(r.stderr));
  assert.not.match(r.stdout, 'Experiment:', 'stopped before any work was done');
  assert.is(readFileSync(progressFile, 'utf8'), SAVED);
  const reset = readOnly(['reset', '--all', '--yes']);
  assert.is(reset.code, 1);
  assert.is(readFileSync(progressFile, 'utf8'), SAVED);
  // Reading still works.
  const p = readOnly(['progress']);
  assert.is(p.code, 0);
  assert.match(p.stdout, /01-hello\s+passed/);
  assert.is(readdirSync(stateDir).filter((f) => f.includes('.tmp-')).length, 0, 'no temp files left');
});

test('a corrupt file in a read-only state dir: an error naming both paths, the file untouched', () => {
  writeFileSync(progressFile, 'garbage');
  const r = readOnly(['list']);
  assert.is(r.code, 1);
  assert.match(r.stderr, `Your progress file ${progressFile} is damaged`);
  assert.match(r.stderr, `${progressFile}.corrupt-`);
  assert.is(readFileSync(progressFile, 'utf8'), 'garbage');
});

test.run();
