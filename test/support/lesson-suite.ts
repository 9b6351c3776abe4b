// The standard end-to-end tests of one lesson, through the real engine and the real CLI: it
// loads with a prediction, commands and a sabotage for every check; `verify` passes (or, where
// the file says so, skips with the true reason); `selftest` proves every check can fail; the
// lesson can be taken start to finish; a SIGKILL of nslab mid-lesson leaves nothing behind; and
// nothing is left on the host after the file. A lesson file adds its own tests to the returned
// suite before `.run()`; the final host check always runs last.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLesson, type LoadedLesson } from '../../src/lessons/loader.js';
import { readCmdline, readNs } from '../../src/proc/index.js';
import type { Requirement } from '../../src/lessons/types.js';
import { Requirements } from '../../src/runner/requirements.js';
import type { SelftestLesson } from '../../src/runner/selftest.js';
import type { VerifyLesson } from '../../src/runner/verify.js';
import { descendants, findOwnedCgroups } from '../../src/sandbox/index.js';
import { command, ROOT, tempHome } from '../cli/helpers.js';
import { settledDiff, snapshotHost } from './residue.js';
import { seedRootfs } from './rootfs.js';
import { scaled } from '../../src/sandbox/time.js';

export const isRoot = process.geteuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CliRun {
  pid: number;
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed, or null when it is not JSON. */
  json: any;
}

/** Runs nslab to completion without blocking the event loop (so a watcher can sample the host
 * meanwhile). timeout is for a reference machine; it scales with this one. */
export function cli(args: string[], env: NodeJS.ProcessEnv, timeout = 180_000): Promise<CliRun> {
  const [node, ...rest] = command();
  const child = spawn(node!, [...rest, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), scaled(timeout));
  return new Promise((done) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      let json: any = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* the caller reports it */
      }
      done({ pid: child.pid!, status, stdout, stderr, json });
    }),
  );
}

/** Every descendant of pid with its command line. */
export function descendantCommands(pid: number): { pid: number; cmd: string }[] {
  return descendants(pid).flatMap((p) => {
    try {
      return [{ pid: p, cmd: readCmdline(p).join(' ') }];
    } catch {
      return []; // exited meanwhile
    }
  });
}

/** True when some descendant of pid is in another mount namespace: an experiment is running. */
export function sandboxUnder(pid: number): boolean {
  const mine = readNs('self').mnt?.link;
  return descendants(pid).some((p) => {
    try {
      return readNs(p).mnt?.link !== mine;
    } catch {
      return false; // exited meanwhile
    }
  });
}

export const netDevices = (): string[] => readdirSync('/sys/class/net').sort();

/** Samples the host's interfaces while fn runs; every name seen that was not there before. */
export async function watchInterfaces<T>(fn: () => Promise<T>): Promise<{ result: T; appeared: string[] }> {
  const before = new Set(netDevices());
  const appeared = new Set<string>();
  let running = true;
  const sampler = (async () => {
    while (running) {
      for (const d of netDevices()) if (!before.has(d)) appeared.add(d);
      await sleep(10);
    }
  })();
  try {
    const result = await fn();
    return { result, appeared: [...appeared] };
  } finally {
    running = false;
    await sampler;
  }
}

export type Count = number | { atLeast: number };

function assertCount(what: string, n: number, want: Count | undefined): void {
  if (want === undefined) return;
  if (typeof want === 'number') assert.is(n, want, `${n} ${what}, expected ${want}`);
  else assert.ok(n >= want.atLeast, `${n} ${what}, expected at least ${want.atLeast}`);
}

export interface LessonSuiteOptions {
  id: string;
  /** Unprivileged, whether the lesson must skip rather than pass here, and the reason it must
   * give. As root it always runs. Default: it never skips. */
  skip?: { expected: () => boolean | Promise<boolean>; reason: RegExp };
  /** Optional experiments that skip on this machine (the lesson still passes), with the reason. */
  optional?: { experiment: string; skips: () => boolean; reason: RegExp }[];
  /** How many checks a verify run that ran reports: exactly n, or at least. */
  checks?: Count;
  /** How many sabotage cases a selftest that ran passed: exactly n, or at least. */
  sabotages?: Count;
  /** Further assertions on a verify run that ran (not skipped). */
  verified?: (lesson: VerifyLesson) => void;
  /** Further assertions on a selftest that ran (not skipped). */
  selftested?: (lesson: SelftestLesson) => void;
  /** Sample /sys/class/net during verify and selftest, and compare it around the SIGKILL: no
   * interface may show up in the host's network namespace. */
  hostInterfaces?: boolean;
  kill?: {
    /** When to kill nslab: once a process whose command line holds this string runs under it,
     * or once test says so. Default: once a sandbox runs under it. */
    ready?: string | { what: string; test: (cliPid: number) => boolean; timeoutMs?: number };
    /** Further assertions once the killed nslab's processes are gone. */
    after?: (cliPid: number) => void | Promise<void>;
  };
}

