// `nslab new`: the lesson it writes passes verify and selftest at once, as a learner's own
// folder (compiled nslab bundles its lesson.ts with esbuild); a lesson.ts that does not compile
// is one line with file:line; an existing folder is never overwritten.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempHome } from './helpers.js';
import { spawnSync } from 'node:child_process';

const test = suite('nslab new');
const dist = (args: string[], env: NodeJS.ProcessEnv, cwd: string) =>
  spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });

test('the new lesson passes verify and selftest from its own folder', () => {
  const home = tempHome();
  const made = dist(['new', '21-first-try', '--lessons', 'mine'], home.env, home.dir);
  assert.is(made.status, 0, made.stderr);
  assert.match(made.stdout, 'npx nslab --lessons mine verify 21');
  const ts = readFileSync(join(home.dir, 'mine', '21-first-try', 'lesson.ts'), 'utf8');
  assert.match(ts, "from 'nslab/lesson'");
  const v = dist(['--lessons', 'mine', 'verify', '21', '--json'], home.env, home.dir);
  assert.is(v.status, 0, v.stdout + v.stderr);
  assert.equal(JSON.parse(v.stdout).lessons[0].checks.map((c: { pass: boolean }) => c.pass), [true, true]);
  const s = dist(['--lessons', 'mine', 'selftest', '21'], home.env, home.dir);
  assert.is(s.status, 0, s.stdout + s.stderr);
  assert.match(s.stdout, 'sabotage: never mount the tmpfs');
  const again = dist(['new', '21-first-try', '--lessons', 'mine'], home.env, home.dir);
  assert.is(again.status, 2);
  assert.match(again.stderr, 'exists already');
  home.cleanup();
});

test('a lesson.ts that does not compile: one line naming file:line, no stack', () => {
  const home = tempHome();
  dist(['new', '22-broken', '--lessons', 'mine'], home.env, home.dir);
  const file = join(home.dir, 'mine', '22-broken', 'lesson.ts');
  writeFileSync(file, readFileSync(file, 'utf8').replace("id: 'private-tmp',", "id: 'private-tmp',,"));
  const l = dist(['--lessons', 'mine', 'verify', '22'], home.env, home.dir);
  assert.is.not(l.status, 0);
  assert.match(l.stdout + l.stderr, /22-broken\/lesson\.ts:\d+: syntax error/);
  assert.not.match(l.stdout + l.stderr, /^\s+at /m);
  home.cleanup();
});

test('a name that is not NN-slug is refused with the form to use', () => {
  const home = tempHome();
  const r = dist(['new', 'My Lesson'], home.env, home.dir);
  assert.is(r.status, 2);
  assert.match(r.stderr, 'write NN-slug');
  home.cleanup();
});

test.run();
