// Lesson 08 end to end through the real engine: verify passes (root and unprivileged), every
// sabotage fails the checks it names with a hint, and a SIGKILL of nslab while the lesson's
// container is serving leaves nothing on the host.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLesson } from '../../src/lessons/loader.js';
import { readChildren } from '../../src/proc/index.js';
import { Requirements } from '../../src/runner/requirements.js';
import { selftestLesson } from '../../src/runner/selftest.js';
import { verifyLesson } from '../../src/runner/verify.js';
import { settledDiff, snapshotHost } from '../support/residue.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'lessons', '08-debugging-a-container');
const test = suite('lesson 08-debugging-a-container');
const requirements = new Requirements();

async function lesson() {
  const { lesson: l, errors } = await loadLesson(DIR);
  assert.equal(errors, [], 'the lesson loads');
  return l!;
}

/** Every descendant of pid with its command line (only processes this test started). */
function descendants(pid: number): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number): void => {
    let kids: number[] = [];
    try {
      kids = readChildren(p);
    } catch {
      return;
    }
    for (const k of kids) {
      try {
        out.push({ pid: k, cmd: readFileSync(`/proc/${k}/cmdline`, 'utf8').replaceAll('\0', ' ') });
      } catch {
        continue;
      }
      walk(k);
    }
  };
  walk(pid);
  return out;
}

const netDevices = (): string[] => readdirSync('/sys/class/net').sort();

test('verify: every check passes (or the lesson skips with the doctor\'s reason)', async () => {
  const l = await lesson();
  const r = await verifyLesson(l, requirements);
  if (r.status === 'skip') {
    assert.ok(r.reason.length > 10, `a skip names its reason: ${r.reason}`);
    return;
  }
  const failing = r.checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.observed} (${c.hint})`);
  assert.is(r.status, 'pass', `${r.reason}\n${failing.join('\n')}`);
  assert.is(r.checks.length, 12);
  for (const c of r.checks) assert.ok(c.evidence.trim().length > 0, `${c.id} shows evidence`);
});

test('selftest: each sabotage fails exactly what it names, with a hint; no check is unfailable', async () => {
  const l = await lesson();
  const r = await selftestLesson(l, requirements);
  const bad = r.cases.filter((c) => c.status === 'fail').map((c) => `${c.experiment} / ${c.what}: ${c.problems.join('; ')}`);
  assert.equal(bad, [], bad.join('\n'));
  if (r.cases.every((c) => c.status === 'skip')) return;
  assert.equal(r.neverFailed, []);
  assert.ok(r.cases.filter((c) => c.sabotage && c.status === 'pass').length >= 9, 'all nine sabotages ran');
});

test('SIGKILL of nslab while the container serves leaves no process, mount or interface', async () => {
  const before = snapshotHost();
  const devs = netDevices();
  const cli = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'verify', '08'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1' },
  });
  let seen = '';
  for (let i = 0; i < 300 && !seen; i++) {
    await new Promise((r) => setTimeout(r, 50));
    seen = descendants(cli.pid!).find((d) => d.cmd.includes('httpd -f'))?.cmd ?? '';
  }
  assert.ok(seen, 'the container started under nslab');
  cli.kill('SIGKILL');
  await new Promise((r) => cli.on('close', r));
  assert.equal(await settledDiff(before, 5000), []);
  assert.equal(netDevices(), devs);
});

test.run();