/** Unprivileged, the lesson skips exactly where the doctor finds req missing, with this reason. */
export function skipWithout(req: Requirement, reason: RegExp): NonNullable<LessonSuiteOptions['skip']> {
  return { expected: async () => !(await new Requirements().check(req)).ok, reason };
}

/** A lesson that makes network interfaces: none may ever show up on the host, and it runs
 * wherever user namespaces do. */
export const NETWORK_LESSON = { skip: skipWithout('userns', /user namespaces are unavailable/), hostInterfaces: true } satisfies Partial<LessonSuiteOptions>;

export function lessonSuite(opts: LessonSuiteOptions): Test {
  const { id } = opts;
  const test = suite(`lesson ${id}`);
  const before = snapshotHost();
  const home = tempHome();
  // The rootfs these lessons need, ready: building it is test/rootfs's subject, not theirs.
  test.before(() => seedRootfs(home.env));
  test.after(() => home.cleanup());

  let skipping: Promise<boolean> | undefined;
  const expectSkip = (): Promise<boolean> => (skipping ??= (async () => !isRoot && !!opts.skip && (await opts.skip.expected()))());
  const optionalSkips = (opts.optional ?? []).filter((o) => o.skips());
  const mayWatch = <T>(fn: () => Promise<T>): Promise<{ result: T; appeared: string[] }> =>
    opts.hostInterfaces ? watchInterfaces(fn) : fn().then((result) => ({ result, appeared: [] }));

  async function lesson(): Promise<LoadedLesson> {
    const { lesson: l, errors } = await loadLesson(join(ROOT, 'lessons', id));
    assert.equal(errors, [], errors.map((e) => e.message).join('\n'));
    return l!;
  }

  /** One CLI run with its report for this lesson; it leaves no process, mount or cgroup. */
  async function report(what: 'verify' | 'selftest'): Promise<{ run: CliRun; lesson: any }> {
    const snap = snapshotHost();
    const { result: run, appeared } = await mayWatch(() => cli([what, id, '--json'], home.env));
    assert.ok(run.json, `no JSON from ${what} (status ${run.status}): ${run.stderr}`);
    const lesson = run.json.lessons.find((l: any) => l.id === id);
    assert.ok(lesson, `${what} reported no lesson ${id}`);
    assert.equal(appeared, [], 'no interface appeared in the host namespace');
    assert.equal(await settledDiff(snap), [], `no process, mount or hostname left by ${what}`);
    // Its owner has exited, so the session snapshot no longer watches its cgroups: ask by pid.
    assert.equal(findOwnedCgroups().filter((c) => c.owner === run.pid), [], `no cgroup left by ${what}`);
    return { run, lesson };
  }

  test('loads: every experiment has commands, some a prediction, and each check can be sabotaged', async () => {
    const l = await lesson();
    assert.is(l.meta.id, id);
    const checks = l.module.experiments.flatMap((e) => e.checks);
    assert.ok(checks.length >= 3, `${checks.length} checks`);
    assert.ok(l.module.experiments.some((e) => e.predict), 'at least one prediction');
    for (const e of l.module.experiments) {
      assert.ok(e.commands?.length, `${e.id}: commands a learner would type`);
      const sabotaged = new Set((e.sabotage ?? []).flatMap((s) => s.fails));
      for (const c of e.checks) assert.ok(sabotaged.has(c.id), `${e.id}/${c.id} is in no sabotage's fails`);
    }
  });

  test(isRoot ? 'verify passes as root, each check with evidence' : 'verify as an unprivileged user', async () => {
    const { run, lesson: v } = await report('verify');
    if (await expectSkip()) {
      assert.is(v.status, 'skip', v.reason);
      assert.match(v.reason, opts.skip!.reason);
      assert.is(run.status, 3, 'a skipped lesson exits 3');
      return;
    }
    const failed = v.checks.filter((c: any) => !c.pass).map((c: any) => `${c.experiment}/${c.id}: ${c.observed} (${c.hint})`);
    assert.equal(failed, [], v.reason);
    assert.is(v.status, 'pass', v.reason);
    assert.is(run.status, 0);
    for (const c of v.checks) assert.ok(c.evidence.trim().length > 0, `${c.experiment}/${c.id} shows evidence`);
    for (const e of v.experiments) {
      const optional = optionalSkips.find((o) => o.experiment === e.id);
      if (!optional) {
        assert.is(e.status, 'pass', `${e.id}: ${e.reason}`);
        continue;
      }
      // Optional and unavailable here: skipped visibly, with its reason in the lesson's.
      assert.is(e.status, 'skip', `${e.id} is optional and cannot run here`);
      assert.match(e.reason, optional.reason);
      assert.ok(v.reason.includes(`${e.id} (optional): `), v.reason);
      assert.match(v.reason, optional.reason);
    }
    assertCount('checks', v.checks.length, opts.checks);
    opts.verified?.(v);
  });

  test('selftest: as written passes; every sabotage fails the checks it names, with a hint; none never fails', async () => {
    const { run, lesson: r } = await report('selftest');
    const mayskip = new Set(optionalSkips.map((o) => o.experiment));
    const bad = r.cases
      .filter((c: any) => c.status === 'fail' || (c.status === 'skip' && !mayskip.has(c.experiment)))
      .map((c: any) => `${c.experiment} [${c.what}]: ${c.status} ${c.problems.join('; ')}`);
    if (await expectSkip()) {
      assert.ok(r.cases.length && r.cases.every((c: any) => c.status === 'skip'), r.cases.map((c: any) => `${c.what}: ${c.status}`).join('\n'));
      assert.is(run.status, 0);
      return;
    }
    assert.equal(bad, []);
    assert.equal(r.neverFailed, []);
    assert.is(run.status, 0);
    assertCount('sabotages ran and passed', r.cases.filter((c: any) => c.sabotage && c.status === 'pass').length, opts.sabotages);
    opts.selftested?.(r);
  });

  test('taken start to finish in the terminal with default answers', async () => {
    const state = mkdtempSync(join(home.dir, 'state-'));
    try {
      const r = await cli(['start', id, '--yes'], { ...home.env, XDG_STATE_HOME: state });
      if (await expectSkip() && /cannot run on this machine/.test(r.stderr)) {
        // The doctor refused the whole lesson before it began.
        assert.is(r.status, 1, r.stderr);
        assert.match(r.stderr, opts.skip!.reason);
      } else if (await expectSkip()) {
        // The lesson began; the experiments that cannot run here said so.
        assert.match(r.stdout, /cannot run here/);
        assert.match(r.stdout, opts.skip!.reason);
      } else {
        assert.is(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr}`);
        assert.match(r.stdout, /Lesson passed/);
      }
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  test('SIGKILL of nslab mid-lesson leaves nothing behind', async () => {
    if (await expectSkip()) return; // nothing runs here to be killed
    const given = opts.kill?.ready;
    const ready =
      typeof given === 'string'
        ? { what: `a process running '${given}' under nslab`, test: (pid: number) => descendantCommands(pid).some((d) => d.cmd.includes(given)), timeoutMs: undefined }
        : (given ?? { what: 'a sandbox runs under nslab', test: sandboxUnder, timeoutMs: undefined });
    const snap = snapshotHost();
    const devs = netDevices();
    const [node, ...rest] = command();
    const child = spawn(node!, [...rest, 'verify', id, '--json'], { cwd: ROOT, env: home.env, stdio: 'ignore' });
    const closed = new Promise((r) => child.on('close', r));
    let seen = false;
    // A deadline, not a delay: the loop ends as soon as it is seen; a loaded machine needs longer.
    // A run that ended before it was seen fails at once, not at the deadline.
    for (const until = Date.now() + scaled(ready.timeoutMs ?? 30_000); !seen && child.exitCode === null && Date.now() < until; ) {
      await sleep(10);
      seen = ready.test(child.pid!);
    }
    child.kill('SIGKILL');
    await closed;
    assert.ok(seen, `not seen in time: ${ready.what}`);
    assert.equal(await settledDiff(snap, 5000), []);
    if (opts.hostInterfaces) assert.equal(netDevices(), devs);
    await opts.kill?.after?.(child.pid!);
  });

  // Registered at .run(), so it comes after the file's own tests.
  const run = test.run;
  test.run = () => {
    test('nothing is left on the host', async () => {
      assert.equal(await settledDiff(before), []);
    });
    run();
  };
  return test;
}
