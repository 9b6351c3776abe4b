// The uid-steps diagrams of lesson 06, drawn from real runs: the Uid: line of a setuid-root
// program run by uid 1000 (and with no_new_privs, and from a nosuid mount), and of the process
// through seteuid, setresuid and the failed climb back.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { block, diagramOf, draw, runFor, start } from './diagram-support.js';

const T = suite('uid-steps diagram');
const ids = (line: string) => line.split(/\s+/).slice(1).join(' ');
/** The four id columns of each row (under real, eff, saved, fs in the header), stars dropped. */
function idRows(out: string, n: number): string[] {
  const [, header, ...rows] = out.split('\n');
  const from = header!.indexOf('real') - 2;
  return rows.slice(0, n).map((row) => row.slice(from, header!.length).replace(/\*/g, '').trim().split(/\s+/).join(' '));
}

T('setuid exec: each row is the Uid: line /proc showed, the setuid one marked as changed', async () => {
  const r = await runFor('06-setuid', 'setuid-exec');
  if (!r) return;
  const out = draw(diagramOf(r, 'uid-steps'), r.obs);
  const rows = out.split('\n').slice(2, 6);
  const seen = [r.obs.caller, r.obs.plain.uid, r.obs.nnp.uid, r.obs.onNosuid.uid].map(ids);
  assert.equal(idRows(out, 4), seen, out);
  assert.equal(seen, ['1000 1000 1000 1000', '1000 0 0 0', '1000 1000 1000 1000', '1000 1000 1000 1000']);
  assert.match(rows[1]!, /^  execve runas +1000 +0\* +0\* +0\* +root, real 1000$/);
  assert.match(rows[2]!, /unchanged$/);
  assert.match(rows[3]!, /unchanged$/);
});

T('the drops: seteuid keeps a 0 to climb back to, setresuid leaves none', async () => {
  const r = await runFor('06-setuid', 'drop-privileges');
  if (!r) return;
  const out = draw(diagramOf(r, 'uid-steps'), r.obs);
  const rows = out.split('\n').slice(2, 7);
  const { start: s0, a, b } = r.obs;
  assert.equal(idRows(out, 5), [s0, a.uid, a.uidAfterClimb, b.uid, b.now].map(ids), out);
  assert.match(rows[1]!, /^  seteuid\(1000\) = 0 .*may seteuid\(0\)$/);
  assert.match(rows[3]!, /^  setresuid\(1000, 1000, 1000\) = 0 .*no way back to 0$/);
  assert.match(rows[4]!, /^  setresuid\(0, 0, 0\) = -1 EPERM .*unchanged$/);
});

T('a seteuid-only drop (the sabotage): the diagram shows the way back to root', async () => {
  const r = await runFor('06-setuid', 'drop-privileges', { partBWithSeteuid: true });
  if (!r) return;
  const rows = draw(diagramOf(r, 'uid-steps'), r.obs).split('\n').slice(2, 7);
  assert.match(rows[3]!, /^  seteuid\(1000\) = 0 .*may seteuid\(0\)$/);
  assert.match(rows[4]!, /^  setresuid\(0, 0, 0\) = 0 +0 +0\* +0 +0\* +root$/);
});

T('nslab start 6 draws both', () => {
  const out = start('6');
  if (/skip/i.test(out) && !out.includes('Uid: through the two drops')) return void console.log('  (lesson 06 skips here: no uid range)');
  assert.match(block(out, 'Uid: of uid 1000 running /tmp/suid/runas (mode 4755, owner 0)'), /execve runas +1000 +0\* +0\* +0\*/);
  assert.match(block(out, 'Uid: through the two drops'), /setresuid\(0, 0, 0\) = -1 EPERM +1000 +1000 +1000 +1000 /);
});

T.run();
