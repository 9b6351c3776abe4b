// Zero residue after SIGKILL at any moment: `nslab verify 10` (the cgroup lesson, which makes,
// fills and freezes cgroups) is started in a process group of its own and the whole group is
// SIGKILLed at ten moments, most of them chosen by state (the first sandbox, the first cgroup, a
// cgroup with members, a frozen one, the last experiment...), two by time. After each, with no
// nslab started again to sweep, nothing may remain: no process of the run (its janitor included),
// no cgroup of any of its processes, no mount on the host, no temp file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readStat } from '../../src/proc/index.js';
import { findOwnedCgroups, parseOwnedName, planCgroup } from '../../src/sandbox/index.js';
import { scaled } from '../../src/sandbox/time.js';
import { command, ROOT, tempHome } from '../cli/helpers.js';
import { testRootfs } from '../support/rootfs.js';
import { mountPoints as hostMountPoints } from '../support/residue.js';

const test = suite('SIGKILL of verify 10 at ten moments');
const home = tempHome();
test.after(() => home.cleanup());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const canMake = planCgroup(['pids', 'memory', 'freeze']).ok;

/** ppid, state and command line of every process, read from /proc. */
function processes(): Map<number, { ppid: number; state: string }> {
  const out = new Map<number, { ppid: number; state: string }>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const { state, ppid } = readStat(pid);
      out.set(pid, { state, ppid });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
};

// Only where nslab could mount: the suite's container lessons run podman beside this file, and
// its overlays come and go on the host meanwhile (the whole run's check still sees every mount).
const mountPoints = (): string[] => hostMountPoints('session');

/** What a watcher has seen of one run so far. */
interface Seen {
  /** Every process of the run: the CLI and everything it started, the janitor included. */
  tree: Map<number, string>;
  experimentsStarted: number;
  anyChild: boolean;
  cgroups: Set<string>;
  /** The highest sequence number in a seen cgroup's name (nslab-PID-N): at least that many were
   * made by its owner, even where one lived and went between two looks. */
  cgroupsMade: number;
  populated: boolean;
  frozen: boolean;
  janitor: boolean;
  elapsedMs: number;
}

function look(root: number, seen: Seen): void {
  const table = processes();
  const kids = new Map<number, number[]>();
  for (const [pid, p] of table) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), pid]);
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    // The run's own CLI is not in seen.tree; its children are compared with its command line.
    const parentCmd = seen.tree.get(pid) ?? cmdline(pid);
    for (const k of kids.get(pid) ?? []) {
      stack.push(k);
      // A process first seen between its fork and its exec showed its parent's command line:
      // read it again until it shows its own, or the janitor (exec'd after) is never recognised.
      // An empty one (read mid-exec, when the new image has no arguments yet) is read again too.
      const before = seen.tree.get(k);
      if (before !== undefined && before !== parentCmd && before !== '') continue;
      const cmd = cmdline(k);
      if (cmd === before) continue;
      seen.tree.set(k, cmd);
      seen.anyChild = true;
      // An experiment is one sandbox: a helper nslab itself runs (not one a sandbox runs) to start
      // the sandbox entry. Not the user-namespace probe (`-- /bin/true`, gone in a few ms, so seen
      // in one run and missed in the next: the count of the reference run could not be reached).
      if (/nslab-helper run .* -- \S*node\b.*(entry-stub\.cjs|sandbox\/entry\.)/.test(cmd) && !/nslab-helper/.test(parentCmd)) seen.experimentsStarted++;
      if (/nslab-helper janitor /.test(cmd)) seen.janitor = true;
    }
  }
  for (const c of findOwnedCgroups()) {
    if (c.owner !== root && !seen.tree.has(c.owner)) continue;
    const name = c.dir.split('/').pop()!;
    seen.cgroups.add(name);
    seen.cgroupsMade = Math.max(seen.cgroupsMade, parseOwnedName(name)?.n ?? 0);
    const read = (f: string) => {
      try {
        return readFileSync(join(c.dir, f), 'utf8').trim();
      } catch {
        return '';
      }
    };
    if (read('cgroup.procs')) seen.populated = true;
    if (read('freezer.state') === 'FROZEN' || read('cgroup.freeze') === '1') seen.frozen = true;
  }
}

interface Moment {
  name: string;
  reached: (s: Seen) => boolean;
}

/** One run, SIGKILLed (the whole group) at the moment, or run to the end when there is none.
 * Returns what was seen, whether the moment came before the run ended on its own, and what the
 * run left behind once everything it started has had time to die. */
