// experiment() with checks written as a function of the `check` builder: the engine gets a plain
// array of checks, and each judges real observations (this process's own NoNewPrivs line).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { experiment, statusIs } from '../../src/kit/index.js';

const test = suite('kit experiment');

test('checks as a function become an array of checks that judge the observations', () => {
  const spec = experiment({
    id: 'own-status',
    title: 'this process',
    sandbox: { namespaces: ['mnt'] },
    run: async () => ({ status: readFileSync('/proc/self/status', 'utf8') }),
    checks: (check) => [
      check('has-uid', 'a Uid: line', (o) => ({ pass: /^Uid:/m.test(o.status), observed: 'Uid', evidence: [], hint: 'no Uid: line' })),
      statusIs('nnp-is-9', 'NoNewPrivs: 9', (o) => ({ who: 'the test', status: o.status, key: 'NoNewPrivs', want: '9' })),
    ],
    sabotage: [],
  });
  assert.ok(Array.isArray(spec.checks));
  assert.equal(spec.checks.map((c) => c.id), ['has-uid', 'nnp-is-9']);
  const obs = { status: readFileSync('/proc/self/status', 'utf8') };
  assert.is(spec.checks[0]!.check(obs, {}).pass, true);
  const nnp = spec.checks[1]!.check(obs, {});
  assert.is(nnp.pass, false);
  assert.match(nnp.hint!, /the test shows NoNewPrivs: [01], not 9/);
});

test('checks given as an array are handed back as they are', () => {
  const checks = [{ id: 'a', expected: 'x', check: () => ({ pass: true, observed: '', evidence: [] }) }];
  const spec = experiment({ id: 'plain', title: 't', sandbox: { namespaces: ['mnt'] }, run: async () => ({}), checks, sabotage: [] });
  assert.is(spec.checks, checks);
});

test.run();
