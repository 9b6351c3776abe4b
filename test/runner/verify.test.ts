// The verify report's exit status and JUnit rendering, from a hand-made report.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toJUnit, verifyExitCode, type VerifyReport } from '../../src/runner/verify.js';
import { parseXml, all } from '../cli/xml.js';

const test = suite('verify report');
const env = { schemaVersion: 2, node: 'v20', kernel: '6.1', arch: 'x64', uid: 0, root: true, checks: [], requirements: {}, ok: true, findings: [] };
const report = (over: Partial<VerifyReport>): VerifyReport => ({ nslab: '0.1.0', environment: env, lessons: [], passed: 0, failed: 0, skipped: 0, ...over });

test('exit status: 0 all passed, 1 any failure, 3 skipped without failures', () => {
  assert.is(verifyExitCode(report({ passed: 3 })), 0);
  assert.is(verifyExitCode(report({ passed: 1, failed: 1, skipped: 1 })), 1);
  assert.is(verifyExitCode(report({ passed: 1, skipped: 1 })), 3);
});

test('JUnit escapes markup and drops terminal escapes and control characters', () => {
  const xml = toJUnit(
    report({
      failed: 1,
      lessons: [
        {
          id: '09-x',
          title: 'A <b> & "c"',
          status: 'fail',
          reason: 'r',
          durationMs: 10,
          checks: [{ id: 'c1', experiment: 'e', expected: '<x>', observed: '\x1b[31mred\x1b[39m\x07', evidence: "a'b\nc&d", pass: false, hint: 'h<' }],
          experiments: [{ id: 'e', title: 'E', status: 'fail', reason: 'r', durationMs: 10, checks: ['c1'] }],
        },
        { id: '10-broken', title: '10-broken', status: 'fail', reason: 'lesson.md:3: bad', durationMs: 0, checks: [], experiments: [] },
      ],
    }),
  );
  const x = parseXml(xml);
  const f = all(x, 'failure');
  assert.is(f.length, 2);
  assert.is(f[0]!.attrs.message, 'h<');
  assert.match(f[0]!.text, 'observed: red\n');
  assert.match(f[0]!.text, "a'b\nc&d");
  assert.is(all(x, 'property').find((p) => p.attrs.name === 'title')!.attrs.value, 'A <b> & "c"');
  assert.is(f[1]!.attrs.message, 'lesson.md:3: bad');
  assert.is(x.attrs.failures, '2');
});

test.run();
