// Lesson 11 end to end through the real CLI: the seccomp experiments pass (as root and
// unprivileged); the AppArmor one passes where AppArmor is active and otherwise is skipped
// with the reason (never passed). The self-test proves every check can fail, and a SIGKILL of
// nslab mid-lesson leaves the host as it was.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { settledDiff, snapshotHost } from '../support/residue.js';
import { ROOT, tempHome } from '../cli/helpers.js';

const LESSON = '11';
const ID = '11-seccomp-apparmor';
const apparmorActive = existsSync('/sys/module/apparmor/parameters/enabled') && readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
const CLI = [process.execPath, '--import', 'tsx', `${ROOT}/src/cli/main.ts`];
const home = tempHome();

function cli(args: string[]): { status: number | null; json: any; stderr: string } {
  const r = spawnSync(CLI[0]!, [...CLI.slice(1), ...args], { cwd: ROOT, env: home.env, encoding: 'utf8', timeout: 180_000 });
  let json: any = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    /* reported below */
  }
  return { status: r.status, json, stderr: r.stderr };
}

/** True when some descendant of pid is in another mount namespace: an experiment is running. */
function sandboxUnder(pid: number): boolean {
  const mine = readlinkSync('/proc/self/ns/mnt');
  const walk = (p: number): boolean => {
    let kids: number[] = [];
    try {
      kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return false;
    }
    return kids.some((k) => {
      try {
        if (readlinkSync(`/proc/${k}/ns/mnt`) !== mine) return true;
      } catch {
        /* exited */
      }
      return walk(k);
    });
  };
  return walk(pid);
}

const test = suite(`lessons-content/${ID}`);
test.after(() => home.cleanup());

test('verify: seccomp experiments pass; AppArmor passes, or is skipped (optional) with the reason and the lesson still passes', () => {
  const r = cli(['verify', LESSON, '--json']);
  assert.ok(r.json, `no JSON from verify (status ${r.status}): ${r.stderr}`);
  const lesson = r.json.lessons.find((l: any) => l.id === ID);
  const failed = lesson.checks.filter((c: any) => !c.pass).map((c: any) => `${c.experiment}/${c.id}: ${c.observed} (${c.hint})`);
  assert.equal(failed, []);
  const byId = Object.fromEntries(lesson.experiments.map((e: any) => [e.id, e]));
  assert.equal(Object.keys(byId), ['block-unshare', 'tsync', 'no-new-privs', 'apparmor-label']);
  for (const id of ['block-unshare', 'tsync', 'no-new-privs']) assert.is(byId[id].status, 'pass', `${id}: ${byId[id].reason}`);
  // The AppArmor experiment is optional: where AppArmor is off it skips, visibly, and the
  // lesson passes on its seccomp experiments.
  assert.is(lesson.status, 'pass', lesson.reason);
  assert.is(r.status, 0);
  if (!apparmorActive) {
    assert.is(byId['apparmor-label'].status, 'skip');
    assert.match(byId['apparmor-label'].reason, /AppArmor is not active on this machine/);
    assert.match(lesson.reason, /apparmor-label \(optional\): AppArmor is not active/);
  }
  assert.is(lesson.checks.length, apparmorActive ? 11 : 9);
});

test('selftest: as written passes, every sabotage fails its checks with a hint', () => {
  const r = cli(['selftest', LESSON, '--json']);
  assert.ok(r.json, `no JSON from selftest (status ${r.status}): ${r.stderr}`);
  const lesson = r.json.lessons.find((l: any) => l.id === ID);
  const bad = lesson.cases
    .filter((c: any) => c.status === 'fail' || (c.status === 'skip' && (c.experiment !== 'apparmor-label' || apparmorActive)))
    .map((c: any) => `${c.experiment} / ${c.what}: ${c.status} ${c.problems.join('; ')}`);
  assert.equal(bad, []);
  assert.equal(lesson.neverFailed, []);
  assert.ok(lesson.cases.filter((c: any) => c.sabotage && c.status === 'pass').length >= 6);
});

test('SIGKILL of nslab mid-lesson leaves nothing behind', async () => {
  const before = snapshotHost('session');
  const child = spawn(CLI[0]!, [...CLI.slice(1), 'verify', LESSON, '--json'], { cwd: ROOT, env: home.env, stdio: 'ignore' });
  const closed = new Promise((r) => child.on('close', r));
  // Wait until a sandbox is up (a descendant of the CLI runs in other namespaces), then kill.
  const until = Date.now() + 10_000;
  while (Date.now() < until && !sandboxUnder(child.pid!)) await new Promise((r) => setTimeout(r, 50));
  assert.ok(sandboxUnder(child.pid!), 'no sandbox was seen running');
  child.kill('SIGKILL');
  await closed;
  const diff = await settledDiff(before, 5000);
  assert.equal(diff, []);
});

test.run();
