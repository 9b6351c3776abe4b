// Exercise declarations are validated like experiments: each problem one message, at its line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateModule } from '../../src/lessons/validate.js';

const test = suite('exercise validation');
const experiment = { id: 'e', title: 'E', sandbox: { namespaces: ['mnt'] }, run: () => 0, checks: [{ id: 'c', expected: 'x', check: () => ({ pass: true, observed: '', evidence: [] }) }] };
const markers = [{ id: 'e', line: 3 }] as never;
const check = { id: 'k', expected: 'y', check: () => ({ pass: true, observed: '', evidence: [] }) };

const problems = (exercises: unknown) => validateModule({ default: { experiments: [experiment], exercises } }, markers, undefined, 10).problems.map((p) => p.message);

test('a complete exercise is accepted', () => {
  assert.equal(problems([{ id: 'x', title: 'X', task: 'do', hints: ['h'], checks: [check], solution: ['true'], nearMisses: [{ what: 'w', commands: ['false'], fails: ['k'] }] }]), []);
});

test('missing parts and unknown near-miss checks are named', () => {
  const msgs = problems([{ id: 'x', title: 'X', hints: 'no', checks: [], solution: [] , nearMisses: [{ what: 'w', commands: [], fails: ['nope'] }] }, { id: 'x', title: 'X', task: 't', hints: [], checks: [check], solution: ['a'], namespaces: ['bogus'] }]);
  assert.ok(msgs.some((m) => /needs a 'task'/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /'hints' must be a list/.test(m)));
  assert.ok(msgs.some((m) => /needs at least one check/.test(m)));
  assert.ok(msgs.some((m) => /needs 'solution'/.test(m)));
  assert.ok(msgs.some((m) => /names check "nope"/.test(m)));
  assert.ok(msgs.some((m) => /used twice/.test(m)));
  assert.ok(msgs.some((m) => /'namespaces' must list kinds/.test(m)));
  assert.ok(problems({}).some((m) => /'exercises' must be a list/.test(m)));
});

test.run();
