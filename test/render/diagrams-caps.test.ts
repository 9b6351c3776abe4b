// The cap-exec diagram of lesson 05's setcap experiment, drawn from a real run: the caller's
// sets, the file's security.capability, what the rules of capabilities(7) give, and what /proc
// showed for the running ping, which must agree.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { capsAfterExec, hex } from '../../src/render/diagrams-caps.js';
import { block, diagramOf, draw, runFor, start } from './diagram-support.js';

const T = suite('cap-exec diagram');
const NET_RAW = 1n << 13n;
const SETS = ['inheritable', 'permitted', 'effective', 'bounding', 'ambient'] as const;

T('after setcap cap_net_raw+ep: the rules give exactly what ping had, CAP_NET_RAW', async () => {
  const r = await runFor('05-capabilities', 'file-caps-ping');
  if (!r) return;
  const run = r.obs.after;
  assert.ok(run.seen, 'the second ping was seen running');
  assert.equal(run.file && { p: run.file.mask, e: run.file.effective }, { p: NET_RAW, e: true }, 'the file carries cap_net_raw+ep');
  // The rules over the observed inputs give the observed outputs.
  assert.equal(capsAfterExec(run.caller, { permitted: run.file.mask, inheritable: run.file.inheritable, effective: true }), run.seen.sets);
  const out = draw(diagramOf(r, 'cap-exec'), r.obs);
  assert.match(out, /P'\(permitted\) += \(P\(inheritable\) & F\(inheritable\)\) \|/);
  const second = out.slice(out.indexOf('second run'));
  for (const k of SETS) {
    const row = second.split('\n').find((l) => l.startsWith(`  ${k} `))!;
    const cells = row.trim().split(/\s+/);
    // set, P (or 'unused'), [F], by rule, seen, mark
    assert.is(cells.at(-2), hex(run.seen.sets[k]), `${k}: ${row}`);
    assert.is(cells.at(-3), hex(run.seen.sets[k]), `${k} by the rules: ${row}`);
    assert.is(cells.at(-1), 'ok', row);
  }
  assert.match(second, /effective set: CAP_NET_RAW; permitted: CAP_NET_RAW/);
  assert.match(second.split('\n').find((l) => l.startsWith('  permitted'))!, / 0x2000 /);
});

T('before setcap the file has no F, and the rules leave ping nothing', async () => {
  const r = await runFor('05-capabilities', 'file-caps-ping');
  if (!r) return;
  const out = draw(diagramOf(r, 'cap-exec'), r.obs);
  const first = out.slice(out.indexOf('first run'), out.indexOf('second run'));
  assert.is(r.obs.before.file, null, 'no security.capability before setcap');
  assert.match(first, /F \(none\)/);
  assert.match(first.split('\n').find((l) => l.startsWith('  effective'))!, /unused +- +0x0 /);
  if (r.obs.before.seen) assert.equal(r.obs.before.seen.sets.effective, 0n, 'and /proc agreed: an empty CapEff');
  else assert.match(first, /exited before \/proc was read; by the rules, effective: \(none\)/);
});

T('the rules: inheritable and ambient get past the bounding set, a file permitted bit does not', () => {
  const P = { inheritable: NET_RAW, permitted: 0n, effective: 0n, bounding: 0n, ambient: 0n };
  assert.is(capsAfterExec(P, { permitted: NET_RAW, inheritable: NET_RAW, effective: true }).permitted, NET_RAW);
  assert.is(capsAfterExec(P, { permitted: NET_RAW, inheritable: 0n, effective: true }).permitted, 0n);
  assert.equal(capsAfterExec({ ...P, ambient: NET_RAW }, null), { ...P, permitted: NET_RAW, effective: NET_RAW, ambient: NET_RAW });
  assert.is(capsAfterExec({ ...P, ambient: NET_RAW }, { permitted: 0n, inheritable: 0n, effective: false }).ambient, 0n, 'a privileged file clears ambient');
});

T('nslab start 5 draws it', () => {
  const b = block(start('5'), 'Capabilities through execve');
  assert.match(b, /second run: ping/);
  assert.match(b, /  permitted +unused +0x2000 +0x2000 +0x2000 +ok/);
});

T.run();
