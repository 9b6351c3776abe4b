// The VM test's judgement (test/vm/matrix.ts) on made-up guest lines: what counts, what fails,
// and that whatever a boot never reported counts as failed. No VM here; `npm run test:vm` boots them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { judge, parseLines, renderMarkdown, renderText, SCENARIOS, selectScenarios, type BootResult, type GuestLine } from './matrix.js';

const ids = ['01-chroot', '02-mount-propagation', '03-pid-1'];
const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;

function lessons(scenario: string, user: string, statuses: string[], runnable: boolean[]): GuestLine {
  return {
    t: 'lessons',
    scenario,
    user,
    doctorRc: 0,
    verifyRc: 0,
    verifySeconds: 100,
    doctor: [],
    lessons: ids.map((id, i) => ({ id, status: statuses[i]!, reason: statuses[i] === 'pass' ? '' : `${id} went wrong`, runnable: runnable[i]! })),
  };
}
const residue = (scenario: string, user: string, ok = true): GuestLine => ({ t: 'assert', scenario, user, name: 'residue', ok, detail: ok ? 'none' : 'new mounts: /x' });

test('scenarios are chosen by name, prefix or kind; unknown words are returned', () => {
  assert.equal(selectScenarios([]).selected.length, SCENARIOS.length);
  assert.equal(selectScenarios(['bookworm']).selected.map((s) => s.name), ['bookworm-plain', 'bookworm-busybox', 'bookworm-provision']);
  assert.equal(selectScenarios(['trixie-apparmor,plain']).selected.map((s) => s.name), ['bookworm-plain', 'trixie-plain', 'trixie-apparmor']);
  assert.equal(selectScenarios(['bookworm-plan']).unknown, ['bookworm-plan']);
});

test('serial lines: \\r and partial or foreign lines are set aside', () => {
  const { lines, garbage } = parseLines('{"t":"hello","boot":"b","kernel":"6","uptime":5,"os":"x"}\r\nnoise\r\n{"t":"do');
  assert.is(lines.length, 1);
  assert.equal(garbage, ['noise', '{"t":"do']);
});

test('every lesson per row counts, plus doctor agreement and residue per row, plus other assertions', () => {
  const boot: BootResult = {
    boot: 'bookworm',
    scenarios: [scenario('bookworm-plain')],
    lines: [
      lessons('bookworm-plain', 'vagrant', ['pass', 'fail', 'skip'], [true, true, false]),
      residue('bookworm-plain', 'vagrant'),
      lessons('bookworm-plain', 'root', ['pass', 'pass', 'pass'], [true, true, true]),
      residue('bookworm-plain', 'root', false),
      { t: 'assert', scenario: 'bookworm-plain', user: 'vagrant', name: 'npm install', ok: true, detail: '' },
      { t: 'done' },
    ],
  };
  const j = judge([boot], ids);
  assert.is(j.rows.length, 2);
  const [v, r] = j.rows;
  assert.equal([...v!.cells.values()].map((c) => c.ok), [true, false, false]);
  assert.not.ok(v!.agree.ok, 'doctor said 02 can run, verify failed it');
  assert.match(v!.agree.detail, /02: doctor can run, verify fail/);
  assert.ok(r!.agree.ok);
  assert.not.ok(r!.residue.ok);
  // vagrant: 1 pass + 2 lesson failures, agree fail, residue pass; root: 3 pass, agree pass,
  // residue fail; npm install pass.
  assert.is(j.passed, 1 + 1 + 3 + 1 + 1);
  assert.is(j.failed, 2 + 1 + 1);
  assert.match(renderText(j, ids), /bookworm-plain\s+vagrant\s+pass\s+FAIL\s+SKIP\s+DIFFERS\s+none/);
  assert.match(renderMarkdown(j, ids, 't'), /\| bookworm-plain \| root \| pass \| pass \| pass \| yes \| \*\*left\*\* \|/);
});

test('a boot that died: every row it owed fails, with the reason, and so does the boot', () => {
  const boot: BootResult = { boot: 'trixie', scenarios: [scenario('trixie-plain'), scenario('trixie-apparmor')], lines: [], problem: 'killed after its deadline', lastStep: 'trixie-plain vagrant verify' };
  const j = judge([boot], ids);
  assert.equal(j.rows.map((r) => `${r.label}/${r.user}`), ['trixie-plain/vagrant', 'trixie-plain/root', 'trixie-apparmor/vagrant', 'trixie-apparmor+fix/vagrant']);
  assert.is(j.passed, 0);
  assert.is(j.failed, 4 * (ids.length + 2) + 1);
  assert.match(j.rows[0]!.cells.get('01-chroot')!.reason!, /killed after its deadline \(last step: trixie-plain vagrant verify\)/);
});

test('AppArmor restriction: skipping is the truth before the fix, passing after it; no sysctl, no rows', () => {
  const boot: BootResult = {
    boot: 'trixie',
    scenarios: [scenario('trixie-apparmor')],
    lines: [
      lessons('trixie-apparmor', 'vagrant', ['skip', 'skip', 'fail'], [false, false, false]),
      { t: 'doctorline', scenario: 'trixie-apparmor', user: 'vagrant', pattern: 'apparmor_restrict', lines: [{ id: 'sysctl.apparmor_restrict_unprivileged_userns', label: 'x', status: 'fail', detail: '1' }] },
      residue('trixie-apparmor', 'vagrant'),
      lessons('trixie-apparmor+fix', 'vagrant', ['pass', 'pass', 'skip'], [true, true, false]),
      residue('trixie-apparmor+fix', 'vagrant'),
      { t: 'done' },
    ],
  };
  const j = judge([boot], ids);
  const [before, after] = j.rows;
  assert.equal([...before!.cells.values()].map((c) => c.ok), [true, true, false]);
  assert.equal([...after!.cells.values()].map((c) => c.ok), [true, true, false]);
  assert.ok(j.checks.find((c) => c.name === 'doctor names apparmor_restrict')!.ok);

  const none = judge([{ boot: 'trixie', scenarios: [scenario('trixie-apparmor')], lines: [{ t: 'note', scenario: 'trixie-apparmor', text: 'no sysctl: scenario not applicable' }, { t: 'done' }] }], ids);
  assert.is(none.rows.length, 0);
  assert.is(none.failed, 0);
});

test.run();

test("verify's exit status must match its results: a run killed on its way out does not pass", () => {
  const killed = { ...(lessons('trixie-plain', 'vagrant', ['pass', 'pass', 'pass'], [true, true, true]) as Extract<GuestLine, { t: 'lessons' }>), verifyRc: 137 };
  const skipped = { ...(lessons('trixie-plain', 'root', ['pass', 'skip', 'pass'], [true, false, true]) as Extract<GuestLine, { t: 'lessons' }>), verifyRc: 3 };
  const boot: BootResult = { boot: 'trixie', scenarios: [scenario('trixie-plain')], lines: [killed, residue('trixie-plain', 'vagrant'), skipped, residue('trixie-plain', 'root'), { t: 'done' }] };
  const [v, r] = judge([boot], ids).rows;
  assert.not.ok(v!.agree.ok);
  assert.match(v!.agree.detail, 'verify exited 137, where its results call for 0');
  assert.ok(r!.agree.ok, r!.agree.detail);
});
