import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateChecks, allPassed } from '../../src/check/index.js';
import type { ExperimentSpec } from '../../src/lessons/types.js';
import type { SandboxResult, OutsideView } from '../../src/sandbox/types.js';

interface Obs {
  hostname: string;
  uid: string;
}

const spec: Pick<ExperimentSpec<Obs>, 'checks'> = {
  checks: [
    {
      id: 'hostname',
      expected: "hostname is 'nslab'",
      check: (o) => ({ pass: o.hostname === 'nslab', observed: `'${o.hostname}'`, evidence: [`/proc/sys/kernel/hostname: ${o.hostname}`], hint: `got '${o.hostname}': the sandbox never set its hostname` }),
    },
    {
      id: 'root-inside',
      expected: 'uid 0 inside',
      check: (o) => ({ pass: o.uid.split('\t')[1] === '0', observed: o.uid, evidence: [o.uid], hint: 'not mapped to root' }),
    },
    {
      id: 'outside-seen',
      expected: 'the host saw the sandbox',
      check: (_o, outside) => {
        const v = outside.running?.[0];
        return { pass: v !== undefined, observed: v ? `pid ${v.pid}` : 'no view', evidence: v ? [`NSpid: ${v.pid} 1`] : [] };
      },
    },
  ],
};

const view = { pid: 4242, ns: {}, hostNs: {}, root: { dev: 1, ino: 2 }, hostRoot: { dev: 1, ino: 2 }, rootLink: '/', status: '', mountinfo: '' } satisfies OutsideView;

function result(over: Partial<SandboxResult<Obs>>): SandboxResult<Obs> {
  return { status: 'ok', observations: { hostname: 'nslab', uid: 'Uid:\t0\t0\t0\t0' }, trace: [], outside: { running: [view] }, exitCode: 0, signal: null, stderr: '', pid: 4242, durationMs: 12, ...over };
}

const Eval = suite('evaluateChecks');

Eval('all pass, with evidence and no hints', () => {
  const r = evaluateChecks(spec, result({}));
  assert.equal(r.map((c) => [c.id, c.pass]), [['hostname', true], ['root-inside', true], ['outside-seen', true]]);
  assert.equal(r[0], { id: 'hostname', expected: "hostname is 'nslab'", observed: "'nslab'", evidence: ['/proc/sys/kernel/hostname: nslab'], pass: true });
  assert.is(r[2].observed, 'pid 4242');
  assert.ok(allPassed(r));
});

Eval('a failing check carries its computed hint', () => {
  const r = evaluateChecks(spec, result({ observations: { hostname: 'buildbox', uid: 'Uid:\t1001\t1001\t1001\t1001' } }));
  assert.is(r[0].pass, false);
  assert.is(r[0].hint, "got 'buildbox': the sandbox never set its hostname");
  assert.equal(r[1].evidence, ['Uid:\t1001\t1001\t1001\t1001']);
  assert.not.ok(allPassed(r));
});

Eval('a check that throws fails alone and says why', () => {
  const r = evaluateChecks(spec, result({ observations: { hostname: 'nslab' } as Obs }));
  assert.is(r[0].pass, true);
  assert.is(r[1].pass, false);
  assert.match(r[1].observed, /^check threw TypeError: /);
  assert.match(r[1].hint!, /bug in the lesson/);
  assert.is(r[2].pass, true);
});

Eval('a check returning garbage or a Promise fails', () => {
  const odd = { checks: [
    { id: 'a', expected: 'x', check: () => 42 as never },
    { id: 'b', expected: 'x', check: (async () => ({ pass: true, observed: '', evidence: [] })) as never },
  ] };
  const r = evaluateChecks(odd, result({}));
  assert.equal(r.map((c) => c.pass), [false, false]);
  assert.match(r[0].observed, /not \{ pass, observed, evidence \}/);
  assert.match(r[1].observed, /Promise/);
});

Eval('a result that is not ok fails every check with the reason', () => {
  const r = evaluateChecks(spec, result({ status: 'error', observations: undefined, reason: 'unshare(CLONE_NEWUSER) failed: EPERM', trace: ['unshare(CLONE_NEWUSER) = -1 EPERM (Operation not permitted)'], stderr: 'boom\n', exitCode: 1 }));
  assert.is(r.length, 3);
  for (const c of r) {
    assert.is(c.pass, false);
    assert.is(c.observed, 'unshare(CLONE_NEWUSER) failed: EPERM');
    assert.equal(c.evidence, ['unshare(CLONE_NEWUSER) = -1 EPERM (Operation not permitted)', 'boom']);
    assert.ok(c.hint);
  }
  const t = evaluateChecks(spec, result({ status: 'timeout', observations: undefined, durationMs: 15000 }));
  assert.is(t[0].observed, 'the sandbox timed out after 15000 ms');
  const s = evaluateChecks(spec, result({ status: 'skip', observations: undefined, reason: 'needs cgroup2' }));
  assert.is(s[0].observed, 'skipped: needs cgroup2');
  assert.is(s[0].hint, undefined);
});

Eval('evidence is normalised: lines split, bigints shown in hex, long lists bounded', () => {
  const many = { checks: [{ id: 'm', expected: 'x', check: () => ({ pass: false, observed: 7n as unknown as string, evidence: ['a\nb', 0x1fn, ...Array.from({ length: 30 }, (_, i) => `line ${i}`)] as string[] }) }] };
  const [c] = evaluateChecks(many, result({}));
  assert.is(c.observed, '0x7');
  assert.equal(c.evidence.slice(0, 3), ['a', 'b', '0x1f']);
  assert.is(c.evidence.length, 12);
  assert.match(c.evidence[11], /^… 22 more lines$/);
  assert.is(c.hint, undefined);
});

Eval.run();