async function runAndKill(moment: Moment | undefined, env: NodeJS.ProcessEnv) {
  const mountsBefore = mountPoints();
  const tmp = mkdtempSync(join(home.dir, 'tmp-'));
  const [node, ...rest] = command();
  const started = Date.now();
  const cli = spawn(node!, [...rest, 'verify', '10', '--json'], { cwd: ROOT, env: { ...env, TMPDIR: tmp }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  cli.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  cli.stderr!.resume();
  let exited = false;
  let exitMs = 0;
  const done = new Promise<void>((r) => cli.on('exit', () => ((exited = true), (exitMs = Date.now() - started), r())));
  const seen: Seen = { tree: new Map(), experimentsStarted: 0, anyChild: false, cgroups: new Set(), cgroupsMade: 0, populated: false, frozen: false, janitor: false, elapsedMs: 0 };
  let killed = false;
  const deadline = started + scaled(120_000);
  while (!exited && Date.now() < deadline) {
    seen.elapsedMs = Date.now() - started;
    look(cli.pid!, seen);
    if (moment?.reached(seen)) {
      process.kill(-cli.pid!, 'SIGKILL');
      killed = true;
      break;
    }
    await sleep(2);
  }
  if (!exited && !killed) process.kill(-cli.pid!, 'SIGKILL'); // hung: the assertions below say so
  await done;
  look(cli.pid!, seen);

  // Everything the run started must die and every cgroup of it go, without anyone's help.
  const leftovers = () => {
    const table = processes();
    return {
      processes: [...seen.tree].filter(([pid]) => table.has(pid) && table.get(pid)!.state !== 'Z').map(([pid, cmd]) => `${pid} ${cmd}`),
      cgroups: findOwnedCgroups()
        .filter((c) => c.owner === cli.pid || seen.tree.has(c.owner))
        .map((c) => c.dir),
    };
  };
  const until = Date.now() + scaled(15_000);
  let left = leftovers();
  while ((left.processes.length || left.cgroups.length) && Date.now() < until) {
    await sleep(20);
    left = leftovers();
  }
  const mounts = mountPoints().filter((m) => !mountsBefore.includes(m));
  // tsx keeps its compile cache in TMPDIR when the CLI runs from source: the loader's, not nslab's.
  const tempFiles = readdirSync(tmp).filter((f) => !(command().includes('tsx') && f.startsWith('tsx-')));
  rmSync(tmp, { recursive: true, force: true });
  return { seen, killed, stdout, ...left, mounts, tempFiles, exitMs };
}

type Run = Awaited<ReturnType<typeof runAndKill>>;

function assertClean(what: string, r: Run): void {
  assert.equal(r.processes, [], `${what}: no process of the run is left`);
  assert.equal(r.cgroups, [], `${what}: no cgroup of the run is left`);
  assert.equal(r.mounts, [], `${what}: no mount appeared on the host`);
  assert.equal(r.tempFiles, [], `${what}: no temp file is left`);
}

if (!canMake) console.log('SKIP SIGKILL of verify 10: no cgroup with pids, memory and a freezer can be made here (root, or a delegated cgroup v2 subtree)');
const cgTest = canMake ? test : test.skip;

let env: NodeJS.ProcessEnv = home.env;
let reference: Run | undefined;
/** How long an unhindered run takes until the CLI exits: the reference's, or less when a later
 * run ended on its own sooner (the machine got faster), so "two thirds" stays inside a run. */
let runLength = 0;
/** How many experiments the unhindered run says it ran: the watcher samples /proc, and on a
 * loaded machine a sandbox can live and die between two looks, so its own count may fall short. */
let experimentsRan = 5;

cgTest('an unhindered run passes and leaves nothing, its janitor included', async () => {
  // One shared rootfs, so no run builds its own (that cost is not what is under test here).
  env = { ...home.env, NSLAB_ROOTFS: await testRootfs() };
  reference = await runAndKill(undefined, env);
  runLength = reference.exitMs;
  const lesson = JSON.parse(reference.stdout).lessons[0];
  assert.is(lesson.status, 'pass', lesson.reason);
  experimentsRan = (lesson.experiments as { status: string }[]).filter((e) => e.status !== 'skip').length;
  assert.ok(experimentsRan >= 5, `${experimentsRan} experiments ran`);
  // Seeing sandboxes at all proves the watcher recognises them; it need not have caught every one.
  const seen = reference.seen.experimentsStarted;
  assert.ok(seen >= 1 && seen <= experimentsRan, `${seen} of ${experimentsRan} experiments seen`);
  assert.ok(reference.seen.janitor, 'a janitor was started before the first cgroup');
  assert.ok(reference.seen.cgroupsMade >= 3, `cgroups seen: ${[...reference.seen.cgroups].join(', ')}`);
  assertClean('after a normal exit', reference);
});

const moments: Moment[] = [
  { name: 'as soon as it is started', reached: () => true },
  { name: 'once it has started a first process', reached: (s) => s.anyChild },
  { name: 'once the first sandbox runs', reached: (s) => s.experimentsStarted >= 1 },
  { name: 'once its first cgroup exists', reached: (s) => s.cgroups.size >= 1 },
  { name: 'while a cgroup holds processes', reached: (s) => s.populated },
  { name: 'while a cgroup is frozen', reached: (s) => s.frozen },
  { name: 'once the third cgroup exists', reached: (s) => s.cgroupsMade >= 3 },
  { name: 'once the last experiment has started', reached: (s) => s.experimentsStarted >= experimentsRan },
  { name: 'at a third of an unhindered run', reached: (s) => s.elapsedMs >= runLength / 3 },
  { name: 'at two thirds of an unhindered run', reached: (s) => s.elapsedMs >= (runLength * 2) / 3 },
];

for (const m of moments)
  cgTest(`SIGKILL ${m.name}: nothing is left`, async () => {
    assert.ok(reference, 'the unhindered run came first');
    // A moment that comes and goes between two looks (a short freeze) is tried again: whether the
    // watcher caught it is not what is tested, what the kill leaves is.
    let r: Run | undefined;
    for (let attempt = 0; attempt < 3 && !r?.killed; attempt++) {
      r = await runAndKill(m, env);
      if (!r.killed && r.exitMs) runLength = Math.min(runLength, r.exitMs);
      assertClean(`SIGKILL ${m.name} (attempt ${attempt + 1})`, r);
    }
    assert.ok(r!.killed, `the run never reached the moment "${m.name}" in 3 tries`);
  });

test.run();
