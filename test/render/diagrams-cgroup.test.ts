// The cgroup-tree diagrams of lesson 10, drawn from real runs: the lesson's cgroup under its
// parent, its limit and counter files as read, and the members cgroup.procs listed, whose
// threads pids.current counts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { block, diagramOf, draw, isRoot, runFor, start } from './diagram-support.js';

const T = suite('cgroup-tree diagram');

T('pids: the limit, the counters, and the members whose threads add up to pids.current', async () => {
  const r = await runFor('10-cgroups', 'pids-limit');
  if (!r) return;
  const o = r.obs;
  const out = draw(diagramOf(r, 'cgroup-tree'), o);
  const lines = out.split('\n');
  assert.ok(o.dir.startsWith(`${lines[1]!.trim()}/`), `the parent directory: ${lines[1]}`);
  assert.ok(lines[2]!.includes(`${o.dir.split('/').pop()}  cgroup ${o.version}`), lines[2]);
  assert.match(out, new RegExp(`pids\\.max +${o.maxRead} +limit`));
  assert.match(out, new RegExp(`pids\\.current +${o.current} +counter`));
  assert.match(out, new RegExp(`pids\\.events, after the forks +${o.events.replace(/\n/g, ', ')} +counter`));
  assert.ok(o.procs.length >= 2, 'Node and the shell were listed');
  for (const m of o.procs) assert.ok(out.includes(`${m.pid} ${m.name}`), `${m.pid} ${m.name}`);
  const sum = o.procs.reduce((a: number, m: any) => a + m.threads, 0);
  assert.is(sum, o.current, 'the members\' threads are what pids.current counted');
  assert.match(out, new RegExp(`pids\\.current counts tasks: ${o.current} = \\d+ of \\S+ \\+ 1 of sh`));
});

T('memory: the limit read back and the counters that show the OOM kill', async () => {
  const r = await runFor('10-cgroups', 'memory-limit');
  if (!r) return;
  const o = r.obs;
  const out = draw(diagramOf(r, 'cgroup-tree'), o);
  assert.match(out, new RegExp(`${o.limitFile.split('/').pop().replace(/\./g, '\\.')} +${o.limitBytes} +limit`));
  for (const c of o.counters) {
    const name = c.path.split('/').pop();
    assert.ok(out.includes(name), name);
    // Values too long for the column go on their own line; either way they are all shown.
    assert.ok(out.replace(/\n\s+\|?\s+/g, ' ').includes(c.text.trim().split('\n').join(', ')), `${name}: ${c.text}\n${out}`);
  }
  assert.match(out, /oom_kill 1/);
});

T('nslab start 10 draws both', () => {
  const out = start('10');
  if (!isRoot && !out.includes("The lesson's cgroup")) return void console.log('  (lesson 10 skips here: no writable cgroup)');
  assert.match(block(out, "The lesson's cgroup, pids controller"), /pids\.current counts tasks: (\d+) = /);
  assert.match(block(out, "The lesson's cgroup after dd, memory controller"), /oom_kill 1/);
});

T.run();
