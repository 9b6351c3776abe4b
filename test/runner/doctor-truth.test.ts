// doctor tells the truth: a lesson it calls runnable is one `verify` passes on this machine,
// and one it calls not runnable is one verify does not pass (skipped, with a reason). And what
// a learner sees of an experiment that throws is a sentence and the trace, never stack frames.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { cli } from '../support/lesson-suite.js';
import { ROOT, tempHome } from '../cli/helpers.js';
import { settledDiff, snapshotHost } from '../support/residue.js';

const test = suite('doctor vs verify');
const FRAME = /^\s+at \S.*:\d+:\d+\)?$/m;
const before = snapshotHost();

test("every lesson: doctor's runnable is exactly verify's pass", async () => {
  const home = tempHome();
  const doctor = await cli(['doctor', '--json'], home.env);
  assert.ok(doctor.json, `doctor --json printed no JSON: ${doctor.stdout.slice(0, 300)} ${doctor.stderr.slice(0, 300)}`);
  const verify = await cli(['verify', '--json'], home.env, 600_000);
  assert.ok(verify.json, `verify --json printed no JSON: ${verify.stderr.slice(-500)}`);
  const said = new Map<string, { runnable: boolean; reason?: string }>(doctor.json.lessons.map((l: any) => [l.id, l]));
  const disagree: string[] = [];
  for (const l of verify.json.lessons as { id: string; status: string; reason?: string }[]) {
    const d = said.get(l.id);
    assert.ok(d, `doctor does not list ${l.id}`);
    if (d!.runnable !== (l.status === 'pass'))
      disagree.push(`${l.id}: doctor says ${d!.runnable ? 'can run' : `cannot run (${d!.reason})`}, verify says ${l.status}${l.reason ? ` (${l.reason})` : ''}`);
  }
  assert.equal(disagree, [], disagree.join('\n'));
  assert.is(said.size, verify.json.lessons.length);
  assert.not.match(verify.stdout + verify.stderr, FRAME, 'no stack frame in what verify prints');
  home.cleanup();
});

test('an experiment that throws: one sentence and the trace; frames only with NSLAB_DEBUG=1', async () => {
  const home = tempHome();
  const lessons = join(ROOT, 'test', 'fixtures', 'lessons', 'throws');
  const plain = await cli(['--lessons', lessons, 'verify', '1'], home.env);
  const out = plain.stdout + plain.stderr;
  assert.is(plain.status, 1, out);
  assert.match(out, /ENOENT: no such file or directory, copyfile '\/nonexistent\/nslab-fixture'/);
  assert.match(out, '# copy a file that is not there', 'the trace is shown');
  assert.not.match(out, FRAME, `a stack frame reached the learner:\n${out}`);
  const debug = await cli(['--lessons', lessons, 'verify', '1'], { ...home.env, NSLAB_DEBUG: '1' });
  assert.match(debug.stdout + debug.stderr, FRAME, 'NSLAB_DEBUG=1 shows where it threw');
  home.cleanup();
});

test('nothing is left on the host', async () => {
  assert.equal(await settledDiff(before), [], 'residue');
});

test.run();
