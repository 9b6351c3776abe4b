import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderCheckTable } from '../../src/render/table.js';
import { renderTrace, isFailure } from '../../src/render/trace.js';
import { visibleWidth } from '../../src/render/color.js';
import type { CheckResult } from '../../src/check/evaluate.js';

const results: CheckResult[] = [
  { id: 'hostname-inside', expected: "hostname reads 'nslab-hello' inside", observed: "'nslab-hello'", evidence: ['/proc/sys/kernel/hostname: nslab-hello'], pass: true },
  {
    id: 'uid-mapped',
    expected: 'uid 0 inside maps to 1001 outside',
    observed: 'Uid: 1001 1001 1001 1001',
    evidence: ['Uid:\t1001\t1001\t1001\t1001', '/proc/4242/uid_map: (empty) ' + 'x'.repeat(200)],
    pass: false,
    hint: 'uid_map is empty: nothing wrote it before the sandbox looked, so every id is the overflow id',
  },
];

const T = suite('check table');

T('shows expected, observed, evidence and the hint', () => {
  for (const color of [true, false]) {
    const out = renderCheckTable(results, { color, width: 80 });
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
    for (const text of ['check', 'expected', 'observed', 'hostname-inside', "'nslab-hello'", '/proc/sys/kernel/hostname: nslab-hello', 'uid-mapped', 'Uid:  1001  1001', 'hint:', 'nothing wrote it', '1/2 checks passed']) {
      assert.ok(plain.includes(text), `${text} in\n${plain}`);
    }
  }
});

T('NO_COLOR output is plain ASCII and fits the width', () => {
  const out = renderCheckTable(results, { color: false, width: 60 });
  assert.not.ok(out.includes('\x1b'));
  assert.ok(/^[\x0a\x20-\x7e]*$/.test(out), out);
  for (const line of out.split('\n')) assert.ok(visibleWidth(line) <= 60, `too wide (${visibleWidth(line)}): ${line}`);
  assert.match(out, /pass/);
  assert.match(out, /FAIL/);
});

T('colour marks failures', () => {
  const out = renderCheckTable(results, { color: true, width: 100 });
  assert.match(out, /\x1b\[31m/);
});

T.run();

const Tr = suite('trace');

const lines = ['# make / private first', 'mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL) = 0', 'unshare(CLONE_NEWUSER) = -1 EINVAL (Invalid argument)', 'unshare(CLONE_NEWNS) = 0 [threadpool]'];

Tr('failures are flagged, plain text without colour', () => {
  const out = renderTrace(lines, { color: false, width: 100 });
  assert.not.ok(out.includes('\x1b'));
  const rows = out.trimEnd().split('\n');
  assert.is(rows.length, 4);
  assert.ok(rows[2].startsWith('! unshare(CLONE_NEWUSER) = -1 EINVAL'));
  assert.ok(rows[1].startsWith('  mount('));
  assert.ok(isFailure(lines[2]));
  assert.not.ok(isFailure(lines[1]));
});

Tr('colour: calls, results, failures and notes styled', () => {
  const out = renderTrace(lines, { color: true, width: 100 });
  assert.match(out, /\x1b\[31m\x1b\[1m-1 EINVAL/);
  assert.match(out, /\x1b\[36m\x1b\[1mmount/);
  assert.match(out, /\x1b\[33m\[threadpool\]/);
});

Tr('limit keeps the last lines', () => {
  const out = renderTrace(lines, { color: false, limit: 2 });
  assert.match(out, /^  \.\.\. 2 earlier lines\n/);
  assert.is(out.trimEnd().split('\n').length, 3);
});

Tr.run();
