// Exercise mode's judge: which processes to look at (a running `nslab shell`'s descendants, or
// the PIDs named), the outside view of each, every task check against each, and a verdict that
// rests on one process. The state counts, not how it was made: unshare, pivot_root and setpriv
// typed by hand are judged exactly like the same state made any other way.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedLesson } from '../lessons/loader.js';
import type { ExerciseScene, ExerciseSpec, ProcessView } from '../lessons/types.js';
import { InspectError, hostBaseline, inspectProcess, startTime, type HostBaseline } from '../check/inspect.js';
import { normalizeEvidence, textOf, truncateLine } from '../check/evidence.js';
import { descendants } from '../sandbox/index.js';
import { ProgressStore, stateDir } from './progress.js';

/** Marks nslab's own helper processes inside a shell (the `nslab` shim), never candidates. */
export const SHIM_MARK = 'nslab-shell-shim';

export interface TaskResult {
  id: string;
  expected: string;
  pass: boolean;
  observed: string;
  evidence: string[];
  hint?: string;
}

export interface ExerciseVerdict {
  id: string;
  title: string;
  pass: boolean;
  /** The process the verdict rests on: one that passes every check, else the nearest miss. */
  process: { pid: number; comm: string; cmdline: string[] } | null;
  checks: TaskResult[];
  /** Every process looked at, with how many checks it passed. */
  candidates: { pid: number; comm: string; passed: number }[];
}

export interface CheckReport {
  lesson: string;
  source: 'shell' | 'pid';
  /** Host PID of the shell's sandbox, when checking one. */
  sandboxPid: number | null;
  pass: boolean;
  exercises: ExerciseVerdict[];
  /** Processes that could not be inspected, each with the reason in one sentence. */
  skipped: { pid: number; reason: string }[];
}

/** Runs one lesson-authored check defensively: a check that throws fails, saying why. */
function runCheck(c: ExerciseSpec['checks'][number], p: ProcessView, scene: ExerciseScene): TaskResult {
  try {
    const o = c.check(p, scene);
    if (!o || typeof o.pass !== 'boolean') throw new Error('the check returned no { pass, observed, evidence }');
    return {
      id: c.id,
      expected: c.expected,
      pass: o.pass,
      observed: truncateLine(textOf(o.observed)),
      evidence: normalizeEvidence(o.evidence),
      ...(o.pass || !o.hint ? {} : { hint: o.hint }),
    };
  } catch (err) {
    return { id: c.id, expected: c.expected, pass: false, observed: `the check itself failed: ${(err as Error).message}`, evidence: [], hint: 'this is a bug in the lesson, not in your work' };
  }
}

/** Judges every candidate; the verdict rests on the first that passes everything, else on the
 * one that passed the most checks (the newest of equals: usually the learner's latest try). */
export function judgeExercise(spec: ExerciseSpec, views: ProcessView[], scene: ExerciseScene, started: Map<number, number> = new Map()): ExerciseVerdict {
  const judged = views.map((p) => ({ p, results: spec.checks.map((c) => runCheck(c, p, scene)) }));
  const score = (r: TaskResult[]) => r.filter((x) => x.pass).length;
  let best: (typeof judged)[number] | undefined;
  for (const j of judged) {
    if (!best) best = j;
    else {
      const d = score(j.results) - score(best.results);
      const sj = started.get(j.p.pid) ?? 0;
      const sb = started.get(best.p.pid) ?? 0;
      const newer = sj > sb || (sj === sb && j.p.pid > best.p.pid);
      if (d > 0 || (d === 0 && newer)) best = j;
    }
  }
  const checks = best
    ? best.results
    : spec.checks.map((c) => ({ id: c.id, expected: c.expected, pass: false, observed: 'no process to check', evidence: [], hint: 'start the process the task asks for and leave it running (end the line with &), then check again' }));
  return {
    id: spec.id,
    title: spec.title,
    pass: Boolean(best) && checks.every((c) => c.pass),
    process: best ? { pid: best.p.pid, comm: best.p.comm, cmdline: best.p.cmdline } : null,
    checks,
    candidates: judged.map((j) => ({ pid: j.p.pid, comm: j.p.comm, passed: score(j.results) })),
  };
}

// ---- The record of a running `nslab shell`, so `nslab check` from anywhere finds it. ----

export interface ShellRecord {
  lesson: string;
  /** Host PID of the sandbox's first process (its init); the learner's shell is its child. */
  pid: number;
  /** Its start time, so a PID reused after a crash is not mistaken for the sandbox. */
  startTime: number;
  nslabPid: number;
  rootfs: string;
  /** What the banner said about the shell and the tools (`nslab task` says it again). */
  about?: string[];
  startedAt: string;
}

