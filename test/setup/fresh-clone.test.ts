// The README's promise, checked from scratch: a fresh clone of the committed HEAD, then the
// README's two commands without a terminal. `npm install && npx nslab` installs (compiling the
// helper and the TypeScript) and starts the lab, which without a TTY lists the lessons; `npm
// test` runs the suite, here restricted to one small file (NSLAB_TEST_FILTER) to stay quick.
// Uncommitted work is invisible to this test by design: it checks what a learner would clone.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa, type Result } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { scaled } from '../../src/sandbox/time.js';

const checkout = resolve(import.meta.dirname, '..', '..');
const temp = mkdtempSync(join(tmpdir(), 'nslab-fresh-clone-'));
const clone = join(temp, 'nslab');
const home = join(temp, 'home');

// Everything the learner's commands write outside the clone goes under temp: progress, the
// rootfs cache, npm's logs. npm's package cache stays the user's own, so --prefer-offline helps.
const env: Record<string, string> = {
  XDG_STATE_HOME: join(home, 'state'),
  XDG_CACHE_HOME: join(home, 'cache'),
  XDG_CONFIG_HOME: join(home, 'config'),
  // The checkout may belong to another user (CI runs this as a throwaway user against a copy);
  // git refuses to read such a repository unless told it is safe.
  GIT_CONFIG_GLOBAL: join(temp, 'gitconfig'),
  NO_COLOR: '1',
  CI: 'true',
};

const fresh = suite('fresh clone');
fresh.after(() => rmSync(temp, { recursive: true, force: true }));

function show(r: Result): string {
  return `exit ${r.exitCode}${r.signal ? ` (${r.signal})` : ''}\n${String(r.all ?? '').split('\n').slice(-40).join('\n')}`;
}

fresh('git clone, npm install, npx nslab --yes, npm test (one file)', async () => {
  for (const d of ['state', 'cache', 'config']) mkdirSync(join(home, d), { recursive: true });
  writeFileSync(env.GIT_CONFIG_GLOBAL!, '[safe]\n\tdirectory = *\n');
  const run = (file: string, args: string[], timeout: number, extra: Record<string, string> = {}) =>
    execa(file, args, { cwd: clone, env: { ...env, ...extra }, all: true, reject: false, stdin: 'ignore', timeout: scaled(timeout) });

  const cloned = await execa('git', ['clone', '--quiet', checkout, clone], { env, all: true, reject: false });
  assert.is(cloned.exitCode, 0, `git clone: ${show(cloned)}`);

  // README command 1, first half.
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], 8 * 60_000);
  assert.is(install.exitCode, 0, `npm install: ${show(install)}`);
  assert.ok(existsSync(join(clone, 'native', 'nslab-helper')), 'npm install built the namespace helper');
  // npx runs the bin through the shell: it must be executable whatever npm did or skipped
  // (after `npm ci`, or an `npm install` with nothing to do, npm does not fix the mode).
  assert.ok(statSync(join(clone, 'dist', 'src', 'cli', 'main.js')).mode & 0o111, 'the built CLI is executable');

  // README command 1, second half: no TTY, so the lab lists the lessons and exits.
  const start = await run('npx', ['--no-install', 'nslab', '--yes'], 2 * 60_000);
  assert.is(start.exitCode, 0, `npx nslab --yes: ${show(start)}`);
  const lessons = readdirSync(join(clone, 'lessons')).filter((d) => existsSync(join(clone, 'lessons', d, 'lesson.md')));
  assert.ok(lessons.length > 0, 'the clone has lessons');
  for (const id of lessons) assert.ok(String(start.stdout).includes(id), `npx nslab lists ${id}:\n${start.stdout}`);

  // README command 2, on one small file: a sandbox of the clone's own helper, in the rootfs its
  // first need builds.
  const tmp = join(temp, 'tmp');
  mkdirSync(tmp);
  const test = await run('npm', ['test'], 8 * 60_000, {
    NSLAB_TEST_FILTER: 'test/sandbox/handle',
    // The nested run's own temp files stay apart from the outer run's.
    TMPDIR: tmp,
    // Asks the nested runner to watch only its own processes: the outer run (and anyone else
    // on the machine) starts and stops nslab processes meanwhile, and the outer run's
    // host-wide snapshot covers this one anyway.
    NSLAB_TEST_RESIDUE: 'session',
  });
  const out = String(test.stdout);
  assert.match(out, /^ok {3}test\/sandbox\/handle\.test\.ts {2}\d+ passed, 0 failed/m, `npm test ran the one file: ${show(test)}`);
  const totals = /^(\d+) passed, (\d+) failed/.exec(out.trim().split('\n').at(-1) ?? '');
  assert.ok(totals, `npm test ends with its totals: ${show(test)}`);
  // Where the nested runner still snapshots the whole host, it also sees what the outer run's
  // other test files (and anyone else on the machine) do meanwhile: their sandboxes, cgroups,
  // temp files. A residue line that names nothing under this test's temp dir is forgiven here;
  // a real leak of the nested run would outlive it and fail the outer run's own host check.
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('FAIL host residue'));
  const residueFailed = at >= 0;
  const residue = residueFailed ? lines.slice(at + 1).filter((l) => l.startsWith('     | ')).map((l) => l.slice(7)) : [];
  const foreign = residueFailed && residue.length > 0 && residue.every((l) => !l.includes(temp));
  if (foreign) console.log(`note: the nested run saw ${residue.length} unrelated change(s) on this host; not counted`);
  assert.is(Number(totals![2]) - (foreign ? 1 : 0), 0, `npm test failed: ${show(test)}`);
  assert.ok(Number(totals![1]) >= 2, `npm test ran the filtered file: ${totals![0]}`);
});

fresh.run();
