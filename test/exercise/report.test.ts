// `nslab report`: one file with the machine, doctor, verify (run now or reused) and progress,
// in Markdown or JSON.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nslab } from '../cli/helpers.js';
import { ENGINE_FIXTURES, labEnv, shellCheck } from './support.js';
import { osRelease } from '../../src/runner/report.js';

const test = suite('nslab report');
const dir = ENGINE_FIXTURES;

test('runs verify, includes doctor, versions and exercise progress (JSON, to a file)', async () => {
  const e = await labEnv();
  const done = await shellCheck(e, dir, '1', ['setpriv --no-new-privs sleep 1000 &']);
  assert.ok(done.report?.exercises.find((x) => x.id === 'nnp')?.pass, done.stderr);
  const out = join(e.home.dir, 'report.json');
  const r = nslab(['--lessons', dir, 'report', '--json', '--out', out], { env: e.env, timeout: 120_000 });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Report written to/);
  const rep = JSON.parse(readFileSync(out, 'utf8'));
  assert.match(rep.nslab, /\d+\.\d+/);
  assert.is(rep.machine.kernel, readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  assert.is(rep.machine.distro, osRelease().PRETTY_NAME);
  assert.ok(rep.doctor.checks.some((c: { id: string }) => c.id === 'userns'));
  assert.is(rep.verify.lessons[0].id, '01-exfix');
  assert.is(rep.verify.lessons[0].status, 'pass');
  assert.match(rep.verify.source, /run now/);
  const l = rep.progress.lessons.find((x: { id: string }) => x.id === '01-exfix');
  const nnp = l.exercises.find((x: { id: string }) => x.id === 'nnp');
  assert.ok(nnp.passed);
  assert.match(nnp.at, /^\d{4}-\d\d-\d\dT/);
  assert.not.ok(l.exercises.find((x: { id: string }) => x.id === 'pid1').passed);
});

test('reuses a saved verify --json; Markdown by default', async () => {
  const e = await labEnv();
  const v = nslab(['--lessons', dir, 'verify', '--json'], { env: e.env, timeout: 120_000 });
  const saved = join(e.home.dir, 'verify.json');
  writeFileSync(saved, v.stdout);
  const r = nslab(['--lessons', dir, 'report', '--verify', saved], { env: e.env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^# nslab report/m);
  assert.match(r.stdout, /## Doctor/);
  // The report is anonymous: the home path reads ~.
  assert.match(r.stdout, 'reused from ~/verify.json');
  assert.match(r.stdout, /\| 01-exfix \| pass \|/);
  assert.match(r.stdout, /nnp: not tried/);
  assert.not.match(r.stderr, /running verify/);
});

test('a --verify file that is not verify output is refused with the fix', async () => {
  const e = await labEnv();
  const bad = join(e.home.dir, 'bad.json');
  writeFileSync(bad, '{"x":1}');
  const r = nslab(['--lessons', dir, 'report', '--verify', bad], { env: e.env });
  assert.is(r.code, 1);
  assert.match(r.stderr, /is not the output of `nslab verify --json`/);
  const both = nslab(['--lessons', dir, 'report', '--json', '--md'], { env: e.env });
  assert.is(both.code, 2);
});

test.run();
