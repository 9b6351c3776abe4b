// `nslab report` is safe to share: no user name, host name or home path unless --name is given,
// even where a lesson's evidence (reused from a saved verify) or doctor's paths carried them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { GOOD, nslab, tempHome } from './helpers.js';
import { redactor } from '../../src/runner/redact.js';

const test = suite('report privacy');
const home = tempHome();
const user = userInfo().username;
const host = hostname();
const word = (s: string) => new RegExp(`(?<![A-Za-z0-9])${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`);

/** A real verify --json of this machine, with what a lesson's evidence may hold about it. */
let saved: string | undefined;
function savedVerify(): string {
  if (saved) return saved;
  const v = nslab(['--lessons', GOOD, 'verify', '1', '--json'], { env: home.env, timeout: 120_000 });
  const j = JSON.parse(v.stdout);
  assert.is(j.lessons[0].status, 'pass', v.stderr);
  j.lessons[0].checks[0].evidence += `\nhost: /proc/sys/kernel/hostname = ${host}\nuser: ${user} at ${home.dir}/work (${host}.example.org)`;
  const file = join(home.dir, 'verify.json');
  writeFileSync(file, JSON.stringify(j));
  return (saved = file);
}

test('anonymous by default: home path ~, user and host names gone, the rest intact', () => {
  const saved = savedVerify();
  const out = join(home.dir, 'report.json');
  const r = nslab(['--lessons', GOOD, 'report', '--json', '--verify', saved, '--out', out], { env: home.env });
  assert.is(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  const rep = JSON.parse(text);
  assert.is(rep.kind, 'nslab-report');
  assert.is(rep.anonymous, true);
  assert.is(rep.student, null);
  assert.is(rep.machine.user, '');
  assert.not.ok('hostname' in rep.machine);
  assert.not.ok(text.includes(home.dir), 'no home path');
  const { osRelease: _o, distro: _d, ...machine } = rep.machine;
  const shared = JSON.stringify({ ...rep, machine });
  if (user !== 'root') assert.not.match(shared, word(user), 'no user name');
  assert.not.match(shared, word(host), 'no host name');
  assert.match(shared, 'hostname = <host>');
  assert.match(shared, 'at ~/work (<host>.example.org)');
  assert.match(rep.progress.file, /^~\//);
  assert.match(rep.verify.source, 'reused from ~/verify.json');
  assert.is(rep.verify.lessons[0].status, 'pass', 'results are untouched');
  assert.is(rep.machine.kernel, readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  const md = nslab(['--lessons', GOOD, 'report', '--verify', saved], { env: home.env });
  assert.match(md.stdout, 'no name: user name, host name and home paths are withheld');
  assert.not.ok(md.stdout.includes(home.dir));
});

test('--name: the report carries the name, the user and host name', () => {
  const saved = savedVerify();
  const r = nslab(['--lessons', GOOD, 'report', '--json', '--verify', saved, '--name', 'Ada Lovelace'], { env: home.env });
  assert.is(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.is(rep.student, 'Ada Lovelace');
  assert.is(rep.anonymous, false);
  assert.is(rep.machine.user, user);
  assert.is(rep.machine.hostname, host);
  assert.ok(rep.progress.file.startsWith(home.dir));
  const md = nslab(['--lessons', GOOD, 'report', '--verify', saved, '--name', 'Ada Lovelace'], { env: home.env });
  assert.match(md.stdout, `for Ada Lovelace (${user}, uid`);
  assert.is(nslab(['report', '--name', ' '], { env: home.env }).code, 2);
});

test('redaction: whole words only, paths only where they start, and common words left alone', () => {
  const r = redactor({ homes: ['/home/ada', '/root'], user: 'ada', host: 'adas-laptop.lan' });
  assert.is(r('/home/ada/.cache/nslab/rootfs'), '~/.cache/nslab/rootfs');
  assert.is(r('/proc/42/root and /root/x'), '/proc/42/root and ~/x', '/root inside another path is not a home');
  assert.is(r('/home/adam/x'), '/home/adam/x');
  assert.is(r('ada ran on adas-laptop.lan (adas-laptop), Canada'), '<user> ran on <host> (<host>), Canada');
  assert.is(redactor({ homes: [], user: 'root', host: 'debian' })('root on debian'), 'root on debian');
});

test.run();
