// Lesson 09 end to end through the real engine: verify passes (root and unprivileged), every
// sabotage fails the checks it names with a hint, no veth ever shows up in the host's network
// namespace (sampled throughout), and a SIGKILL of nslab while the pair exists leaves nothing.
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
const DIR = join(ROOT, 'lessons', '09-network-namespaces');
const test = suite('lesson 09-network-namespaces');
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

/** Sample the host's interfaces while fn runs; every name seen that was not there before. */
async function watchInterfaces<T>(fn: () => Promise<T>): Promise<{ result: T; appeared: string[] }> {
  const before = new Set(netDevices());
  const appeared = new Set<string>();
  let running = true;
  const sampler = (async () => {
    while (running) {
      for (const d of netDevices()) if (!before.has(d)) appeared.add(d);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    const result = await fn();
    return { result, appeared: [...appeared] };
  } finally {
    running = false;
    await sampler;
  }
}

test('verify: every check passes (or the lesson skips with the doctor\'s reason); no veth on the host meanwhile', async () => {
  const l = await lesson();
  const { result: r, appeared } = await watchInterfaces(() => verifyLesson(l, requirements));
  assert.equal(appeared, [], 'no interface appeared in the host namespace');
  if (r.status === 'skip') {
    assert.ok(r.reason.length > 10, `a skip names its reason: ${r.reason}`);
    return;
  }
  const failing = r.checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.observed} (${c.hint})`);
  assert.is(r.status, 'pass', `${r.reason}\n${failing.join('\n')}`);
  assert.is(r.checks.length, 6);
  for (const c of r.checks) assert.ok(c.evidence.trim().length > 0, `${c.id} shows evidence`);
});

test('selftest: each sabotage fails exactly what it names, with a hint; no check is unfailable', async () => {
  const l = await lesson();
  const { result: r, appeared } = await watchInterfaces(() => selftestLesson(l, requirements));
  assert.equal(appeared, [], 'no interface appeared in the host namespace');
  const bad = r.cases.filter((c) => c.status === 'fail').map((c) => `${c.experiment} / ${c.what}: ${c.problems.join('; ')}`);
  assert.equal(bad, [], bad.join('\n'));
  if (r.cases.every((c) => c.status === 'skip')) return;
  assert.equal(r.neverFailed, []);
  assert.ok(r.cases.filter((c) => c.sabotage && c.status === 'pass').length >= 6, 'all six sabotages ran');
});

test('SIGKILL of nslab while the veth pair exists leaves no process, mount or interface', async () => {
  const before = snapshotHost();
  const devs = netDevices();
  const cli = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'verify', '09'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1' },
  });
  let seen = '';
  for (let i = 0; i < 300 && !seen; i++) {
    await new Promise((r) => setTimeout(r, 50));
    seen = descendants(cli.pid!).find((d) => d.cmd.includes('srv.listen'))?.cmd ?? '';
  }
  assert.ok(seen, 'the server in namespace B started under nslab (the veth pair exists)');
  cli.kill('SIGKILL');
  await new Promise((r) => cli.on('close', r));
  assert.equal(await settledDiff(before, 5000), []);
  assert.equal(netDevices(), devs);
});

test.run();
