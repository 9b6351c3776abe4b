// The instructor's commands as scripts read them: verify --json (stable shape), --junit XML,
// doctor --json, and the author's selftest.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, lessonsDir, nslab, tempHome } from './helpers.js';
import { all, parseXml } from './xml.js';

const test = suite('verify, doctor, selftest');
const home = tempHome();
const dir = lessonsDir(home, ['01-hello', '04-pivot-root', '05-future', '06-skips', '07-fails']);
const good = lessonsDir({ ...home, dir: join(home.dir, 'g') }, ['01-hello', '04-pivot-root']);
test.after(() => home.cleanup());
const run = (...args: string[]) => nslab(['--lessons', dir, ...args], { env: home.env, timeout: 120_000 });

const DOCTOR_IDS = ['kernel', 'userns', 'root', 'cgroup', 'seccomp', 'container', 'helper', 'koffi', 'rootfs'];

function assertEnvironment(env: Record<string, unknown>) {
  assert.type(env.kernel, 'string');
  assert.type(env.uid, 'number');
  assert.is(env.root, isRoot);
  const checks = env.checks as { id: string; status: string; detail: string; fix?: string }[];
  for (const id of DOCTOR_IDS) assert.ok(checks.some((c) => c.id === id), `doctor line ${id}`);
  for (const c of checks) {
    assert.ok(['ok', 'warn', 'fail'].includes(c.status), c.id);
    assert.type(c.detail, 'string');
    if (c.status !== 'ok') assert.type(c.fix, 'string', `${c.id} needs a fix`);
  }
  const reqs = env.requirements as Record<string, { ok: boolean; reason?: string }>;
  for (const r of ['userns', 'root', 'cgroup2', 'cgroup', 'seccomp', 'rootfs']) assert.type(reqs[r]?.ok, 'boolean', r);
  assert.is(reqs.root!.ok, isRoot);
}

test('verify --json: the stable shape; skip is never pass; exit 1 when a check fails', () => {
  const r = run('verify', '--json');
  assert.is(r.code, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(Object.keys(j).sort(), ['environment', 'failed', 'lessons', 'nslab', 'passed', 'skipped']);
  assert.match(j.nslab, /^\d+\.\d+\.\d+/);
  assertEnvironment(j.environment);
  const byId = Object.fromEntries(j.lessons.map((l: { id: string }) => [l.id, l]));
  assert.equal(Object.keys(byId).sort(), ['01-hello', '04-pivot-root', '05-future', '06-skips', '07-fails']);
  for (const l of j.lessons) {
    for (const k of ['id', 'title', 'status', 'reason', 'checks']) assert.ok(k in l, `${l.id}.${k}`);
    assert.ok(['pass', 'fail', 'skip'].includes(l.status));
    for (const c of l.checks) {
      assert.type(c.id, 'string');
      assert.type(c.expected, 'string');
      assert.type(c.observed, 'string');
      assert.type(c.evidence, 'string');
      assert.type(c.pass, 'boolean');
    }
  }
  assert.is(byId['01-hello'].status, 'pass');
  assert.ok(byId['01-hello'].checks.every((c: { pass: boolean }) => c.pass));
  assert.match(byId['01-hello'].checks[0].evidence, '/proc/sys/kernel/hostname: nslab-hello');
  assert.is(byId['05-future'].status, 'skip');
  assert.match(byId['05-future'].reason, 'needs Linux 99.0');
  assert.is(byId['06-skips'].status, 'skip');
  assert.match(byId['06-skips'].reason, 'this fixture always skips itself');
  assert.is(byId['07-fails'].status, 'fail');
  const bad = byId['07-fails'].checks.find((c: { id: string }) => c.id === 'impossible');
  assert.is(bad.pass, false);
  assert.is(bad.evidence, 'uts <&> "quoted" \'single\'\nsecond line');
  assert.is(j.passed, 2);
  assert.is(j.failed, 1);
  assert.is(j.skipped, 2);
});

test('verify --junit writes well-formed XML: a suite per lesson, a case per check, skipped elements', () => {
  const file = join(home.dir, 'report.xml');
  const r = run('verify', '--junit', file, '05', 'skips', '07-fails', 'hello');
  assert.is(r.code, 1);
  const x = parseXml(readFileSync(file, 'utf8'));
  assert.is(x.name, 'testsuites');
  const suites = all(x, 'testsuite');
  assert.equal(suites.map((s) => s.attrs.name).sort(), ['01-hello', '05-future', '06-skips', '07-fails']);
  const s = (n: string) => suites.find((x) => x.attrs.name === n)!;
  assert.is(all(s('01-hello'), 'testcase').length, 2);
  assert.is(all(s('05-future'), 'skipped').length, 1);
  assert.match(all(s('05-future'), 'skipped')[0]!.attrs.message!, 'needs Linux 99.0');
  assert.is(s('06-skips').attrs.skipped, '1');
  const failure = all(s('07-fails'), 'failure');
  assert.is(failure.length, 1);
  assert.is(failure[0]!.attrs.message, "saw 'fails': nothing ever sets <other>");
  assert.match(failure[0]!.text, 'uts <&> "quoted" \'single\'');
  assert.is(x.attrs.tests, '6');
  assert.is(x.attrs.failures, '1');
  assert.is(x.attrs.skipped, '2');
});

test('verify of lessons that all pass exits 0; with a skip (and no failure) exits 3', () => {
  const ok = nslab(['--lessons', good, 'verify'], { env: home.env });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /PASS\s+01-hello/);
  assert.match(ok.stdout, '2 passed, 0 failed, 0 skipped');
  const skip = run('verify', '1', '5');
  assert.is(skip.code, 3);
  assert.match(skip.stdout, /SKIP\s+05-future/);
});

test('verify names an unknown lesson instead of running nothing', () => {
  const r = run('verify', 'nope');
  assert.is(r.code, 2);
  assert.match(r.stderr, "There is no lesson 'nope'");
});

test('doctor --json: every probe with a status, and which lessons can run', () => {
  const r = run('doctor', '--json');
  const j = JSON.parse(r.stdout);
  assert.is(r.code, j.ok ? 0 : 1);
  assertEnvironment(j);
  const future = j.lessons.find((l: { id: string }) => l.id === '05-future');
  assert.is(future.runnable, false);
  assert.match(future.reason, 'needs Linux 99.0');
  assert.is(j.lessons.find((l: { id: string }) => l.id === '01-hello').runnable, true);
  const text = run('doctor');
  assert.match(text.stdout, /(ok|warn|fail)\s+user namespaces/);
  assert.match(text.stdout, /can't run\s+05-future\s+needs Linux 99.0/);
});

test('selftest: as written passes, sabotage makes listed checks fail with hints', () => {
  const r = nslab(['--lessons', good, 'selftest'], { env: home.env });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /ok\s+01-hello\/rename\s+as written/);
  assert.match(r.stdout, /ok\s+01-hello\/rename\s+sabotage: the experiment renames/);
  // 04-pivot-root has no sabotage: its check is listed as never shown to fail.
  assert.match(r.stdout, /never.*04-pivot-root\/tmpfs\/tmpfs-mounted|04-pivot-root\/tmpfs\/tmpfs-mounted/);
  const f = run('selftest', '7');
  assert.is(f.code, 1, 'a check that fails as written is a lesson bug');
  assert.match(f.stdout, "check 'impossible' failed as written");
});

test.run();
