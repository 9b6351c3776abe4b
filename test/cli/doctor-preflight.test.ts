// `nslab doctor` on this machine and on this machine made to lack something for real: user
// namespaces off (user.max_user_namespaces=0, set inside a user namespace of the test's own, so
// the host is untouched), a damaged rootfs, and, unprivileged, whatever cgroup this user lacks.
// Check IDs, the --json schema, and --need/--workshop/--ignore exit statuses.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nslab, ROOT, tempHome } from './helpers.js';

const test = suite('doctor pre-flight');
const home = tempHome();
const env = home.env;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** Runs nslab where creating a user namespace fails with ENOSPC, as on a machine that set
 * user.max_user_namespaces=0: that limit is per user namespace, so a namespace of our own may
 * set it to 0 for everything under it. Inside, nslab is uid 0 of that namespace. */
const USERNS_OFF = ['unshare', '--user', '--map-root-user', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', 'sh'];
const json = (args: string[], e = env, wrap?: string[]) => {
  const r = nslab([...args, '--json'], { env: e, wrap, timeout: 120_000 });
  let j: any = null;
  try {
    j = JSON.parse(r.stdout);
  } catch {
    assert.unreachable(`no JSON from nslab ${args.join(' ')}: ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 500)}`);
  }
  return { ...r, j };
};

test('--json: schema version 2, the old fields kept, every blocker a finding with its anchor', () => {
  const { j, code } = json(['doctor']);
  assert.is(j.schemaVersion, 2);
  for (const k of ['nslab', 'node', 'kernel', 'arch', 'uid', 'root', 'checks', 'requirements', 'lessons', 'ok']) assert.ok(k in j, `field ${k}`);
  assert.is(code, j.ok ? 0 : 1, 'without --need the exit status is as before');
  for (const c of j.checks) {
    for (const k of ['id', 'label', 'status', 'detail']) assert.ok(k in c, `${c.id}: ${k}`);
    if (c.status !== 'ok') assert.type(c.check, 'string', `line ${c.id} names its check`);
  }
  for (const l of j.lessons) {
    assert.is(l.runnable, l.blockers.length === 0, `${l.id}: runnable exactly when nothing blocks it`);
    for (const b of l.blockers) assert.ok(j.findings.find((f: any) => f.id === b)?.blocks.includes(l.id), `${l.id}: ${b} is a finding that blocks it`);
  }
  for (const f of j.findings) {
    assert.ok(['error', 'warning'].includes(f.severity));
    assert.ok(f.fix, `${f.id} has a fix`);
    assert.ok(README.includes(`<a id="${f.docs.replace('README.md#', '')}"></a>`), `${f.docs} exists`);
    if (f.blocks.length) assert.is(f.severity, 'error', `${f.id} blocks lessons, so it is an error`);
  }
});

test("--need: 0 exactly when every needed lesson can run; a blocked one is named with its fix; --ignore accepts it", () => {
  const { j } = json(['doctor']);
  const runnable = j.lessons.filter((l: any) => l.runnable).map((l: any) => l.id);
  const ok = nslab(['doctor', '--need', runnable.join(',')], { env });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, `Ready: all ${runnable.length} needed lessons can run here.`);
  for (const l of j.lessons.filter((l: any) => !l.runnable)) {
    const r = nslab(['doctor', '--need', l.id], { env });
    assert.is(r.code, 1, `${l.id} cannot run, so the pre-flight fails`);
    for (const b of l.blockers) {
      const f = j.findings.find((x: any) => x.id === b);
      assert.match(r.stdout, `[ERROR ${b}] blocks ${l.id}`);
      assert.match(r.stdout, `fix:      ${f.fix}`);
    }
    assert.match(r.stdout, `Not ready: 1 of 1 needed lessons cannot run here: ${l.id} (${l.blockers.join(', ')}).`);
    const ignored = nslab(['doctor', '--need', l.id, ...l.blockers.flatMap((b: string) => ['--ignore', b])], { env });
    assert.is(ignored.code, 0, `--ignore ${l.blockers} lets the pre-flight pass: ${ignored.stdout}`);
    assert.match(ignored.stdout, /\[WARNING .*\(ignored\)/);
  }
});

test('user namespaces off for real: userns.max-zero blocks every lesson that needs one, and verify skips on the same words', () => {
  const { j, code } = json(['doctor', '--need', '1,2'], env, USERNS_OFF);
  assert.is(code, 1);
  assert.is(j.workshop.ready, false);
  const f = j.findings.find((x: any) => x.id === 'userns.max-zero');
  assert.ok(f, JSON.stringify(j.findings.map((x: any) => x.id)));
  assert.is(f.severity, 'error');
  assert.is(f.fix, 'sudo sysctl -w user.max_user_namespaces=15000');
  assert.is(f.observed, 'user.max_user_namespaces = 0');
  assert.equal(f.lines, ['sysctl.max_user_namespaces', 'userns']);
  const needed = j.workshop.needed as string[];
  assert.is(needed.length, 2);
  for (const id of needed) assert.ok(j.workshop.lessons.find((l: any) => l.id === id).blockers.includes('userns.max-zero'), id);
  const text = nslab(['doctor', '--need', '1,2'], { env, wrap: USERNS_OFF });
  assert.match(text.stdout, `[ERROR userns.max-zero] blocks ${needed.join(', ')}`);
  assert.match(text.stdout, 'Not ready: 2 of 2 needed lessons cannot run here');
  const v = json(['verify', needed[1]!], env, USERNS_OFF);
  const skipped = v.j.lessons[0];
  assert.is(skipped.status, 'skip');
  assert.is(skipped.reason, j.lessons.find((l: any) => l.id === needed[1]).reason, "verify's skip is doctor's verdict, word for word");
  const ignored = nslab(['doctor', '--need', '1,2', '--ignore', 'userns.max-zero'], { env, wrap: USERNS_OFF });
  assert.is(ignored.code, 0, ignored.stdout);
});

test('a damaged rootfs: rootfs.corrupt blocks the lessons that need one', () => {
  const file = join(home.dir, 'not-a-rootfs');
  writeFileSync(file, 'x');
  const e = { ...env, NSLAB_ROOTFS: file };
  const { j } = json(['doctor'], e);
  const f = j.findings.find((x: any) => x.id === 'rootfs.corrupt');
  assert.ok(f?.blocks.length, JSON.stringify(j.findings));
  assert.is(f.fix, 'npx nslab rootfs clean && npx nslab rootfs build');
  assert.match(f.observed, 'exists but is not a directory');
  const r = nslab(['doctor', '--need', f.blocks[0]], { env: e });
  assert.is(r.code, 1);
  assert.match(r.stdout, `[ERROR rootfs.corrupt] blocks ${f.blocks[0]}`);
});

test('a workshop file: minimum versions, a lesson nslab lacks, and mistakes named', () => {
  const w = join(home.dir, 'workshop.yaml');
  writeFileSync(w, 'name: Containers 101\nlessons: 01-02\nminimum:\n  node: 20\n  kernel: 99.0\n');
  const { j, code } = json(['doctor', '--workshop', w]);
  assert.is(code, 1);
  assert.is(j.workshop.name, 'Containers 101');
  assert.equal(j.workshop.errors.find((f: any) => f.id === 'kernel.too-old').expected, 'Linux 99.0 or newer');
  assert.not.ok(j.findings.some((f: any) => f.id === 'node.too-old'), 'node 20 is enough');
  writeFileSync(w, 'lessons: [99]\nignore: [kernel.too-old]\n');
  const missing = nslab(['doctor', '--workshop', w], { env });
  assert.is(missing.code, 1);
  assert.match(missing.stdout, '[ERROR lesson.not-found] blocks 99');
  writeFileSync(w, 'lesons: 1\n');
  const typo = nslab(['doctor', '--workshop', w], { env });
  assert.is(typo.code, 1);
  assert.match(typo.stderr, "unknown key 'lesons' (did you mean 'lessons'?)");
  const bogus = nslab(['doctor', '--ignore', 'userns.bogus'], { env });
  assert.is(bogus.code, 2);
  assert.match(bogus.stderr, '--ignore userns.bogus: there is no such check');
  assert.is(nslab(['doctor', '--need', '1', '--workshop', w], { env }).code, 2);
});

test.run();
