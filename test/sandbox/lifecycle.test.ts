// Sandboxes die whole: on timeout, on SIGKILL of whoever started them, with or without a PID
// namespace, and leave nothing on the host. Results are structured, never parsed stdout.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runExperiment } from '../../src/sandbox/index.js';
import { scaled } from '../../src/sandbox/time.js';
import { settledDiff, snapshotHost } from '../support/residue.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'experiments.ts');
const ref = (name: string, args?: unknown) => ({ module: fixtures, path: [name], args });
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

const life = suite('lifecycle');

life('observations come back as structured data, args go in', async () => {
  const r = await runExperiment<{ doubled: number }>(ref('withArgs', { n: 21 }), { namespaces: ['uts'] });
  assert.is(r.status, 'ok', r.reason);
  assert.equal(r.observations, { doubled: 42 });
});

life('an experiment that throws is an error with its message and the trace so far', async () => {
  const r = await runExperiment(ref('failing'), { namespaces: ['mnt'] });
  assert.is(r.status, 'error');
  assert.is(r.reason, 'deliberate failure');
  assert.match(r.trace.join('\n'), /^mount\(NULL, "\/nonexistent-nslab", NULL, 0, NULL\) = -1 E/m);
});

life('a background program killed by a signal reports that signal', async () => {
  const r = await runExperiment<{ exit: { code: number | null; signal: string | null } }>(ref('backgroundSignal'), { namespaces: ['pid'] });
  assert.is(r.status, 'ok', r.reason);
  assert.equal(r.observations!.exit, { code: null, signal: 'SIGTERM' });
});

life('ctx.skip becomes a skip with the reason', async () => {
  const r = await runExperiment(ref('skipping'), { namespaces: ['uts'] });
  assert.is(r.status, 'skip');
  assert.is(r.reason, 'this machine has no such thing');
});

life('failing syscalls come back with the errno name in the trace', async () => {
  const r = await runExperiment<{ errno: string }>(ref('traced'), { namespaces: ['mnt'] });
  assert.is(r.status, 'ok', r.reason);
  assert.is(r.observations!.errno, 'ENOENT');
  assert.ok(r.trace.includes('pivot_root("/nonexistent-a", "/nonexistent-b") = -1 ENOENT (No such file or directory)'), r.trace.join('\n'));
});

life('a hung experiment is killed at its timeout and its PID namespace goes with it', async () => {
  const before = snapshotHost();
  const r = await runExperiment(ref('hang'), { namespaces: ['pid'], timeoutMs: 1500 });
  assert.is(r.status, 'timeout');
  assert.ok(r.pid > 0);
  assert.not.ok(alive(r.pid), `sandbox ${r.pid} still alive`);
  assert.equal(await settledDiff(before), []);
});

life('an experiment stranded on a promise nothing can settle ends at once with that reason', async () => {
  const r = await runExperiment(ref('stranded'), { namespaces: ['pid'], timeoutMs: 60_000 });
  assert.is(r.status, 'error', 'not a timeout: nothing was left running to wait for');
  assert.match(r.reason ?? '', /never finished: it awaits a promise that nothing/);
});

life('a decoy started by the experiment dies with it when it is SIGKILLed, even without a PID namespace', async () => {
  const before = snapshotHost();
  let decoy = -1;
  const r = await runExperiment(ref('decoyThenHang'), {
    namespaces: ['uts'],
    timeoutMs: 30_000,
    outside: (_label, views, sandboxPid) => {
      decoy = views[0]!.pid;
      assert.ok(alive(decoy), 'the decoy runs while the sandbox does');
      // Mid-experiment, the sandbox's first process is killed outright: no cleanup code runs.
      process.kill(sandboxPid, 'SIGKILL');
    },
  });
  assert.is(r.status, 'error');
  assert.match(r.reason!, /exited \(137\) without reporting/);
  assert.ok(decoy > 0, 'the host saw the decoy');
  assert.equal(await settledDiff(before), [], `decoy ${decoy}`);
});

life('outside views map inside PIDs to host PIDs through NSpid; data goes to the hook, its result comes back', async () => {
  const r = await runExperiment<{ decoyPid: number; hostDecoyPid: number; hook: unknown }>(ref('decoyAndReturn'), {
    namespaces: ['pid'],
    outside: (_label, views, _pid, data) => ({ seen: views.map((v) => /^Name:\s+(\S+)/m.exec(v.status)?.[1]), data }),
  });
  assert.is(r.status, 'ok', r.reason);
  const obs = r.observations!;
  assert.ok(obs.decoyPid > 1 && obs.decoyPid < 100, `inside PID ${obs.decoyPid}`);
  assert.is.not(obs.hostDecoyPid, obs.decoyPid);
  assert.equal(obs.hook, { seen: ['sleep'], data: { port: 8080 } });
});

life('SIGKILL of the process that started a sandbox mid-experiment leaves nothing behind', async () => {
  const before = snapshotHost();
  // A separate Node process runs a sandbox with a decoy, then is SIGKILLed as nslab would be.
  const script = `
    import { runExperiment } from ${JSON.stringify(join(import.meta.dirname, '../../src/sandbox/index.ts'))};
    runExperiment({ module: ${JSON.stringify(fixtures)}, path: ['decoyThenHang'] },
      { namespaces: ['mnt'], timeoutMs: 60000, outside: () => { console.log('decoy-up'); } });
  `;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the sandbox never started')), scaled(20_000));
    parent.stdout.on('data', (d) => {
      if (String(d).includes('decoy-up')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  parent.kill('SIGKILL');
  assert.equal(await settledDiff(before, 5000), []);
});

life.run();