export const shellsDir = (dir = stateDir()): string => join(dir, 'shells');
export const recordPath = (lesson: string, dir = stateDir()): string => join(shellsDir(dir), `${lesson}.json`);

export function writeShellRecord(r: ShellRecord, dir = stateDir()): string {
  mkdirSync(shellsDir(dir), { recursive: true });
  const file = recordPath(r.lesson, dir);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(r, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

export function removeShellRecord(lesson: string, pid: number, dir = stateDir()): void {
  // Only our own: another shell for the lesson may have replaced a stale record meanwhile.
  const found = readRecordFile(lesson, dir);
  if (found && found.pid === pid) rmSync(recordPath(lesson, dir), { force: true });
}

function readRecordFile(lesson: string, dir: string): ShellRecord | null {
  try {
    const r = JSON.parse(readFileSync(recordPath(lesson, dir), 'utf8')) as ShellRecord;
    return typeof r.pid === 'number' && typeof r.startTime === 'number' ? r : null;
  } catch {
    return null;
  }
}

export type RecordLookup = { state: 'live'; record: ShellRecord } | { state: 'stale'; record: ShellRecord; message: string } | { state: 'none' };

/** The lesson's running shell, if any. A record whose process is gone (nslab was killed) is
 * stale: reported in one sentence and removed, never trusted. */
export function findShell(lesson: string, dir = stateDir()): RecordLookup {
  const record = readRecordFile(lesson, dir);
  if (!record) return { state: 'none' };
  if (startTime(record.pid) === record.startTime) return { state: 'live', record };
  rmSync(recordPath(lesson, dir), { force: true });
  return {
    state: 'stale',
    record,
    message: `A record said \`nslab shell ${lesson}\` was running as PID ${record.pid} (started ${record.startedAt}), but that process is gone (nslab was probably killed); the record was ignored and removed.`,
  };
}

/** The learner's processes under a shell's sandbox: every descendant of its init but nslab's
 * own shim. */
export function shellCandidates(sandboxPid: number): number[] {
  return descendants(sandboxPid).filter((pid) => {
    try {
      return !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(SHIM_MARK);
    } catch {
      return false; // exited meanwhile
    }
  });
}

export interface CheckTarget {
  source: 'shell' | 'pid';
  pids: number[];
  sandboxPid: number | null;
  /** The sandbox's interactive shell (first child of its init). */
  shellPid: number | null;
  rootfs: string | null;
}

function rootfsScene(path: string | null): ExerciseScene['rootfs'] {
  if (!path) return null;
  try {
    const s = statSync(path);
    return { path, dev: s.dev, ino: s.ino };
  } catch {
    return null;
  }
}

/** Looks at the targets and judges each exercise of the lesson. With source 'pid' an
 * uninspectable PID is an error (the learner named it); under a shell it is skipped. */
export function checkLesson(lesson: LoadedLesson, target: CheckTarget, base: HostBaseline = hostBaseline()): CheckReport {
  const views: ProcessView[] = [];
  const skipped: CheckReport['skipped'] = [];
  const started = new Map<number, number>();
  for (const pid of target.pids) {
    try {
      views.push(inspectProcess(pid, base));
      started.set(pid, startTime(pid) ?? 0);
    } catch (err) {
      if (target.source === 'pid' && err instanceof InspectError) throw err;
      skipped.push({ pid, reason: (err as Error).message });
    }
  }
  let shell: ProcessView | null = null;
  if (target.shellPid !== null) {
    shell = views.find((v) => v.pid === target.shellPid) ?? null;
    try {
      shell ??= inspectProcess(target.shellPid, base);
    } catch {
      // the shell is exiting; checks that compare with it say so
    }
  }
  const scene: ExerciseScene = { source: target.source, rootfs: rootfsScene(target.rootfs), shell };
  const exercises = (lesson.module.exercises ?? []).map((x) => judgeExercise(x, views, scene, started));
  return {
    lesson: lesson.meta.id,
    source: target.source,
    sandboxPid: target.sandboxPid,
    pass: exercises.length > 0 && exercises.every((e) => e.pass),
    exercises,
    skipped,
  };
}

/** A pass is kept for good; a failure is remembered (with its hints) only until one passes. */
export function recordExercises(store: ProgressStore, report: CheckReport): void {
  const at = new Date().toISOString();
  store.update(report.lesson, (p) => {
    const ex = (p.exercises ??= {});
    for (const e of report.exercises) {
      const prev = ex[e.id];
      if (e.pass) ex[e.id] = { passed: true, at: prev?.passed ? prev.at : at, lastCheckedAt: at };
      else if (!prev?.passed) ex[e.id] = { passed: false, at, lastCheckedAt: at, hints: e.checks.filter((c) => !c.pass && c.hint).map((c) => `${c.id}: ${c.hint}`) };
      else prev.lastCheckedAt = at;
    }
  });
}
