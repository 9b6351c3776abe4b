// Lesson 10 end to end through the real engine and CLI (test/support/lesson-suite.ts): it runs
// as root; unprivileged it skips with the true reason unless a cgroup is delegated to us. The
// v1 interfaces work where the machine has them, and a SIGKILL of nslab mid-lesson leaves no
// nslab-<deadpid>-* cgroup: nslab's janitor removes them as it dies, with no later start to sweep.
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { loadLesson } from '../../src/lessons/loader.js';
import { cgroupLayout } from '../../src/proc/index.js';
import { runOne } from '../../src/runner/experiment.js';
import { Requirements } from '../../src/runner/requirements.js';
import { ensureRootfs } from '../../src/rootfs/index.js';
import { findOwnedCgroups, runExperiment } from '../../src/sandbox/index.js';
import { scaled } from '../../src/sandbox/time.js';
import { ROOT } from '../cli/helpers.js';
import { isRoot, lessonSuite, skipWithout } from '../support/lesson-suite.js';

const ID = '10-cgroups';
const requirements = new Requirements();
const owned = (pid: number) => findOwnedCgroups().filter((c) => c.owner === pid);

const test = lessonSuite({
  id: ID,
  skip: skipWithout('cgroup', /writable|delegat/),
  checks: 10,
  sabotages: { atLeast: 8 },
  kill: {
    ready: { what: 'the lesson made a cgroup owned by the nslab process', test: (pid) => owned(pid).length > 0, timeoutMs: 10_000 },
    async after(pid) {
      // A deadline, not a delay: the janitor is done as soon as the members have died.
      for (const until = Date.now() + scaled(10_000); owned(pid).length && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
      assert.equal(
        owned(pid).map((c) => c.dir),
        [],
        'no cgroup outlives the SIGKILL: the janitor removed them',
      );
    },
  },
});

async function lesson() {
  const { lesson: l, errors } = await loadLesson(join(ROOT, 'lessons', ID));
  assert.equal(errors, [], 'the lesson loads');
  return l!;
}

test('where v1 hierarchies exist, the freezer.state and v1 namespace paths work as well', async () => {
  const layout = cgroupLayout();
  if (!isRoot || !layout.v1.freezer || !layout.v1.pids) return;
  const l = await lesson();
  for (const id of ['freeze', 'cgroup-namespace']) {
    const i = l.module.experiments.findIndex((e) => e.id === id);
    const o = await runOne(l, i, { requirements, args: { preferV1: true } });
    const failing = o.checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.observed} (${c.hint})`);
    assert.is(o.status, 'pass', `${id} on v1: ${o.reason}\n${failing.join('\n')}`);
    assert.ok(o.checks.some((c) => /freezer\.state|:pids:/.test(c.evidence.join('\n'))), `${id} used the v1 files`);
  }
});

test('unprivileged, past the doctor, the experiment itself skips with the true reason', async () => {
  if (isRoot) return;
  const l = await lesson();
  let rootfs: string;
  try {
    rootfs = await ensureRootfs();
  } catch {
    return;
  }
  const spec = l.module.experiments[0]!;
  const r = await runExperiment(
    { module: l.modulePath, path: ['default', 'experiments', 0, 'run'] },
    { namespaces: spec.sandbox.namespaces, rootfs, pivot: false, outside: spec.outside },
  );
  if (r.status === 'ok') return; // this machine delegates a cgroup to us: nothing to skip
  assert.is(r.status, 'skip', `${r.reason}\n${r.stderr}`);
  assert.match(r.reason!, /delegation is missing|not writable|no .* cgroup .* writable/);
});

test.run();
