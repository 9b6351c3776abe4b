// A lesson written from docs/authoring.md alone (test/fixtures/lessons/authored): the compiled
// CLI verifies it (every check passes), selftests it (every sabotage fails its checks), and
// draws its diagram when a learner starts it. Runs as root and as an unprivileged user.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempHome } from '../cli/helpers.js';
import { scaled } from '../../src/sandbox/time.js';

const test = suite('a lesson written from the authoring guide');
const LESSONS = ['--lessons', 'test/fixtures/lessons/authored'];
const dist = (args: string[], env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...LESSONS, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: scaled(120_000) });

test('verify: both checks of 14-ipc-shm pass', () => {
  const home = tempHome();
  const v = dist(['verify', '14', '--json'], home.env);
  assert.is(v.status, 0, v.stdout + v.stderr);
  const lesson = JSON.parse(v.stdout).lessons[0];
  assert.is(lesson.id, '14-ipc-shm');
  assert.is(lesson.status, 'pass', lesson.reason);
  const checks = lesson.checks as { id: string; pass: boolean }[];
  assert.equal(checks.map((c) => c.id), ['left-for-new-ns', 'key-not-found']);
  assert.ok(checks.every((c) => c.pass), JSON.stringify(checks));
  home.cleanup();
});

test('selftest: passes as written, and every sabotage fails its checks', () => {
  const home = tempHome();
  const s = dist(['selftest', '14'], home.env);
  assert.is(s.status, 0, s.stdout + s.stderr);
  assert.match(s.stdout, 'sabotage: never call unshare');
  assert.match(s.stdout, 'sabotage: make the segment after the unshare');
  home.cleanup();
});

test('start --yes: the ns-tree diagram is drawn', () => {
  const home = tempHome();
  const r = dist(['start', '14', '--yes'], home.env);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'Three IPC namespaces, one segment');
  // One row for the ipc namespace: the host's, then the sandbox's two, each its own.
  assert.match(r.stdout, /^\s*ipc\s+\d+\s+(\d+) \*\s+(?!\1\b)\d+ \*\s*$/m);
  home.cleanup();
});

test.run();
