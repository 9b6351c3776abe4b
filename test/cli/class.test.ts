// `nslab class` over 30 reports made from this machine's real `nslab report --json` output
// (as it is, with user namespaces off, with a damaged rootfs, then varied: a failed check, a
// report missing lessons, one without verify), plus 2 broken files and a roster with 2 who sent
// nothing. Then the HTML page in headless Chromium: a screenshot that is not blank, and the DOM
// it rendered.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nslab, ROOT, tempHome } from './helpers.js';
import { settledDiff, snapshotHost } from '../support/residue.js';

const test = suite('nslab class');
const before = snapshotHost();
const home = tempHome();
const reports = join(home.dir, 'reports');
const out = join(home.dir, 'class');
mkdirSync(reports);
const USERNS_OFF = ['unshare', '--user', '--map-root-user', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', 'sh'];

function realReport(label: string, env: NodeJS.ProcessEnv, wrap?: string[]): any {
  const file = join(home.dir, `${label}.json`);
  const r = nslab(['report', '--json', '--out', file], { env, wrap, timeout: 480_000 });
  assert.is(r.code, 0, `${label}: ${r.stderr.slice(-800)}`);
  const j = JSON.parse(readFileSync(file, 'utf8'));
  assert.is(j.kind, 'nslab-report');
  return j;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

// Filled by the first test, read by the others.
let base: any;
let expected: { name: string; kind: number; report: any }[] = [];
let stderr = '';
let code: number | null = null;
let cls: any;

test('30 varied real reports and 2 broken files: every report counted, each broken file named once', () => {
  base = realReport('base', home.env);
  const off = realReport('userns-off', home.env, USERNS_OFF);
  const rootfsFile = join(home.dir, 'not-a-rootfs');
  writeFileSync(rootfsFile, 'x');
  const corrupt = realReport('corrupt-rootfs', { ...home.env, NSLAB_ROOTFS: rootfsFile });
  assert.ok(off.doctor.findings.some((f: any) => f.id === 'userns.max-zero'), 'the userns-off report names userns.max-zero');
  assert.ok(corrupt.doctor.findings.some((f: any) => f.id === 'rootfs.corrupt'), 'the damaged-rootfs report names rootfs.corrupt');

  const passing = base.verify.lessons.filter((l: any) => l.status === 'pass' && l.checks.length);
  assert.ok(passing.length >= 2, 'this machine passes at least two lessons');
  const failLesson = passing[0].id;
  const dropped = passing.slice(-2).map((l: any) => l.id);
  for (let i = 0; i < 30; i++) {
    const kind = i % 6;
    const r = clone(kind === 1 ? off : kind === 2 ? corrupt : base);
    r.generatedAt = new Date(Date.UTC(2025, 2, 1, 9, i)).toISOString();
    if (kind === 3) {
      // A student whose machine fails one check.
      const l = r.verify.lessons.find((x: any) => x.id === failLesson);
      l.status = 'fail';
      l.checks[0].pass = false;
      l.checks[0].observed = 'something else';
    }
    if (kind === 4) r.verify.lessons = r.verify.lessons.filter((x: any) => !dropped.includes(x.id));
    if (kind === 5) r.verify = null;
    const name = `student-${String(i + 1).padStart(2, '0')}`;
    // Half named themselves (--name), half are anonymous and named by their file.
    if (i % 2 === 0) r.student = `Student ${i + 1}`;
    writeFileSync(join(reports, `${name}.json`), JSON.stringify(r, null, 2));
    expected.push({ name: i % 2 === 0 ? `Student ${i + 1}` : name, kind, report: r });
  }
  writeFileSync(join(reports, 'truncated.json'), JSON.stringify(base, null, 2).slice(0, 700));
  writeFileSync(join(reports, 'package.json'), readFileSync(join(ROOT, 'package.json')));
  const roster = join(home.dir, 'roster.txt');
  writeFileSync(roster, `${expected.map((e) => e.name).join('\n')}\nAlan Absent\n# a comment\nGrace Gone\n`);

  const r = nslab(['class', reports, '--out', out, '--roster', roster], { env: home.env, timeout: 120_000 });
  code = r.code;
  stderr = r.stderr;
  assert.is(code, 1, 'a file was not counted');
  const lines = stderr.trim().split('\n');
  assert.is(lines.length, 2, stderr);
  assert.match(lines[0]!, `nslab class: ${join(reports, 'package.json')} is JSON but not an nslab report (no nslab, machine, doctor, progress); not counted.`);
  assert.match(lines[1]!, new RegExp(`^nslab class: ${join(reports, 'truncated.json')} is not JSON \\(.+\\); ask for a fresh \`nslab report --json\`; not counted\\.$`));
  assert.match(r.stdout, /^30 students x \d+ lessons: /);
  cls = JSON.parse(readFileSync(join(out, 'class.json'), 'utf8'));
  assert.is(cls.kind, 'nslab-class');
  assert.is(cls.students.length, 30);
  assert.equal(cls.unreadable.map((u: any) => u.file).sort(), [join(reports, 'package.json'), join(reports, 'truncated.json')]);
});

test('the table: each cell is what that report says', () => {
  const lessons = cls.lessons.map((l: any) => l.id);
  for (const id of base.doctor.lessons.map((l: any) => l.id)) assert.ok(lessons.includes(id), `column ${id}`);
  for (const e of expected) {
    const st = cls.students.find((s: any) => s.name === e.name);
    assert.ok(st, `student ${e.name}`);
    for (const l of lessons) {
      const v = e.report.verify?.lessons.find((x: any) => x.id === l);
      const d = e.report.doctor.lessons.find((x: any) => x.id === l);
      const want = v?.status === 'pass' ? 'pass' : v?.status === 'fail' ? 'fail' : d && !d.runnable ? 'cant-run' : v?.status === 'skip' ? 'skip' : 'missing';
      assert.is(st.cells[l].state, want, `${e.name} ${l}`);
      if (want === 'cant-run') assert.equal(st.cells[l].blockers, d.blockers);
    }
  }
  for (const l of lessons) {
    const total = Object.values(cls.perLesson[l] as Record<string, number>).reduce((a, b) => a + b, 0);
    assert.is(total, 30, `${l}: every student counted once`);
  }
});

test('blockers: counted per check ID over students, most common first, each with its fix', () => {
  const perId = new Map<string, Set<string>>();
  for (const e of expected)
    for (const st of [cls.students.find((s: any) => s.name === e.name)])
      for (const c of Object.values(st.cells) as any[]) for (const b of c.blockers ?? []) perId.set(b, (perId.get(b) ?? new Set()).add(e.name));
  assert.equal(cls.blockers.map((b: any) => b.id).sort(), [...perId.keys()].sort());
  for (const b of cls.blockers) assert.is(b.students.length, perId.get(b.id)!.size, b.id);
  const counts = cls.blockers.map((b: any) => b.students.length);
  assert.equal(counts, [...counts].sort((a: number, b: number) => b - a), 'most common first');
  const zero = cls.blockers.find((b: any) => b.id === 'userns.max-zero');
  assert.is(zero.students.length, 5, 'the five userns-off students');
  assert.is(zero.fix, 'sudo sysctl -w user.max_user_namespaces=15000');
  assert.is(zero.docs, 'README.md#userns.max-zero');
  assert.is(cls.blockers.find((b: any) => b.id === 'rootfs.corrupt').students.length, 5);
  const md = readFileSync(join(out, 'class.md'), 'utf8');
  assert.match(md, '| [`userns.max-zero`](README.md#userns.max-zero) | 5 |');
  assert.match(md, '`sudo sysctl -w user.max_user_namespaces=15000`');
});

test('failed checks and what is missing: per lesson, per student; the roster names who sent nothing', () => {
  const failed = expected.filter((e) => e.kind === 3).map((e) => e.name).sort();
  const f = cls.failures.find((x: any) => x.students.length === failed.length && x.check !== '(did not run)');
  assert.ok(f, JSON.stringify(cls.failures.map((x: any) => [x.lesson, x.check, x.students.length])));
  assert.equal([...f.students].sort(), failed);
  const absent = cls.missing.filter((m: any) => m.noReport).map((m: any) => m.student);
  assert.equal(absent, ['Alan Absent', 'Grace Gone']);
  for (const e of expected.filter((x) => x.kind === 4)) {
    const m = cls.missing.find((x: any) => x.student === e.name);
    assert.ok(m, `${e.name} has lessons missing`);
    const dropped = base.verify.lessons.filter((l: any) => !e.report.verify.lessons.some((x: any) => x.id === l.id)).map((l: any) => l.id);
    assert.equal(m.lessons, dropped);
  }
  for (const e of expected.filter((x) => x.kind === 5)) {
    const m = cls.missing.find((x: any) => x.student === e.name);
    assert.equal(m.lessons, e.report.doctor.lessons.filter((l: any) => l.runnable).map((l: any) => l.id), 'no verify: every lesson it could run has no result');
  }
  const md = readFileSync(join(out, 'class.md'), 'utf8');
  assert.match(md, '- Alan Absent: no report at all');
  assert.match(md, '## Files not counted');
  for (const e of expected) assert.match(md, `| ${e.name} |`);
});

test('--json and --need: the same roll-up on stdout, only the lessons asked for', () => {
  const first = base.doctor.lessons[0].id;
  const r = nslab(['class', join(reports, 'student-01.json'), join(reports, 'student-02.json'), '--need', first, '--json'], { env: home.env });
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.lessons.map((l: any) => l.id), [first]);
  assert.is(j.students.length, 2);
  const none = nslab(['class', join(reports, 'package.json')], { env: home.env });
  assert.is(none.code, 1);
  assert.match(none.stderr, 'None of the 1 file(s) is an nslab report');
  assert.is(nslab(['class'], { env: home.env }).code, 2);
});

test('the HTML page in headless Chromium: a real screenshot, and the DOM holds every student and blocker', () => {
  assert.ok(CHROMIUM, 'Chromium is needed for this test: apt-get install chromium');
  const html = join(out, 'class.html');
  const page = readFileSync(html, 'utf8');
  assert.not.match(page, /<script|<link|src="http|href="http/, 'self-contained: no script, no fetched resource');
  // Not under /tmp/nslab*: the residue check watches those names.
  const profile = mkdtempSync(join(tmpdir(), 'class-chromium-'));
  const png = join(profile, 'class.png');
  try {
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${join(profile, 'profile')}`, '--hide-scrollbars'];
    const shot = spawnSync(CHROMIUM!, [...flags, '--window-size=1400,2400', `--screenshot=${png}`, `file://${html}`], { encoding: 'utf8', timeout: 90_000 });
    assert.ok(existsSync(png), `no screenshot: ${shot.stderr.slice(-600)}`);
    const size = statSync(png).size;
    assert.ok(size > 60_000, `the screenshot is ${size} bytes: too small to be the page`);
    const bytes = readFileSync(png);
    assert.is(bytes.subarray(1, 4).toString('latin1'), 'PNG');
    assert.is(bytes.readUInt32BE(16), 1400, 'width as asked');
    if (process.env.NSLAB_KEEP_SCREENSHOT) writeFileSync(process.env.NSLAB_KEEP_SCREENSHOT, bytes);
    const dom = spawnSync(CHROMIUM!, [...flags, '--dump-dom', `file://${html}`], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 });
    assert.is(dom.status, 0, dom.stderr.slice(-600));
    const d = dom.stdout;
    assert.match(d, /<p class="summary" id="summary">30 students x \d+ lessons: /);
    const cells = [...d.matchAll(/<td class="cell s-([a-z-]+)[^"]*" data-student="([^"]+)" data-lesson="([^"]+)" data-state="([a-z-]+)"/g)];
    assert.is(cells.length, 30 * cls.lessons.length, 'one cell per student and lesson');
    for (const [, cssState, student, lesson, state] of cells) {
      assert.is(cssState, state);
      const name = student!.replace(/&amp;/g, '&');
      assert.is(state, cls.students.find((s: any) => s.name === name).cells[lesson!].state, `${name} ${lesson}`);
    }
    for (const b of cls.blockers) assert.match(d, `<tr data-check="${b.id}">`);
    assert.match(d, 'data-missing="Alan Absent"');
    assert.match(d, `data-unreadable="${join(reports, 'truncated.json')}"`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
});

test('nothing is left on the host', async () => {
  assert.equal(await settledDiff(before), [], 'residue');
});

test.run();
