// Lesson 07 end to end through the real CLI: verify passes (as root and unprivileged), the
// self-test proves every check can fail, and a SIGKILL of nslab mid-lesson leaves the host as
// it was (no mount, process, hostname; the shm segment is IPC_RMID'd while attached).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { settledDiff, snapshotHost } from '../support/residue.js';
import { ROOT, tempHome } from '../cli/helpers.js';

const LESSON = '07';
const ID = '07-user-namespaces';
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

test('verify passes: every check of every experiment', () => {
  const r = cli(['verify', LESSON, '--json']);
  assert.ok(r.json, `no JSON from verify (status ${r.status}): ${r.stderr}`);
  const lesson = r.json.lessons.find((l: any) => l.id === ID);
  const failed = lesson.checks.filter((c: any) => !c.pass).map((c: any) => `${c.experiment}/${c.id}: ${c.observed} (${c.hint})`);
  assert.is(lesson.status, 'pass', `${lesson.reason}\n${failed.join('\n')}`);
  assert.is(r.status, 0);
  assert.ok(lesson.checks.length >= 12, `${lesson.checks.length} checks`);
  const exps = lesson.experiments.map((e: any) => e.id);
  assert.equal(exps, ['before-the-map', 'root-inside-outside', 'who-owns-what', 'uts-hostname', 'ipc-shm']);
});

test('selftest: as written passes, every sabotage fails its checks with a hint, no check left unfailed', () => {
  const r = cli(['selftest', LESSON, '--json']);
  assert.ok(r.json, `no JSON from selftest (status ${r.status}): ${r.stderr}`);
  const lesson = r.json.lessons.find((l: any) => l.id === ID);
  const bad = lesson.cases.filter((c: any) => c.status !== 'pass').map((c: any) => `${c.experiment} / ${c.what}: ${c.status} ${c.problems.join('; ')}`);
  assert.equal(bad, []);
  assert.equal(lesson.neverFailed, []);
  assert.ok(lesson.cases.filter((c: any) => c.sabotage).length >= 8);
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
  // No segment of the lesson's size is left in the host's IPC namespace.
  const shm = spawnSync('cat', ['/proc/sysvipc/shm'], { encoding: 'utf8' }).stdout;
  assert.not.ok(shm.split('\n').some((l) => l.trim().split(/\s+/)[3] === String(65536 + 4242)), shm);
});

test.run();
